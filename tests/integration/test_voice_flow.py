"""Voice questions end to end: a real server process (Postgres, Redis, the fake
OpenAI server for transcription and answers), real Socket.IO clients and real
audio (a WAV from the `wave` module, spoken Spanish from espeak-ng)."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import threading
import time
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from psycopg.conninfo import conninfo_to_dict

from app.auth.dev_tokens import issue_dev_token
from app.config import load_settings
from tests.support.fake_openai import Behaviour, FakeOpenAI
from tests.support.server import QuickClient, RedisDb, ServerProcess, base_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SECRET = "voice-flow-test-secret-0123456789abcdef"
MAX_AUDIO_BYTES = 300_000
MAX_AUDIO_SECONDS = 5
CLIP_TTL_S = 3
SETTINGS = load_settings(DEV_JWT_SECRET=SECRET, APP_ENV="development")


def B64(raw: bytes) -> str:  # noqa: N802 - reads like the constant it replaces
    return base64.b64encode(raw).decode("ascii")


def make_wav(seconds: float, rate: int = 8000) -> bytes:
    """A real PCM WAV (a 440 Hz square wave), made with the `wave` module."""
    buf = io.BytesIO()
    period = max(2, rate // 440)
    frames = bytes(200 if (i % period) < period // 2 else 56 for i in range(int(seconds * rate)))
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def start_voice_server(redis_url: str, **env: str) -> ServerProcess:
    """`python run.py` in development mode with this suite's voice limits, ready."""
    return ServerProcess(
        base_env(
            APP_ENV="development",
            DEV_JWT_SECRET=SECRET,
            REDIS_URL=redis_url,
            RATE_LIMIT_QUESTIONS="100/minute",
            RATE_LIMIT_CONNECTIONS=None,
            MAX_AUDIO_BYTES=MAX_AUDIO_BYTES,
            MAX_AUDIO_SECONDS=MAX_AUDIO_SECONDS,
            VOICE_CLIP_TTL_S=CLIP_TTL_S,
            WEB_CLIENT_ENABLED="false",
            **env,
        )
    ).wait_ready()


