"""Voice clip rules on fakeredis + SQLite: magic bytes, base64, chunk order, size,
ownership, TTL, the voice fee's hold and refund, and the order of checks.

Commands are parsed from payloads as the socket layer does (`parse`); the clip
upload is `VoiceClips`, completion `VoiceQuestions` with the real admission and a
unit of work on fakeredis + SQLite; the interaction owner is a recording fake.
"""

from __future__ import annotations

import base64
import io
import struct
import threading
import time
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from limits.storage import MemoryStorage

from app.adapters.engines.base import EngineError
from app.adapters.transcription import TranscriptionResult
from app.answer_cache import AnswerCache
from app.config import Settings, load_settings
from app.domain.audio import decode_base64, matches_format, wav_duration
from app.domain.commands import VoiceChunk, VoiceComplete, VoiceStart
from app.domain.errors import Refused
from app.domain.pricing import Prices
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.rate_limits import RateLimiter
from app.repositories.redis.requests import RequestRepository
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.voice_clips import DEFAULT_CLIP_TTL_S, VoiceClipRepository
from app.repositories.sql import SqliteDatabase
from app.repositories.unit_of_work import RedisRepositories, StoreUnitOfWork
from app.socket_events.messages import MESSAGES, describe
from app.socket_events.parsing import parse
from app.streaming.ports import planned_payload
from app.use_cases.admission import AdmissionRules, Admit, Admitted
from app.use_cases.credits import CreditNote
from app.use_cases.identity import Caller
from app.use_cases.voice_clips import VoiceClips, VoiceLimits
from app.use_cases.voice_questions import VoiceQuestions

B64 = base64.b64encode


