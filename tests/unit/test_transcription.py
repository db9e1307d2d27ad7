"""Transcription with the real SDK against the local fake server."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from app.adapters.engines.base import EngineError
from app.adapters.transcription import Transcriber, TranscriptionResult
from app.domain.errors import Refused
from app.socket_events.messages import describe
from tests.support.fake_openai import Behaviour, FakeOpenAI

CLIP = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.audio_script.clear()
    server.requests.clear()
    return server


def test_whisper_uses_verbose_json_and_reports_duration(fake: FakeOpenAI) -> None:
    fake.push_audio(Behaviour(transcript=" ¿Qué es un vector? ", duration_s=3.25))
    result = Transcriber("sk-t", fake.base_url, "whisper-1", 5).transcribe(CLIP, "wav")
    assert result == TranscriptionResult(text="¿Qué es un vector?", duration_s=3.25)
    [request] = fake.audio_requests()
    assert request.body["model"] == "whisper-1"
    assert request.body["language"] == "es"
    assert request.body["response_format"] == "verbose_json"
    assert request.body["file_filename"] == "audio.wav"
    assert request.files["file"] == CLIP


def test_json_models_read_duration_from_usage(fake: FakeOpenAI) -> None:
    fake.push_audio(Behaviour(transcript="hola", duration_s=1.5))
    t = Transcriber("sk-t", fake.base_url, "gpt-4o-mini-transcribe", 5)
    result = t.transcribe(b"\x1aE\xdf\xa3" + bytes(10), "webm", language="en")
    assert result == TranscriptionResult(text="hola", duration_s=1.5)
    [request] = fake.audio_requests()
    assert request.body["response_format"] == "json"
    assert request.body["language"] == "en"


def test_model_refusing_verbose_json_falls_back_to_json_once(fake: FakeOpenAI) -> None:
    fake.push_audio(Behaviour(verbose_supported=False), Behaviour(transcript="dos"))
    t = Transcriber("sk-t", fake.base_url, "whisper-large", 5)
    assert t.transcribe(CLIP, "wav").text == "dos"
    assert t.transcribe(CLIP, "wav").text == fake.default_audio.transcript
    formats = [r.body["response_format"] for r in fake.audio_requests()]
    assert formats == ["verbose_json", "json", "json"]


@pytest.mark.parametrize("behaviour", [Behaviour.error(500), Behaviour.error(401)])
def test_api_errors_are_transcription_failed(fake: FakeOpenAI, behaviour: Behaviour) -> None:
    fake.push_audio(*(behaviour for _ in range(3)))
    t = Transcriber("sk-t", fake.base_url, "whisper-1", 5, max_retries=0)
    with pytest.raises(EngineError) as err:
        t.transcribe(CLIP, "wav")
    assert err.value.code == "transcription_failed"
    assert "audio" in describe(Refused(err.value.code, err.value.reason))


def test_empty_transcript_and_empty_clip_fail(fake: FakeOpenAI) -> None:
    fake.push_audio(Behaviour(transcript="   "))
    t = Transcriber("sk-t", fake.base_url, "whisper-1", 5)
    with pytest.raises(EngineError) as err:
        t.transcribe(CLIP, "wav")
    assert err.value.code == "transcription_failed"
    with pytest.raises(EngineError):
        t.transcribe(b"", "wav")


def test_timeout_is_transcription_failed(fake: FakeOpenAI) -> None:
    fake.push_audio(Behaviour(first_byte_delay_s=1.0))
    t = Transcriber("sk-t", fake.base_url, "whisper-1", 0.3, max_retries=0)
    with pytest.raises(EngineError) as err:
        t.transcribe(CLIP, "wav")
    assert err.value.code == "transcription_failed"


def test_from_settings_honours_base_url_and_model(fake: FakeOpenAI) -> None:
    settings = SimpleNamespace(
        OPENAI_API_KEY="sk-s",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_TRANSCRIBE_MODEL="whisper-1",
        AI_TIMEOUT_S=5,
    )
    assert Transcriber.from_settings(settings).transcribe(CLIP, "wav").duration_s == 2.5
    assert fake.audio_requests()[0].headers["authorization"] == "Bearer sk-s"
    with pytest.raises(EngineError):
        Transcriber.from_settings(SimpleNamespace(**{**vars(settings), "OPENAI_API_KEY": None}))