class Client:
    """A real python-socketio client that records every event and ack in order."""

    def __init__(self, server: ServerProcess, user_id: str | None = None) -> None:
        self.user_id = user_id or str(uuid.uuid4())
        self.token = issue_dev_token(SETTINGS, self.user_id)
        self.server = server
        self.log: list[tuple[str, Any]] = []
        self.cond = threading.Condition()
        self.sio = QuickClient(reconnection=False)
        self.sio.on("*", self._on_event)
        self.sio.connect(
            server.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )
        self.wait_for("session_ready")

    def _on_event(self, event: str, data: Any = None) -> None:
        with self.cond:
            self.log.append((event, data))
            self.cond.notify_all()

    def call(self, event: str, payload: Any, timeout: float = 30) -> dict[str, Any]:
        """Emit with an ack callback; the ack goes into the same ordered log."""
        box: list[dict[str, Any]] = []

        def ack(data: dict[str, Any]) -> None:
            with self.cond:
                box.append(data)
                self.log.append((f"ack:{event}", data))
                self.cond.notify_all()

        self.sio.emit(event, payload, callback=ack)
        with self.cond:
            assert self.cond.wait_for(lambda: box, timeout), f"no ack for {event}"
        return box[0]

    def wait_for(self, event: str, timeout: float = 30, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for name, data in self.log:
                if name == event and all((data or {}).get(k) == v for k, v in match.items()):
                    return data or {}
            return None

        with self.cond:
            assert self.cond.wait_for(lambda: found() is not None, timeout), (
                event,
                [n for n, _ in self.log],
            )
            result = found()
        assert result is not None
        return result

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.cond:
            return [d for n, d in self.log if n == name]

    def http(self, path: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.server.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def send_clip(self, fmt: str, audio: bytes, chunk: int = 16_384) -> str:
        ack = self.call("voice_start", {"format": fmt, "language": "es"})
        assert ack["ok"], ack
        voice_id = str(ack["voice_id"])
        total = 0
        for seq, at in enumerate(range(0, len(audio), chunk)):
            part = audio[at : at + chunk]
            total += len(part)
            ack = self.call("voice_chunk", {"voice_id": voice_id, "seq": seq, "data": B64(part)})
            assert ack == {"ok": True, "received_bytes": total}, ack
        return voice_id

    def close(self) -> None:
        self.sio.disconnect()


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_db() -> Iterator[RedisDb]:
    db = RedisDb()
    yield db
    db.close()


@pytest.fixture(scope="module")
def rds(redis_db: RedisDb) -> redis.Redis:
    return redis_db.client


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def server(pg_url: str, redis_db: RedisDb, fake: FakeOpenAI) -> Iterator[ServerProcess]:
    """OpenAI configured (the fake): transcription and the answer engine."""
    srv = start_voice_server(
        redis_db.url,
        DATABASE_URL=pg_url_of(pg_url),
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=fake.base_url,
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def offline_server(pg_url: str, redis_db: RedisDb) -> Iterator[ServerProcess]:
    """No OpenAI at all: the offline math engine, and no transcription."""
    srv = start_voice_server(redis_db.url, DATABASE_URL=pg_url_of(pg_url))
    yield srv
    srv.stop()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Client]:
    c = Client(server)
    yield c
    c.close()


@pytest.fixture(scope="module")
def seen_voice_ids() -> list[str]:
    return []


@pytest.fixture(autouse=True)
def no_clip_left_behind(rds: redis.Redis, seen_voice_ids: list[str]) -> Iterator[None]:
    """After every test, none of the clips it touched is still in Redis (except the
    one test that leaves a clip to expire, which checks that itself)."""
    yield
    leftovers = [k for v in seen_voice_ids for k in (f"voice:{v}", f"voice:{v}:chunks")]
    assert not [k for k in leftovers if rds.exists(k)]


def pg_url_of(conninfo: str) -> str:
    """The server wants a postgresql:// URL; the fixture gives a conninfo string."""
    parts = conninfo_to_dict(conninfo)
    user = parts.get("user", "postgres")
    return (
        f"postgresql://{user}@{parts.get('host', '127.0.0.1')}:{parts.get('port', 5432)}"
        f"/{parts['dbname']}"
    )


def voice_row(pg_url: str, voice_id: str) -> dict[str, Any] | None:
    with psycopg.connect(pg_url) as conn:
        cur = conn.execute(
            "SELECT user_id::text, interaction_id::text, format, bytes, duration_s, transcript, "
            "status, error_code FROM voice_interactions WHERE id = %s",
            (voice_id,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        names = [d.name for d in cur.description or []]
        return dict(zip(names, row, strict=True))


def assert_grammar(c: Client, interaction_id: str) -> None:
    """The interaction's events, in order, with contiguous seq, after its ack."""
    mine = [
        (i, n, d)
        for i, (n, d) in enumerate(c.log)
        if isinstance(d, dict) and d.get("interaction_id") == interaction_id
    ]
    ack_at = next(i for i, n, _ in mine if n == "ack:voice_complete")
    events = [(i, n, d) for i, n, d in mine if not n.startswith("ack:")]
    assert ack_at < events[0][0], "the ack must reach the client before the interaction"
    grammar = [n for _, n, _ in events if n != "waiting_phrase"]
    assert grammar[0] == "explanation_start" and grammar[-1] == "explanation_complete", grammar
    seqs = [d["seq"] for _, _, d in events if "seq" in d]
    assert seqs == list(range(len(seqs)))
    # transcription_complete came before the interaction and carries no seq.
    tc_at = max(
        i for i, (n, _) in enumerate(c.log[: events[0][0]]) if n == "transcription_complete"
    )
    assert "seq" not in c.log[tc_at][1] and "interaction_id" not in c.log[tc_at][1]


def assert_failed(ack: dict[str, Any], c: Client, code: str, voice_id: str | None) -> None:
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    if voice_id is not None:
        assert ack["error"]["voice_id"] == voice_id
    c.wait_for("error", code=code)


# -- the happy paths -------------------------------------------------------------------


def test_wav_voice_question_ends_with_a_complete_explanation(
    client: Client, fake: FakeOpenAI, pg_url: str, seen_voice_ids: list[str]
) -> None:
    wav = make_wav(1.0)
    voice_id = client.send_clip("wav", wav, chunk=3000)
    seen_voice_ids.append(voice_id)
    before = len(fake.audio_requests())
    ack = client.call("voice_complete", {"voice_id": voice_id, "request_id": "voz-1"})
    assert ack["ok"] and ack["voice_id"] == voice_id, ack
    interaction_id = ack["interaction_id"]
    done = client.wait_for("explanation_complete", interaction_id=interaction_id)
    assert done["total_steps"] >= 1
    assert_grammar(client, interaction_id)

    # The transcriber got exactly the clip, as a WAV, in Spanish.
    [request] = fake.audio_requests()[before:]
    assert request.files["file"] == wav and request.body["language"] == "es"
    transcription = client.wait_for("transcription_complete", voice_id=voice_id)
    assert transcription["text"] == "¿Cuánto es dos más dos?"
    assert transcription["duration_s"] == pytest.approx(1.0)  # measured from the WAV header

    start = client.wait_for("explanation_start", interaction_id=interaction_id)
    assert start["question"] == "¿Cuánto es dos más dos?"
    assert start["credits_charged"] == 2 + 1  # generated question + voice fee

    row = voice_row(pg_url, voice_id)
    assert row is not None
    assert (row["user_id"], row["interaction_id"], row["format"], row["bytes"], row["status"]) == (
        client.user_id,
        interaction_id,
        "wav",
        len(wav),
        "transcribed",
    )
    assert row["transcript"] == "¿Cuánto es dos más dos?"
    assert row["duration_s"] == pytest.approx(1.0)

    items = client.http("/api/v1/history")["items"]
    [item] = [i for i in items if i["interaction_id"] == interaction_id]
    assert (item["input_type"], item["status"], item["credits_charged"]) == (
        "voice",
        "completed",
        3,
    )
    usage = client.http("/api/v1/credits/usage")["items"]
    actions = sorted(u["action_type"] for u in usage if u["interaction_id"] == interaction_id)
    assert actions == ["question_generated", "voice"]
    assert client.http("/api/v1/me")["credits"] == 20 - 3

    # The same request_id again: the first interaction, nothing transcribed or charged.
    again = client.call("voice_complete", {"voice_id": voice_id, "request_id": "voz-1"})
    assert again == {"ok": True, "voice_id": voice_id, "interaction_id": interaction_id}
    assert len(fake.audio_requests()) == before + 1
    # ... and ask_question shares that request_id space.
    text = client.call("ask_question", {"question": "otra cosa", "request_id": "voz-1"})
    assert text == {"ok": True, "interaction_id": interaction_id}
    time.sleep(0.3)
    assert client.http("/api/v1/me")["credits"] == 17


def test_spoken_spanish_clip_from_espeak(
    client: Client, fake: FakeOpenAI, pg_url: str, seen_voice_ids: list[str], tmp_path: Path
) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng) to speak a clip")
    target = tmp_path / "pregunta.wav"
    subprocess.run(
        [espeak, "-v", "es", "-s", "150", "-w", str(target), "¿Cuánto es dos más dos?"],
        check=True,
        capture_output=True,
    )
    spoken = target.read_bytes()
    with wave.open(str(target)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.5 < seconds < MAX_AUDIO_SECONDS and len(spoken) > 20_000
    voice_id = client.send_clip("wav", spoken, chunk=8192)
    seen_voice_ids.append(voice_id)
    before = len(fake.audio_requests())
    ack = client.call("voice_complete", {"voice_id": voice_id})
    assert ack["ok"], ack
    client.wait_for("explanation_complete", interaction_id=ack["interaction_id"])
    assert_grammar(client, ack["interaction_id"])
    assert fake.audio_requests()[before].files["file"] == spoken
    row = voice_row(pg_url, voice_id)
    assert row is not None and row["status"] == "transcribed"
    assert row["bytes"] == len(spoken) and row["duration_s"] == pytest.approx(seconds, abs=0.01)


def test_whole_clip_in_voice_complete_data(
    client: Client, fake: FakeOpenAI, seen_voice_ids: list[str]
) -> None:
    ack = client.call("voice_start", {"format": "ogg"})
    voice_id = ack["voice_id"]
    seen_voice_ids.append(voice_id)
    ogg = b"OggS\x00\x02" + os.urandom(2000)
    fake.push_audio(Behaviour(transcript="resuelve 2x + 3 = 7", duration_s=1.5))
    done = client.call("voice_complete", {"voice_id": voice_id, "data": B64(ogg)})
    assert done["ok"], done
    tc = client.wait_for("transcription_complete", voice_id=voice_id)
    assert tc == {"voice_id": voice_id, "text": "resuelve 2x + 3 = 7", "duration_s": 1.5}
    client.wait_for("explanation_complete", interaction_id=done["interaction_id"])
    assert fake.audio_requests()[-1].files["file"] == ogg


def test_development_transcript_without_audio(client: Client, seen_voice_ids: list[str]) -> None:
    voice_id = client.call("voice_start", {"format": "webm"})["voice_id"]
    seen_voice_ids.append(voice_id)
    ack = client.call("voice_complete", {"voice_id": voice_id, "transcript": "deriva x^3"})
    assert ack["ok"], ack
    client.wait_for("explanation_complete", interaction_id=ack["interaction_id"])
    assert client.wait_for("transcription_complete")["text"] == "deriva x^3"


# -- bad input ---------------------------------------------------------------------------


def test_chunk_rules_over_the_wire(
    client: Client, rds: redis.Redis, seen_voice_ids: list[str]
) -> None:
    wav = make_wav(0.5)
    # A repeated seq is acked with the current total and changes nothing.
    voice_id = client.send_clip("wav", wav, chunk=1000)
    seen_voice_ids.append(voice_id)
    repeat = client.call("voice_chunk", {"voice_id": voice_id, "seq": 1, "data": B64(b"zz")})
    assert repeat == {"ok": True, "received_bytes": len(wav)}
    assert rds.exists(f"voice:{voice_id}") and 0 < rds.ttl(f"voice:{voice_id}") <= CLIP_TTL_S
    # A gap is audio_invalid at that chunk; the clip is gone.
    gap = client.call("voice_chunk", {"voice_id": voice_id, "seq": 99, "data": B64(b"x")})
    assert_failed(gap, client, "audio_invalid", voice_id)
    assert not rds.exists(f"voice:{voice_id}", f"voice:{voice_id}:chunks")
    gone = client.call("voice_complete", {"voice_id": voice_id})
    assert_failed(gone, client, "not_found", voice_id)

    # Bad base64.
    voice_id = client.send_clip("wav", wav)
    seen_voice_ids.append(voice_id)
    bad = client.call("voice_chunk", {"voice_id": voice_id, "seq": 1, "data": "%%%%"})
    assert_failed(bad, client, "audio_invalid", voice_id)
    assert not rds.exists(f"voice:{voice_id}", f"voice:{voice_id}:chunks")
    assert_failed(client.call("voice_complete", {"voice_id": voice_id}), client, "not_found", None)

    # Too large, counted while chunks arrive.
    voice_id = client.call("voice_start", {"format": "wav"})["voice_id"]
    seen_voice_ids.append(voice_id)
    big = os.urandom(100_000)
    for seq in range(3):
        ok = client.call("voice_chunk", {"voice_id": voice_id, "seq": seq, "data": B64(big)})
        assert ok == {"ok": True, "received_bytes": 100_000 * (seq + 1)}
    over = client.call("voice_chunk", {"voice_id": voice_id, "seq": 3, "data": B64(b"x")})
    assert_failed(over, client, "audio_too_large", voice_id)
    assert not rds.exists(f"voice:{voice_id}", f"voice:{voice_id}:chunks")
    late = client.call("voice_chunk", {"voice_id": voice_id, "seq": 4, "data": B64(b"x")})
    assert_failed(late, client, "not_found", voice_id)

    # Payload errors.
    for payload in ({"format": "flac"}, "wav", {"format": "wav", "language": "de"}):
        assert_failed(client.call("voice_start", payload), client, "invalid_payload", None)
    voice_id = client.call("voice_start", {"format": "wav"})["voice_id"]
    seen_voice_ids.append(voice_id)
    for payload in (
        {"voice_id": voice_id, "seq": "0", "data": "AA=="},
        {"voice_id": voice_id, "seq": 0},
        {"seq": 0, "data": "AA=="},
    ):
        assert_failed(client.call("voice_chunk", payload), client, "invalid_payload", None)
    too_long_rid = {"voice_id": voice_id, "request_id": "r" * 65}
    assert_failed(client.call("voice_complete", too_long_rid), client, "invalid_payload", None)
    assert_failed(
        client.call("voice_complete", {"voice_id": voice_id}), client, "audio_invalid", None
    )


def test_container_and_duration_checks_at_complete(
    client: Client, pg_url: str, fake: FakeOpenAI, seen_voice_ids: list[str]
) -> None:
    before = len(fake.audio_requests())
    # Declared webm, sent a WAV.
    voice_id = client.send_clip("webm", make_wav(0.5))
    seen_voice_ids.append(voice_id)
    ack = client.call("voice_complete", {"voice_id": voice_id})
    assert_failed(ack, client, "audio_invalid", voice_id)
    # A WAV longer than MAX_AUDIO_SECONDS, read from its header: never transcribed.
    voice_id = client.send_clip("wav", make_wav(MAX_AUDIO_SECONDS + 1, rate=4000))
    seen_voice_ids.append(voice_id)
    ack = client.call("voice_complete", {"voice_id": voice_id})
    assert_failed(ack, client, "audio_too_large", voice_id)
    assert "segundos" in ack["error"]["message"]
    row = voice_row(pg_url, voice_id)
    assert row is not None and (row["status"], row["error_code"]) == ("failed", "audio_too_large")
    # An mp3 whose length only the transcription knows.
    fake.push_audio(Behaviour(duration_s=MAX_AUDIO_SECONDS + 10))
    voice_id = client.send_clip("mp3", b"ID3\x04\x00" + os.urandom(3000))
    seen_voice_ids.append(voice_id)
    ack = client.call("voice_complete", {"voice_id": voice_id})
    assert_failed(ack, client, "audio_too_large", voice_id)
    assert len(fake.audio_requests()) == before + 1
    assert client.http("/api/v1/me")["credits"] == 20  # the voice fee came back


def test_another_users_voice_id_is_not_found(
    client: Client, server: ServerProcess, rds: redis.Redis, seen_voice_ids: list[str]
) -> None:
    voice_id = client.send_clip("ogg", b"OggS" + os.urandom(500))
    seen_voice_ids.append(voice_id)
    other = Client(server)
    try:
        chunk = other.call("voice_chunk", {"voice_id": voice_id, "seq": 1, "data": "@@"})
        assert_failed(chunk, other, "not_found", voice_id)
        done = other.call("voice_complete", {"voice_id": voice_id})
        assert_failed(done, other, "not_found", voice_id)
        assert rds.exists(f"voice:{voice_id}")  # the stranger could not discard it
        ack = client.call(
            "voice_complete", {"voice_id": voice_id, "transcript": "resuelve x + 1 = 3"}
        )
        assert ack["ok"], ack
    finally:
        other.close()
    client.wait_for("explanation_complete", interaction_id=ack["interaction_id"])


def test_transcription_failure_refunds_the_voice_fee(
    client: Client, fake: FakeOpenAI, pg_url: str, seen_voice_ids: list[str]
) -> None:
    fake.push_audio(Behaviour.error(400))
    voice_id = client.send_clip("ogg", b"OggS" + os.urandom(4000))
    seen_voice_ids.append(voice_id)
    ack = client.call("voice_complete", {"voice_id": voice_id, "request_id": "falla"})
    assert_failed(ack, client, "transcription_failed", voice_id)
    client.wait_for("credits_updated", action_type="refund")
    deltas = [(e["delta"], e["action_type"]) for e in client.events("credits_updated")]
    assert deltas[-2:] == [(-1, "voice"), (1, "refund")]
    assert client.http("/api/v1/me")["credits"] == 20
    usage = client.http("/api/v1/credits/usage")["items"]
    assert sorted(
        (u["credits"], u["action_type"]) for u in usage if u["action_type"] != "grant"
    ) == [
        (-1, "refund"),
        (1, "voice"),
    ]
    row = voice_row(pg_url, voice_id)
    assert row is not None and (row["status"], row["error_code"]) == (
        "failed",
        "transcription_failed",
    )
    # The failed request did not keep its request_id: a retry with it is a new request.
    voice_id = client.send_clip("ogg", b"OggS" + os.urandom(100))
    seen_voice_ids.append(voice_id)
    retry = client.call("voice_complete", {"voice_id": voice_id, "request_id": "falla"})
    assert retry["ok"], retry
    client.wait_for("explanation_complete", interaction_id=retry["interaction_id"])


def test_abandoned_clip_expires(client: Client, rds: redis.Redis) -> None:
    voice_id = client.send_clip("ogg", b"OggS" + os.urandom(2000), chunk=700)
    assert rds.exists(f"voice:{voice_id}") and rds.exists(f"voice:{voice_id}:chunks")
    time.sleep(CLIP_TTL_S + 0.5)
    assert not rds.exists(f"voice:{voice_id}", f"voice:{voice_id}:chunks")
    ack = client.call("voice_complete", {"voice_id": voice_id})
    assert_failed(ack, client, "not_found", voice_id)


def test_without_openai_transcription_says_how_to_configure_it(
    offline_server: ServerProcess, rds: redis.Redis, seen_voice_ids: list[str]
) -> None:
    c = Client(offline_server)
    try:
        voice_id = c.send_clip("wav", make_wav(0.5))
        seen_voice_ids.append(voice_id)
        ack = c.call("voice_complete", {"voice_id": voice_id})
        assert_failed(ack, c, "transcription_failed", voice_id)
        assert "OPENAI_API_KEY" in ack["error"]["message"]
        assert c.http("/api/v1/me")["credits"] == 20
        # The development transcript still works, answered by the offline engine.
        voice_id = c.send_clip("wav", make_wav(0.5))
        seen_voice_ids.append(voice_id)
        ack = c.call("voice_complete", {"voice_id": voice_id, "transcript": "resuelve 2x + 3 = 7"})
        assert ack["ok"], ack
        c.wait_for("explanation_complete", interaction_id=ack["interaction_id"])
        assert_grammar(c, ack["interaction_id"])
        items = c.http("/api/v1/history")["items"]
        assert [i["input_type"] for i in items] == ["voice"]
    finally:
        c.close()
    assert not list(rds.scan_iter(f"voice:{voice_id}*"))