def make_wav(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(bytes([128]) * int(seconds * rate))
    return buf.getvalue()


SAMPLES = {
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 20,
    "ogg": b"OggS\x00\x02" + b"\x00" * 30,
    "wav": make_wav(0.5),
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 20,
    "m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 20,
}


# -- pure checks ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_magic_bytes_match_only_their_format(fmt: str) -> None:
    for other, audio in SAMPLES.items():
        assert matches_format(audio, fmt) is (other == fmt), (fmt, other)


def test_mp3_frame_sync_without_id3_and_short_inputs() -> None:
    assert matches_format(b"\xff\xfb\x90\x64" + b"\x00" * 10, "mp3")
    assert matches_format(b"\xff\xf3\x00", "mp3")
    assert not matches_format(b"\xff\x1b\x00", "mp3")
    assert not matches_format(b"RIFF\x00\x00\x00\x00AVI ", "wav")
    for fmt in SAMPLES:
        assert not matches_format(b"", fmt)
        assert not matches_format(b"\x00", fmt)
    assert not matches_format(SAMPLES["wav"], "flac")


def test_strict_base64() -> None:
    assert decode_base64(B64(b"hola").decode()) == b"hola"
    assert decode_base64("") == b""
    for bad in ("a", "abc", "ab$d", "aGVs bG8=", "ñññ", "aGVsbG8=aGVs"):
        assert decode_base64(bad) is None, bad


def test_wav_duration_from_wave_and_riff_header() -> None:
    assert wav_duration(make_wav(2.0)) == pytest.approx(2.0)
    assert wav_duration(make_wav(0.25, rate=16000)) == pytest.approx(0.25)
    # A streamed WAV declares a huge data size: only the bytes present count.
    streamed = bytearray(make_wav(1.0))
    data_at = streamed.index(b"data")
    streamed[data_at + 4 : data_at + 8] = struct.pack("<I", 0xFFFFFFFF)
    streamed[4:8] = struct.pack("<I", 0xFFFFFFFF)
    assert wav_duration(bytes(streamed)) == pytest.approx(1.0)
    assert wav_duration(SAMPLES["ogg"]) is None
    assert wav_duration(b"RIFF\x00\x00\x00\x00WAVE") is None


def test_clip_ttl_is_the_repositorys_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """`VOICE_CLIP_TTL_S` (default 300) is the TTL the repository gives both keys."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    assert load_settings(_env_file=None, VOICE_CLIP_TTL_S=7).VOICE_CLIP_TTL_S == 7
    monkeypatch.setenv("VOICE_CLIP_TTL_S", "9")
    assert load_settings(_env_file=None).VOICE_CLIP_TTL_S == 9
    monkeypatch.delenv("VOICE_CLIP_TTL_S")
    assert load_settings(_env_file=None).VOICE_CLIP_TTL_S == 300 == DEFAULT_CLIP_TTL_S

    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    assert VoiceClipRepository(client).ttl_s == 300
    repo = VoiceClipRepository(client, 7)
    voice_id = repo.create("u", "s", "ogg", "es", None)
    assert 0 < client.ttl(repo.meta_key(voice_id)) <= 7
    assert repo.append(voice_id, 0, b"OggS", 100).status == "ok"
    assert 0 < client.ttl(repo.chunks_key(voice_id)) <= 7  # both keys expire together
    assert 0 < client.ttl(repo.meta_key(voice_id)) <= 7  # a chunk does not extend it


# -- the service on fakeredis + SQLite -----------------------------------------------


class FakeTranscriber:
    def __init__(self, text: str = "resuelve 2x + 3 = 7", duration: float | None = 2.0) -> None:
        self.text, self.duration = text, duration
        self.calls: list[tuple[bytes, str, str]] = []
        self.fail = False

    def transcribe(self, audio: bytes, fmt: str, language: str = "es") -> TranscriptionResult:
        self.calls.append((audio, fmt, language))
        if self.fail:
            raise EngineError("transcription_failed", "No pudimos transcribir el audio.")
        return TranscriptionResult(self.text, self.duration)


class RecordingTransport:
    """The sockets: events to the caller, and credit notices (delta, action)."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, dict[str, Any], str]] = []
        self.credit_events: list[tuple[int, str]] = []

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        self.emitted.append((event, payload, sid))

    def send_planned(self, sid: str, event: Any, interaction_id: str, seq: int) -> None:
        self.send(sid, event.name, planned_payload(event, interaction_id, seq))

    def send_error(self, sid: str, error: Refused) -> None:
        self.emitted.append(("error", {"code": error.code}, sid))

    def notify_credits(self, user_id: str, note: CreditNote) -> None:
        self.credit_events.append((note.delta, note.action_type))


class RecordingInteractions:
    """The interaction owner: records the admitted questions it is asked to stream."""

    def __init__(self) -> None:
        self.started: list[tuple[Admit, Admitted]] = []

    def start(self, cmd: Admit, admitted: Admitted) -> None:
        self.started.append((cmd, admitted))


class Rig:
    def __init__(self, tmp_path: Path, **kw: Any) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.redis = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
        self.db = SqliteDatabase(tmp_path / "voice.db")
        self.clips = VoiceClipRepository(self.redis, kw.pop("ttl", 300))
        self.requests = RequestRepository(self.redis)
        self.limiter = RateLimiter(MemoryStorage(), kw.pop("rate", "100/minute"), "questions")
        redis_repos = RedisRepositories(
            requests=self.requests,
            question_limits=self.limiter,
            sessions=SessionRepository(self.redis),
            feeds=GenerationFeedRepository(self.redis, 60),
        )
        self.uow_factory = lambda: StoreUnitOfWork(self.db, redis_repos)
        self.transport = RecordingTransport()
        self.interactions = RecordingInteractions()
        self.can_generate = True  # False: the question flow refuses (ai_unavailable)
        self.transcriber: FakeTranscriber | None = kw.pop("transcriber", FakeTranscriber())
        self.uploads = VoiceClips(
            self.clips,
            VoiceLimits(
                max_bytes=kw.pop("max_bytes", 4096),
                max_seconds=kw.pop("max_seconds", 5),
                voice_fee=1,
                cheapest_question=1,
                max_open_per_user=kw.pop("open_per_user", 0),
                max_open_per_session=kw.pop("open_per_session", 0),
                max_user_bytes=kw.pop("user_bytes", 0),
            ),
            gap_grace_s=kw.pop("grace", 0.2),
        )
        self.voice = VoiceQuestions(
            clips=self.uploads,
            uow_factory=self.uow_factory,
            rules=AdmissionRules(
                prices=Prices(cached=1, generated=2, voice=1),
                cache=AnswerCache(),
                can_generate=lambda text: self.can_generate,
                refusal_text=lambda text: "No puedo responder eso.",
            ),
            interactions=self.interactions,  # type: ignore[arg-type]
            transport=self.transport,
            transcriber=lambda: self.transcriber,
            production=kw.pop("production", False),
        )
        self.caller = self.new_caller(credits=kw.pop("credits", 20))
        assert not kw, f"unknown options: {kw}"

    # -- the socket handlers' calls: payload parsed, then the use case ---------------

    def start(self, caller: Caller, payload: Any) -> str:
        return self.uploads.start(caller, parse(VoiceStart, payload))

    def add_chunk(self, caller: Caller, payload: Any) -> int:
        return self.uploads.add_chunk(caller, parse(VoiceChunk, payload))

    def complete(self, caller: Caller, payload: Any) -> tuple[str, str]:
        """(voice_id, interaction_id), as the voice_complete ack carries them."""
        cmd = parse(VoiceComplete, payload)
        return cmd.voice_id, self.voice.complete(caller, cmd)

    # -- looking at the stores ------------------------------------------------------

    def new_caller(self, credits: int = 20) -> Caller:
        user = str(uuid.uuid4())
        with self.db.unit_of_work() as uow:
            uow.credits.ensure_profile(user, None, credits)
            uow.commit()
        return Caller(user, str(uuid.uuid4()), "sid-" + user[:8])

    def balance(self, caller: Caller | None = None) -> int:
        with self.db.unit_of_work() as uow:
            profile = uow.profiles.get((caller or self.caller).user_id)
        assert profile is not None
        return profile.credits

    def ledger(self, caller: Caller | None = None) -> list[tuple[int, str]]:
        with self.db.unit_of_work() as uow:
            rows = uow.credits.list_for_user((caller or self.caller).user_id, 100, None)
        return sorted((r.credits, r.action_type) for r in rows if r.action_type != "grant")

    def voice_row(self, voice_id: str) -> Any:
        with self.db.unit_of_work() as uow:
            return uow.voices.get(voice_id)

    def voice_keys(self) -> list[str]:
        return sorted(self.redis.scan_iter("voice:*"))

    def send(self, fmt: str, audio: bytes, size: int = 1000, caller: Caller | None = None) -> str:
        caller = caller or self.caller
        voice_id = self.start(caller, {"format": fmt})
        for seq, at in enumerate(range(0, len(audio), size)):
            chunk = B64(audio[at : at + size]).decode()
            self.add_chunk(caller, {"voice_id": voice_id, "seq": seq, "data": chunk})
        return voice_id


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.db.close()


def code_of(fn: Any, *args: Any) -> Refused:
    with pytest.raises(Refused) as info:
        fn(*args)
    assert describe(info.value)  # every refusal has a text for the student
    return info.value


def test_start_validates_and_stores_a_scoped_clip_with_ttl(rig: Rig) -> None:
    for bad in (None, "wav", {"format": "flac"}, {}, {"format": "wav", "language": "fr"}):
        assert code_of(rig.start, rig.caller, bad).code == "invalid_payload"
    bad_ctx = {"format": "wav", "context": "x"}
    assert code_of(rig.start, rig.caller, bad_ctx).code == "invalid_payload"
    assert rig.voice_keys() == []
    voice_id = rig.start(rig.caller, {"format": "wav", "language": "en"})
    meta = rig.clips.get(voice_id)
    assert meta is not None and meta.user_id == rig.caller.user_id and meta.language == "en"
    assert meta.session_id == rig.caller.session_id and meta.format == "wav"
    assert 0 < rig.redis.ttl(f"voice:{voice_id}") <= 300


def test_chunks_contiguous_repeat_acked_with_total(rig: Rig) -> None:
    voice_id = rig.start(rig.caller, {"format": "ogg"})
    add = rig.add_chunk
    assert add(rig.caller, {"voice_id": voice_id, "seq": 0, "data": B64(b"OggS12").decode()}) == 6
    assert add(rig.caller, {"voice_id": voice_id, "seq": 1, "data": B64(b"abcd").decode()}) == 10
    # A repeated seq (even with other data) is ignored and acked with the current total.
    assert add(rig.caller, {"voice_id": voice_id, "seq": 0, "data": B64(b"zzzzzz").decode()}) == 10
    assert add(rig.caller, {"voice_id": voice_id, "seq": 1, "data": "!!bad!!"}) == 10
    assert rig.redis.ttl(f"voice:{voice_id}:chunks") > 0
    taken = rig.clips.take(voice_id)
    assert taken is not None and taken.audio == b"OggS12abcd" and taken.chunks == 2
    assert rig.voice_keys() == []
    assert rig.clips.take(voice_id) is None


def test_bad_chunk_payloads_are_invalid_payload_and_keep_the_clip(rig: Rig) -> None:
    voice_id = rig.start(rig.caller, {"format": "ogg"})
    for bad in (
        {"voice_id": voice_id, "seq": -1, "data": "AAAA"},
        {"voice_id": voice_id, "seq": True, "data": "AAAA"},
        {"voice_id": voice_id, "seq": "0", "data": "AAAA"},
        {"voice_id": voice_id, "seq": 0, "data": 5},
        {"voice_id": 5, "seq": 0, "data": "AAAA"},
        [],
    ):
        assert code_of(rig.add_chunk, rig.caller, bad).code == "invalid_payload"
    assert rig.clips.get(voice_id) is not None


def test_gap_discards_the_clip_then_not_found(rig: Rig) -> None:
    voice_id = rig.send("ogg", b"OggS" + b"x" * 1500)
    started = time.monotonic()
    err = code_of(rig.add_chunk, rig.caller, {"voice_id": voice_id, "seq": 3, "data": "AAAA"})
    assert err.code == "audio_invalid" and err.voice_id == voice_id and "2" in describe(err)
    assert time.monotonic() - started >= 0.2  # waited the grace for an out-of-order chunk
    assert rig.voice_keys() == []
    again = {"voice_id": voice_id, "seq": 2, "data": "AAAA"}
    assert code_of(rig.add_chunk, rig.caller, again).code == "not_found"
    assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == "not_found"


def test_out_of_order_chunks_within_the_grace_are_accepted(rig: Rig) -> None:
    voice_id = rig.start(rig.caller, {"format": "ogg"})
    results: list[int] = []
    late = threading.Thread(
        target=lambda: results.append(
            rig.add_chunk(rig.caller, {"voice_id": voice_id, "seq": 1, "data": "QUJD"})
        )
    )
    late.start()
    time.sleep(0.05)
    rig.add_chunk(rig.caller, {"voice_id": voice_id, "seq": 0, "data": B64(b"OggS").decode()})
    late.join()
    assert results == [7]
    taken = rig.clips.take(voice_id)
    assert taken is not None and taken.audio == b"OggSABC"


def test_bad_base64_discards_the_clip(rig: Rig) -> None:
    voice_id = rig.send("ogg", b"OggS" + b"x" * 100)
    err = code_of(rig.add_chunk, rig.caller, {"voice_id": voice_id, "seq": 1, "data": "@@@@"})
    assert err.code == "audio_invalid" and err.voice_id == voice_id
    assert rig.voice_keys() == []
    assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == "not_found"


def test_size_counted_while_chunks_arrive(rig: Rig) -> None:
    voice_id = rig.send("ogg", b"OggS" + b"x" * 3996)  # exactly the 4096-byte limit... minus 96
    assert rig.clips.get(voice_id).bytes == 4000  # type: ignore[union-attr]
    ok = {"voice_id": voice_id, "seq": 4, "data": B64(b"y" * 96).decode()}
    assert rig.add_chunk(rig.caller, ok) == 4096
    over = {"voice_id": voice_id, "seq": 5, "data": B64(b"z").decode()}
    err = code_of(rig.add_chunk, rig.caller, over)
    assert err.code == "audio_too_large" and err.voice_id == voice_id
    assert rig.voice_keys() == []
    assert code_of(rig.add_chunk, rig.caller, over).code == "not_found"
    # One huge chunk is refused before it is even decoded.
    voice_id = rig.start(rig.caller, {"format": "ogg"})
    huge = {"voice_id": voice_id, "seq": 0, "data": B64(b"q" * 5000).decode()}
    assert code_of(rig.add_chunk, rig.caller, huge).code == "audio_too_large"
    assert rig.voice_keys() == []


def test_voice_ids_are_scoped_to_user_and_session(rig: Rig) -> None:
    voice_id = rig.send("ogg", b"OggS")
    stranger = rig.new_caller()
    same_user_other_session = Caller(rig.caller.user_id, str(uuid.uuid4()), "sid-x")
    for other in (stranger, same_user_other_session):
        chunk = {"voice_id": voice_id, "seq": 1, "data": "@@"}
        assert code_of(rig.add_chunk, other, chunk).code == "not_found"
        assert code_of(rig.complete, other, {"voice_id": voice_id}).code == "not_found"
    assert rig.clips.get(voice_id) is not None  # strangers cannot discard it
    assert rig.transcriber is not None and rig.transcriber.calls == []


def test_abandoned_clip_expires(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ttl=1)
    voice_id = rig.send("ogg", b"OggS" + b"x" * 10)
    assert len(rig.voice_keys()) == 2
    time.sleep(1.3)
    assert rig.voice_keys() == []
    assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == "not_found"


# -- voice_complete ------------------------------------------------------------------


def test_complete_transcribes_holds_fee_and_starts_a_voice_question(rig: Rig) -> None:
    wav = make_wav(0.45)
    voice_id = rig.send("wav", wav)
    vid, iid = rig.complete(rig.caller, {"voice_id": voice_id, "request_id": "r1"})
    assert vid == voice_id
    assert rig.transcriber is not None and rig.transcriber.calls == [(wav, "wav", "es")]
    [(ask, admitted)] = rig.interactions.started
    assert (ask.interaction_id, ask.input_type, ask.voice_fee) == (iid, "voice", 1)
    assert ask.counted  # request id and rate limit were taken with the clip
    assert ask.question.text == "resuelve 2x + 3 = 7" and ask.request_id == "r1"
    assert ask.caller == rig.caller
    assert admitted.interaction.id == iid and admitted.interaction.input_type == "voice"
    assert admitted.interaction.credits_charged == 2 + 1 and admitted.balance == 17
    assert rig.transport.emitted == [
        (
            "transcription_complete",
            {"voice_id": voice_id, "text": "resuelve 2x + 3 = 7", "duration_s": 0.45},
            rig.caller.sid,
        )
    ]
    row = rig.voice_row(voice_id)
    assert (row.status, row.interaction_id, row.format, row.bytes) == (
        "transcribed",
        iid,
        "wav",
        len(wav),
    )
    assert row.transcript == "resuelve 2x + 3 = 7" and row.duration_s == pytest.approx(0.45)
    # The voice fee was held once (the question's admission holds only its own price).
    assert rig.ledger() == [(1, "voice"), (2, "question_generated")]
    assert rig.balance() == 17
    assert rig.voice_keys() == []
    # A repeated request_id answers with the first interaction and transcribes nothing.
    again = rig.complete(rig.caller, {"voice_id": voice_id, "request_id": "r1"})
    assert again == (voice_id, iid)
    assert len(rig.transcriber.calls) == 1 and len(rig.interactions.started) == 1
    assert rig.balance() == 17


def test_whole_clip_in_data_when_no_chunks(rig: Rig) -> None:
    voice_id = rig.start(rig.caller, {"format": "ogg", "language": "en"})
    audio = SAMPLES["ogg"]
    rig.complete(rig.caller, {"voice_id": voice_id, "data": B64(audio).decode()})
    assert rig.transcriber is not None and rig.transcriber.calls == [(audio, "ogg", "en")]
    assert rig.voice_keys() == []


def test_complete_refusals_discard_the_clip(rig: Rig) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("wav", {"data": B64(SAMPLES["ogg"]).decode()}, "audio_invalid"),  # container mismatch
        ("webm", {"data": "not base64!"}, "audio_invalid"),
        ("mp3", {}, "audio_invalid"),  # no audio at all
        ("ogg", {"data": B64(b"OggS" + b"x" * 5000).decode()}, "audio_too_large"),
        # 6 s > 5 s, read from the header of a small (2.4 kB) clip
        ("wav", {"data": B64(make_wav(6, rate=400)).decode()}, "audio_too_large"),
    ]
    for fmt, extra, code in cases:
        voice_id = rig.start(rig.caller, {"format": fmt})
        err = code_of(rig.complete, rig.caller, {"voice_id": voice_id, **extra})
        assert (err.code, err.voice_id) == (code, voice_id), (fmt, extra)
        assert rig.voice_keys() == []
        assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == "not_found"
    # Chunks and data together: the clip is ambiguous.
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    err = code_of(rig.complete, rig.caller, {"voice_id": voice_id, "data": B64(b"OggS").decode()})
    assert err.code == "audio_invalid" and rig.voice_keys() == []
    assert rig.transcriber is not None and rig.transcriber.calls == []
    assert rig.ledger() == [] and rig.balance() == 20


