"""HTTP responses carry a request id, and log lines of the request name it."""

from __future__ import annotations

import json

import pytest
import structlog

from app import create_app
from app.config import Settings
from app.logging_setup import configure_logging


@pytest.fixture
def client(tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(
        APP_ENV="test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'ids.db'}",
        REDIS_URL="memory://ids",
        DEV_JWT_SECRET="s" * 32,
        LOG_FORMAT="json",
    )
    app = create_app(settings)

    @app.get("/_log")
    def _log() -> str:
        structlog.get_logger("test").info("probe")
        return "ok"

    yield app.test_client()
    structlog.reset_defaults()


def test_a_request_id_is_made_and_echoed(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_safe_incoming_id_is_kept_and_an_unsafe_one_replaced(client) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.get("/healthz", headers={"X-Request-ID": "edge-42"}).headers["X-Request-ID"]
        == "edge-42"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id!" + "x" * 65}).headers[
        "X-Request-ID"
    ]
    assert replaced != "bad id!" + "x" * 65 and len(replaced) == 32


def test_log_lines_of_a_request_carry_its_id(client, capfd) -> None:  # type: ignore[no-untyped-def]
    configure_logging("INFO", "json")  # write to the stream captured now
    client.get("/_log", headers={"X-Request-ID": "trace-7"})
    captured = capfd.readouterr()
    text = captured.err + captured.out
    lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
    probe = [x for x in lines if x.get("event") == "probe"]
    assert probe and probe[0]["request_id"] == "trace-7"
