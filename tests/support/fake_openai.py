"""A real local OpenAI-compatible HTTP server for tests and benchmarks.

It speaks the wire format of the API (SSE `chat.completion.chunk` streams with
chunked transfer encoding, JSON errors with Retry-After, multipart audio
uploads), so the official SDK runs unmodified against it. Each request takes
the next scripted `Behaviour` from a queue (or the default one) and every
request is recorded for assertions.
"""

from __future__ import annotations

import base64
import collections
import email.parser
import email.policy
import hashlib
import json
import math
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHARS_PER_TOKEN = 4


def sample_explanation(steps: int = 3, *, total_duration: float = 90) -> dict[str, Any]:
    """A realistic explanation (solving 2x + 3 = 7) with `steps` steps."""
    base = [
        {
            "title": "Planteamiento",
            "type": "text",
            "content": "Queremos encontrar el valor de x que hace verdadera la igualdad "
            "2x + 3 = 7. Para despejar x aplicamos la misma operación en ambos lados.",
            "canvas_commands": [
                {"op": "clear"},
                {"op": "text", "x": 40, "y": 60, "text": "Resolver:", "size": 32},
                {"op": "math", "x": 40, "y": 120, "latex": "2x + 3 = 7", "color": "#1F77B4"},
            ],
        },
        {
            "title": "Restamos 3",
            "type": "math",
            "content": "2x + 3 - 3 = 7 - 3 \\quad \\Rightarrow \\quad 2x = 4",
            "canvas_commands": [
                {"op": "math", "x": 40, "y": 200, "latex": "2x = 4", "size": 40},
                {"op": "arrow", "x1": 300, "y1": 130, "x2": 300, "y2": 190, "width": 3},
            ],
        },
        {
            "title": "Dividimos entre 2",
            "type": "math",
            "content": "\\frac{2x}{2} = \\frac{4}{2}",
            "canvas_commands": [
                {"op": "math", "x": 40, "y": 280, "latex": "\\frac{2x}{2} = \\frac{4}{2}"},
            ],
        },
        {
            "title": "Comprobación",
            "type": "text",
            "content": "Sustituimos x = 2 en la ecuación original: 2 por 2 es 4, más 3 es 7. "
            "Ambos lados valen lo mismo, así que la solución es correcta.",
            "canvas_commands": [
                {"op": "rect", "x": 30, "y": 340, "w": 400, "h": 80, "color": "#2ca02c"},
                {"op": "text", "x": 50, "y": 390, "text": "2(2) + 3 = 7 ✓", "size": 28},
            ],
        },
        {
            "title": "Resultado",
            "type": "math",
            "content": "x = 2",
            "canvas_commands": [
                {"op": "highlight", "x": 30, "y": 450, "w": 200, "h": 60, "color": "#ffdd00"},
                {"op": "math", "x": 50, "y": 490, "latex": "x = 2", "size": 48},
            ],
        },
    ]
    chosen = [dict(base[i % len(base)]) for i in range(steps)]
    for i, step in enumerate(chosen):
        if i >= len(base):
            step["title"] = f"{step['title']} ({i + 1})"
    return {"total_duration": total_duration, "steps": chosen}


def strict_nulls(explanation: dict[str, Any]) -> dict[str, Any]:
    """Fill every canvas command with all schema fields (null when unused), as
    strict structured outputs do."""
    from app.adapters.engines.openai_prompt import _COMMAND_SCHEMA  # test-only helper

    fields = _COMMAND_SCHEMA["required"]
    out = json.loads(json.dumps(explanation))
    for step in out["steps"]:
        step["canvas_commands"] = [{k: c.get(k) for k in fields} for c in step["canvas_commands"]]
    return out


def model_json(explanation: dict[str, Any], *, single_backslash: bool = False) -> str:
    """The JSON text a model would write; `single_backslash` writes LaTeX the
    careless way (`\\frac` with one backslash inside the JSON string)."""
    text = json.dumps(explanation, ensure_ascii=False)
    return text.replace("\\\\", "\\") if single_backslash else text