def test_payload_errors_before_anything_else(rig: Rig) -> None:
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    for bad in (
        "x",
        {},
        {"voice_id": voice_id, "data": 3},
        {"voice_id": voice_id, "transcript": 3},
        {"voice_id": voice_id, "request_id": "r" * 65},
    ):
        assert code_of(rig.complete, rig.caller, bad).code == "invalid_payload"
    assert rig.clips.get(voice_id) is not None  # payload errors do not consume the clip
    assert rig.transcriber is not None and rig.transcriber.calls == []
    assert rig.ledger() == [] and rig.voice_row(voice_id) is None


def test_transcript_accepted_in_development_refused_in_production(tmp_path: Path) -> None:
    dev = Rig(tmp_path / "dev", transcriber=None)
    voice_id = dev.start(dev.caller, {"format": "webm"})
    _, iid = dev.complete(dev.caller, {"voice_id": voice_id, "transcript": "  deriva x^2  "})
    assert dev.interactions.started[0][0].question.text == "deriva x^2"
    assert dev.interactions.started[0][0].interaction_id == iid
    assert dev.voice_row(voice_id).transcript == "deriva x^2"
    prod = Rig(tmp_path / "prod", production=True)
    voice_id = prod.start(prod.caller, {"format": "ogg"})
    err = code_of(prod.complete, prod.caller, {"voice_id": voice_id, "transcript": "hola"})
    assert err.code == "invalid_payload" and "desarrollo" in describe(err)
    assert prod.transcriber is not None and prod.transcriber.calls == []


