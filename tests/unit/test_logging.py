"""Secrets and tokens never reach the logs (app.logging_setup redaction), JSON and console."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jwt
import pytest
import structlog

from app.logging_setup import configure_logging

TOKEN = jwt.encode(
    {"sub": "4f1c2a8e-0000-4000-8000-000000000001", "aud": "authenticated"},
    "s3cret-signing-key-for-the-logging-test-0123456789",
    algorithm="HS256",
)
SECRET_FIELDS = {
    "token": TOKEN,
    "access_token": "opaque-access-token-value",
    "refresh_token": "opaque-refresh-token-value",
    "authorization": f"Bearer {TOKEN}",
    "Authorization": "Basic dXNlcjpwYXNzd29yZA==",
    "client_secret": "client-secret-value",
    "SUPABASE_JWT_SECRET": "jwt-secret-value",
    "password": "hunter2-password-value",
    "api_key": "sk-live-api-key-value",
    "OPENAI_API_KEY": "sk-openai-key-value",
    "apikey": "anon-apikey-value",
    "sentry_dsn": "https://public@sentry.example/1",
}


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def _log_everything(capsys: pytest.CaptureFixture[str], fmt: str) -> str:
    configure_logging("DEBUG", fmt)
    log = structlog.get_logger("test")
    log.info("connect refused", **SECRET_FIELDS, user_id="u-1")
    log.warning(f"bad header Bearer {TOKEN} from client")
    log.error("verification failed", detail=f"token was {TOKEN}", path="/api/v1/me")
    return capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_secret_fields_and_jwts_are_redacted(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _log_everything(capsys, fmt)
    assert "connect refused" in out and "u-1" in out and "/api/v1/me" in out
    for value in SECRET_FIELDS.values():
        assert value not in out
    assert TOKEN not in out
    for part in TOKEN.split("."):
        assert part not in out
    assert "[redacted]" in out
    assert "[redacted-jwt]" in out


def test_json_lines_keep_their_shape(capsys: pytest.CaptureFixture[str]) -> None:
    out = _log_everything(capsys, "json")
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 3
    first = lines[0]
    assert first["event"] == "connect refused"
    assert first["level"] == "info"
    assert first["user_id"] == "u-1"
    for name in SECRET_FIELDS:
        assert first[name] == "[redacted]"
    assert lines[1]["event"] == "bad header Bearer [redacted-jwt] from client"
    assert lines[2]["detail"] == "token was [redacted-jwt]"


def test_ordinary_fields_are_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    structlog.get_logger("test").info(
        "question", interaction_id="i-1", question="¿cuánto es 2+2?", steps=3
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["interaction_id"] == "i-1"
    assert line["question"] == "¿cuánto es 2+2?"
    assert line["steps"] == 3


def test_plain_logging_lines_are_scrubbed_of_jwts(capfd: pytest.CaptureFixture[str]) -> None:
    import logging

    configure_logging("INFO", "json")
    logging.getLogger("werkzeug.probe").warning("bad request line GET /?t=%s", TOKEN)
    captured = capfd.readouterr()
    assert TOKEN not in captured.err + captured.out
    assert "[redacted-jwt]" in captured.err + captured.out


def test_token_counts_are_not_mistaken_for_secrets(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    structlog.get_logger("probe").info("usage", prompt_tokens=12, completion_tokens=34)
    captured = capfd.readouterr()
    line = next(x for x in (captured.err + captured.out).splitlines() if '"usage"' in x)
    assert json.loads(line)["prompt_tokens"] == 12