@dataclass
class Behaviour:
    """What the fake model does for one request."""

    kind: str = "answer"  # answer | status | refusal | drop
    content: str = ""
    finish_reason: str = "stop"
    truncate_at: int | None = None  # stream only this many characters, then "length"
    status: int = 200
    retry_after: float | None = None
    tokens_per_s: float | None = None  # None: as fast as possible
    chars_per_token: int = CHARS_PER_TOKEN
    first_byte_delay_s: float = 0.0
    stall_after_chars: int | None = None
    stall_s: float = 0.0
    refusal: str = "Lo siento, no puedo ayudar con eso."
    prompt_tokens: int = 321
    # transcription
    transcript: str = "¿Cuánto es dos más dos?"
    duration_s: float = 2.5
    verbose_supported: bool = True

    @classmethod
    def answer(cls, explanation: dict[str, Any] | str | None = None, **kw: Any) -> Behaviour:
        content = explanation if isinstance(explanation, str) else None
        if content is None:
            content = model_json(strict_nulls(explanation or sample_explanation()))
        kind = kw.pop("kind", "answer")
        return cls(kind=kind, content=content, **kw)

    @classmethod
    def invalid_json(cls, **kw: Any) -> Behaviour:
        return cls(kind="answer", content='{"total_duration": 60, "steps": [{"title": "Paso', **kw)

    @classmethod
    def truncated(cls, at: int = 400, **kw: Any) -> Behaviour:
        return cls.answer(truncate_at=at, **kw)

    @classmethod
    def error(cls, status: int, retry_after: float | None = None) -> Behaviour:
        return cls(kind="status", status=status, retry_after=retry_after)

    @classmethod
    def refused(cls, text: str = "Lo siento, no puedo ayudar con eso.") -> Behaviour:
        return cls(kind="refusal", refusal=text)

    @classmethod
    def dropped(cls, after_chars: int, **kw: Any) -> Behaviour:
        """Stream some content, then close the connection without finishing."""
        return cls.answer(kind="drop", truncate_at=after_chars, **kw)

    def completion_tokens(self, text: str) -> int:
        return max(1, math.ceil(len(text) / self.chars_per_token))


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    files: dict[str, bytes] = field(default_factory=dict)


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-stream are normal here (the engine stops reading)."""


class FakeOpenAI:
    """Start with `with FakeOpenAI() as fake:`; point the SDK at `fake.base_url`."""

    def __init__(self) -> None:
        self.chat_script: collections.deque[Behaviour] = collections.deque()
        self.audio_script: collections.deque[Behaviour] = collections.deque()
        self.default_chat = Behaviour.answer()
        self.default_audio = Behaviour()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *behaviours: Behaviour) -> None:
        self.chat_script.extend(behaviours)

    def push_audio(self, *behaviours: Behaviour) -> None:
        self.audio_script.extend(behaviours)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def audio_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/audio/transcriptions")]

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, audio: bool) -> Behaviour:
        with self._lock:
            script = self.audio_script if audio else self.chat_script
            if script:
                return script.popleft()
            return self.default_audio if audio else self.default_chat

    # -- HTTP ---------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path.endswith("/chat/completions"):
                    body = json.loads(raw or b"{}")
                    fake.requests.append(RecordedRequest(self.path, headers, body, time.time()))
                    fake._chat(self, body, fake._next(audio=False))
                elif self.path.endswith("/embeddings"):
                    body = json.loads(raw or b"{}")
                    fake.requests.append(RecordedRequest(self.path, headers, body, time.time()))
                    _send_json(self, 200, embeddings_response(body))
                elif self.path.endswith("/audio/transcriptions"):
                    fields, files = _parse_multipart(headers.get("content-type", ""), raw)
                    fake.requests.append(
                        RecordedRequest(self.path, headers, fields, time.time(), files)
                    )
                    fake._audio(self, fields, files, fake._next(audio=True))
                else:
                    _send_json(self, 404, {"error": {"message": "not found", "type": "x"}})

        return Handler

    def _chat(self, h: BaseHTTPRequestHandler, body: dict[str, Any], b: Behaviour) -> None:
        if b.first_byte_delay_s:
            time.sleep(b.first_byte_delay_s)
        if b.kind == "status":
            _send_error(h, b.status, b.retry_after)
            return
        content = b.content if b.kind != "refusal" else ""
        finish = b.finish_reason
        if b.truncate_at is not None:
            content = content[: b.truncate_at]
            finish = "length"
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body.get("model", "fake-model")
        usage = {
            "prompt_tokens": b.prompt_tokens,
            "completion_tokens": b.completion_tokens(content or b.refusal),
            "total_tokens": b.prompt_tokens + b.completion_tokens(content or b.refusal),
        }
        if not body.get("stream"):
            message = {"role": "assistant", "content": content or None, "refusal": None}
            if b.kind == "refusal":
                message["refusal"] = b.refusal
            _send_json(
                h,
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                    ],
                    "usage": usage,
                },
            )
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                **({"usage": None} if include_usage else {}),
            }

        try:
            _sse(h, chunk({"role": "assistant", "content": "", "refusal": None}))
            text, key = (b.refusal, "refusal") if b.kind == "refusal" else (content, "content")
            step = max(1, b.chars_per_token)
            interval = 1.0 / b.tokens_per_s if b.tokens_per_s else 0.0
            start = time.monotonic()
            stalled = False
            for n, i in enumerate(range(0, len(text), step)):
                if interval:
                    delay = start + n * interval - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                if b.stall_after_chars is not None and not stalled and i >= b.stall_after_chars:
                    stalled = True
                    time.sleep(b.stall_s)
                _sse(h, chunk({key: text[i : i + step]}))
            if b.kind == "drop":
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(2)
                return
            _sse(h, chunk({}, finish))
            if include_usage:
                _sse(h, {**chunk({}), "choices": [], "usage": usage})
            _write_chunk(h, b"data: [DONE]\n\n")
            _write_chunk(h, b"")
        except (BrokenPipeError, ConnectionResetError, OSError):
            h.close_connection = True

    def _audio(
        self,
        h: BaseHTTPRequestHandler,
        fields: dict[str, Any],
        files: dict[str, bytes],
        b: Behaviour,
    ) -> None:
        if b.first_byte_delay_s:
            time.sleep(b.first_byte_delay_s)
        if b.kind == "status":
            _send_error(h, b.status, b.retry_after)
            return
        if "file" not in files or not fields.get("model"):
            _send_error(h, 400, None, "file and model are required")
            return
        fmt = fields.get("response_format", "json")
        if fmt == "verbose_json":
            if not b.verbose_supported:
                _send_error(
                    h,
                    400,
                    None,
                    f"response_format 'verbose_json' is not compatible with model "
                    f"'{fields['model']}'. Use 'json' or 'text' instead.",
                )
                return
            _send_json(
                h,
                200,
                {
                    "task": "transcribe",
                    "language": "spanish",
                    "duration": b.duration_s,
                    "text": b.transcript,
                    "segments": [],
                },
            )
            return
        _send_json(
            h,
            200,
            {"text": b.transcript, "usage": {"type": "duration", "seconds": b.duration_s}},
        )


def _write_chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
    h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    h.wfile.flush()


def _sse(h: BaseHTTPRequestHandler, payload: dict[str, Any]) -> None:
    _write_chunk(h, b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")


def fake_embedding(text: str, dim: int) -> list[float]:
    """A deterministic stand-in for a model: signed hashed character 3- and 4-grams."""
    vector = [0.0] * dim
    padded = f" {text} "
    for n in (3, 4):
        for i in range(len(padded) - n + 1):
            digest = hashlib.blake2b(padded[i : i + n].encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % dim] += 1.0 if (value >> 32) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def embeddings_response(body: dict[str, Any]) -> dict[str, Any]:
    """The embeddings endpoint's wire format (`encoding_format` float or base64)."""
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    dim = int(body.get("dimensions") or 1536)
    data = []
    for index, text in enumerate(texts):
        vector = fake_embedding(str(text), dim)
        embedding: Any = vector
        if body.get("encoding_format") == "base64":
            embedding = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(len(str(t).split()) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model", "text-embedding-3-small"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _send_json(h: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _send_error(
    h: BaseHTTPRequestHandler, status: int, retry_after: float | None, message: str = ""
) -> None:
    payload = {
        "error": {
            "message": message or f"fake error {status}",
            "type": _ERROR_TYPES.get(status, "server_error"),
            "param": None,
            "code": None,
        }
    }
    data = json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    if retry_after is not None:
        h.send_header("Retry-After", str(retry_after))
    h.end_headers()
    h.wfile.write(data)


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = payload
            fields[f"{name}_filename"] = part.get_filename()
        else:
            fields[name] = payload.decode()
    return fields, files