def test_no_transcriber_is_a_clear_spanish_failure_and_refunds(tmp_path: Path) -> None:
    rig = Rig(tmp_path, transcriber=None)
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    err = code_of(rig.complete, rig.caller, {"voice_id": voice_id, "request_id": "q"})
    message = describe(err)
    assert err.code == "transcription_failed"
    assert message == MESSAGES["transcription_failed.not_configured"]
    assert "OPENAI_API_KEY" in message
    assert rig.ledger() == [(-1, "refund"), (1, "voice")] and rig.balance() == 20
    assert rig.transport.credit_events == [(-1, "voice"), (1, "refund")]
    assert rig.voice_row(voice_id).status == "failed"
    assert rig.voice_keys() == []
    # The failed request released its request_id: a retry is a new request.
    assert rig.redis.get(RequestRepository.key(rig.caller.user_id, "q")) is None
    assert rig.requests.claim(rig.caller.user_id, "q", "retry") is None


def test_transcription_failure_and_too_long_transcription_refund(rig: Rig) -> None:
    assert rig.transcriber is not None
    rig.transcriber.fail = True
    voice_id = rig.send("mp3", SAMPLES["mp3"])
    err = code_of(rig.complete, rig.caller, {"voice_id": voice_id})
    assert err.code == "transcription_failed" and err.voice_id == voice_id
    rig.transcriber.fail = False
    rig.transcriber.duration = 9.0  # over the 5 s limit, known only from the transcription
    voice_id = rig.send("m4a", SAMPLES["m4a"])
    assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == ("audio_too_large")
    rig.transcriber.duration, rig.transcriber.text = 1.0, "   "
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    assert code_of(rig.complete, rig.caller, {"voice_id": voice_id}).code == ("question_empty")
    assert rig.balance() == 20
    assert rig.ledger() == [(-1, "refund")] * 3 + [(1, "voice")] * 3
    assert rig.voice_keys() == []


