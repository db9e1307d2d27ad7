"""OpenAI answer engine: streamed structured output, steps yielded as they close.

The model streams one JSON document (strict `json_schema`). A small scanner
follows its structure and, each time a step object closes, the buffer is parsed
with jiter's partial mode and that step is validated and yielded, so the student
reads the first step while the model is still writing the rest. After the stream
the whole explanation is validated again. Failures before the first step are
retried (429, 5xx, timeouts) or repaired (invalid JSON or explanation) by
re-asking; once a step has been yielded a failure is final: the caller refunds
and caches nothing, and the student never sees a silently truncated answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jiter
import openai
from pydantic import ValidationError

from app.adapters.engines.base import EngineError, GenerationContext, GenerationResult
from app.adapters.engines.math_check import check_explanation
from app.adapters.engines.openai_prompt import build_prompt, response_format
from app.domain.explanation import MAX_STEPS, MAX_TOTAL_DURATION, Explanation, Step
from app.utils.latex_json import fix_invalid_escapes, repair_step_latex

INVALID, UPSTREAM, REFUSED = "invalid_answer", "upstream", "refused"  # catalogue reasons
MIN_TOTAL_DURATION = 10.0
_MAX_ECHO_CHARS = 6000  # how much of a broken answer goes back to the model for repair


class _Invalid(Exception):
    """The model's output is unusable; `reason` is told to the model on repair."""

    def __init__(self, reason: str, raw: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class _Retryable(Exception):
    """A transient API failure (429, 5xx, timeout) worth another try."""

    def __init__(self, cause: Exception, retry_after: float | None = None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.retry_after = retry_after


class StepScanner:
    """Follows the JSON structure of the streamed text without decoding it.

    `feed` returns True when something worth a parse happened: a step object
    closed, the steps array closed, or a top-level value ended.
    """

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.in_string = False
        self.escaped = False
        self.steps_closed = 0
        self.array_closed = False

    def feed(self, text: str) -> bool:
        event = False
        stack = self.stack
        for ch in text:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
                continue
            if ch == '"':
                self.in_string = True
            elif ch in "{[":
                stack.append(ch)
            elif ch in "}]":
                if not stack:
                    continue
                closing = stack.pop()
                depth = len(stack)
                if closing == "{" and depth == 2 and stack[1] == "[":
                    self.steps_closed += 1
                    event = True
                elif closing == "[" and depth == 1:
                    self.array_closed = True
                    event = True
                elif depth == 0:
                    event = True
            elif ch == "," and len(stack) == 1:
                event = True
        return event


def _clean_step(raw: Any) -> dict[str, Any]:
    """Drop the nulls strict mode forces into canvas commands; restore LaTeX."""
    if not isinstance(raw, dict):
        raise _Invalid("cada paso debe ser un objeto JSON")
    step = dict(raw)
    commands = step.get("canvas_commands")
    if isinstance(commands, list):
        step["canvas_commands"] = [
            {k: v for k, v in c.items() if v is not None} if isinstance(c, dict) else c
            for c in commands
        ]
    return repair_step_latex(step)


def _validate_step(raw: Any, index: int) -> Step:
    try:
        return Step.model_validate(_clean_step(raw))
    except ValidationError as exc:
        raise _Invalid(f"el paso {index + 1} no es válido: {_short(exc)}") from None


def _short(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "documento"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _clamp_duration(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(min(max(value, MIN_TOTAL_DURATION), MAX_TOTAL_DURATION))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (ValueError, AttributeError):
        return None


class OpenAIEngine:
    """AnswerEngine backed by any OpenAI-compatible Chat Completions endpoint."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_s: float,
        max_repairs: int = 2,
        max_retries: int = 2,
        *,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.max_repairs = max_repairs
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        # Retries are ours (counted, and never after a step was yielded).
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAIEngine:
        if not settings.OPENAI_API_KEY:
            raise EngineError("ai_unavailable", UPSTREAM)
        return cls(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_MODEL,
            timeout_s=settings.AI_TIMEOUT_S,
        )

    @staticmethod
    def check(question: str, explanation: Explanation) -> bool | None:
        """SymPy check of a model-written math answer (None: cannot check)."""
        return check_explanation(question, explanation)

    # -- generation ---------------------------------------------------------

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]:
        result.engine = self.name
        result.extra.setdefault("retries", 0)
        result.extra.setdefault("repairs", 0)
        messages: list[dict[str, str]] = build_prompt(question, context)
        progress = {"yielded": 0}
        retries = 0
        while True:
            try:
                yield from self._attempt(messages, result, progress)
                return
            except _Retryable as exc:
                if progress["yielded"] or retries >= self.max_retries:
                    code = "generation_failed" if progress["yielded"] else "ai_unavailable"
                    msg = INVALID if progress["yielded"] else UPSTREAM
                    raise EngineError(code, msg) from exc.cause
                delay = min(self.backoff_s * (2**retries), self.max_backoff_s)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.max_backoff_s))
                retries += 1
                result.extra["retries"] = retries
                time.sleep(delay)
            except _Invalid as exc:
                result.extra["last_error"] = exc.reason
                if progress["yielded"] or result.extra["repairs"] >= self.max_repairs:
                    raise EngineError("generation_failed", INVALID) from None
                result.extra["repairs"] += 1
                if exc.raw:
                    messages.append({"role": "assistant", "content": exc.raw[:_MAX_ECHO_CHARS]})
                messages.append(
                    {
                        "role": "user",
                        "content": (
                            f"Tu respuesta anterior no es válida: {exc.reason}. Responde de "
                            "nuevo con el JSON completo y válido según el esquema, más breve "
                            "si hace falta, con las barras invertidas de LaTeX escapadas."
                        ),
                    }
                )

    def _open_stream(self, messages: list[dict[str, str]], timeout: float) -> Any:
        try:
            return self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format=response_format(),  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout,
            )
        except openai.APITimeoutError as exc:
            raise _Retryable(exc) from None
        except openai.APIConnectionError as exc:
            raise EngineError("ai_unavailable", UPSTREAM) from exc
        except (openai.RateLimitError, openai.InternalServerError) as exc:
            raise _Retryable(exc, _retry_after(exc)) from None
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise _Retryable(exc, _retry_after(exc)) from None
            code = "generation_failed" if exc.status_code in (400, 422) else "ai_unavailable"
            message = INVALID if code == "generation_failed" else UPSTREAM
            raise EngineError(code, message) from exc

    def _attempt(
        self, messages: list[dict[str, str]], result: GenerationResult, progress: dict[str, int]
    ) -> Iterator[Step]:
        """One request: yield steps as they close; raise _Invalid/_Retryable/EngineError."""
        deadline = time.monotonic() + self.timeout_s
        stream = self._open_stream(messages, self.timeout_s)
        parts: list[str] = []
        refusal: list[str] = []
        finish_reason: str | None = None
        scanner = StepScanner()
        duration_known = False
        try:
            for chunk in stream:
                if chunk.usage is not None:
                    result.prompt_tokens += chunk.usage.prompt_tokens or 0
                    result.completion_tokens += chunk.usage.completion_tokens or 0
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.refusal:
                        refusal.append(delta.refusal)
                    if delta is not None and delta.content:
                        parts.append(delta.content)
                        if scanner.feed(delta.content):
                            data = self._partial(parts)
                            if not duration_known and "total_duration" in data:
                                duration = _clamp_duration(data["total_duration"])
                                if duration is not None:
                                    result.total_duration = duration
                                    duration_known = True
                            done = min(scanner.steps_closed, MAX_STEPS)
                            steps = data.get("steps")
                            while isinstance(steps, list) and progress["yielded"] < min(
                                done, len(steps)
                            ):
                                index = progress["yielded"]
                                step = _validate_step(steps[index], index)
                                progress["yielded"] += 1
                                yield step
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                if refusal:
                    raise EngineError("generation_failed", REFUSED)
                if time.monotonic() > deadline:
                    raise _Retryable(TimeoutError(f"generation over {self.timeout_s} s"))
        except openai.APITimeoutError as exc:
            raise _Retryable(exc) from None
        except openai.APIConnectionError as exc:
            if progress["yielded"]:
                raise EngineError("generation_failed", INVALID) from exc
            raise EngineError("ai_unavailable", UPSTREAM) from exc
        except openai.APIError as exc:  # an error event inside the stream
            raise _Retryable(exc) from None
        except _Invalid as exc:
            exc.raw = "".join(parts)
            raise
        finally:
            stream.close()

        raw = "".join(parts)
        if finish_reason == "length":
            raise _Invalid("la respuesta se cortó por exceder el límite de longitud", raw)
        if finish_reason == "content_filter":
            raise EngineError("generation_failed", REFUSED)
        explanation = self._final(raw)
        duration = _clamp_duration(explanation.total_duration)
        if duration is not None:
            result.total_duration = duration
        for index in range(progress["yielded"], len(explanation.steps)):
            progress["yielded"] += 1
            yield explanation.steps[index]

    @staticmethod
    def _partial(parts: list[str]) -> dict[str, Any]:
        text = fix_invalid_escapes("".join(parts))
        try:
            data = jiter.from_json(text.encode(), partial_mode="on")
        except ValueError:
            raise _Invalid("el JSON no es válido") from None
        if not isinstance(data, dict):
            raise _Invalid("la respuesta debe ser un objeto JSON")
        return data

    @staticmethod
    def _final(raw: str) -> Explanation:
        try:
            data = jiter.from_json(fix_invalid_escapes(raw).encode())
        except ValueError as exc:
            raise _Invalid(f"el JSON no es válido ({exc})", raw) from None
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise _Invalid('falta la lista "steps"', raw)
        try:
            steps = [_clean_step(s) for s in data["steps"][:MAX_STEPS]]
        except _Invalid as exc:
            raise _Invalid(exc.reason, raw) from None
        cleaned = {**data, "steps": steps}
        duration = _clamp_duration(data.get("total_duration"))
        cleaned["total_duration"] = duration if duration is not None else 60
        try:
            return Explanation.model_validate(cleaned)
        except ValidationError as exc:
            raise _Invalid(f"la explicación no es válida: {_short(exc)}", raw) from None