def test_question_flow_refusal_refunds_the_voice_fee(rig: Rig) -> None:
    rig.can_generate = False  # the question's admission refuses it
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    err = code_of(rig.complete, rig.caller, {"voice_id": voice_id})
    assert err.code == "ai_unavailable" and err.voice_id == voice_id
    assert rig.balance() == 20 and rig.voice_row(voice_id).status == "failed"
    assert rig.ledger() == [(-1, "refund"), (1, "voice")]
    assert rig.interactions.started == []


def test_order_rate_limit_then_credits_before_transcription(tmp_path: Path) -> None:
    rig = Rig(tmp_path, rate="2/minute")
    for _ in range(2):
        rig.complete(rig.caller, {"voice_id": rig.send("ogg", SAMPLES["ogg"])})
    assert rig.transcriber is not None and len(rig.transcriber.calls) == 2  # counted once each
    voice_id = rig.send("ogg", SAMPLES["ogg"])
    err = code_of(rig.complete, rig.caller, {"voice_id": voice_id, "request_id": "z"})
    assert err.code == "rate_limited" and err.retry_after and err.retry_after >= 1
    assert len(rig.transcriber.calls) == 2 and rig.voice_keys() == []
    assert rig.redis.get(RequestRepository.key(rig.caller.user_id, "z")) is None  # freed
    # Rate limited but a repeated request_id is still answered with the first interaction.
    first = rig.requests.claim(rig.caller.user_id, "old", "iid-old")
    assert first is None
    assert rig.complete(rig.caller, {"voice_id": "v", "request_id": "old"}) == (
        "v",
        "iid-old",
    )
    poor = Rig(tmp_path / "poor", credits=1)
    voice_id = poor.send("ogg", SAMPLES["ogg"])
    assert code_of(poor.complete, poor.caller, {"voice_id": voice_id}).code == (
        "insufficient_credits"
    )
    assert poor.transcriber is not None and poor.transcriber.calls == []
    assert poor.balance() == 1 and poor.ledger() == []
