"""The lifecycle log's lines, and what they cost when INFO is off (nothing computed)."""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import structlog

from app.logging_setup import configure_logging
from app.use_cases import lifecycle_log

USER = "4f1c2a8e-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    configure_logging("INFO", "console")


def stream() -> SimpleNamespace:
    state = SimpleNamespace(
        interaction_id="i-1", user_id=USER, source="cache", credits_charged=1, next_seq=7
    )
    return SimpleNamespace(state=state, next_seq=7, received_at=time.monotonic() - 0.25)


def test_a_line_names_the_user_by_hash_and_times_it(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    lifecycle_log.stream_line("explanation_completed", stream(), events=7)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "explanation_completed"
    assert line["user"] == lifecycle_log.user_hash(USER) and len(line["user"]) == 16
    assert USER not in json.dumps(line)
    assert 250 <= line["ms"] < 5000
    assert line["interaction_id"] == "i-1" and line["next_seq"] == 7 and line["events"] == 7
    assert line["source"] == "cache" and line["credits_charged"] == 1


def test_disabled_lines_compute_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("WARNING", "json")

    def boom(_user_id: str) -> str:
        raise AssertionError("hashed while disabled")

    monkeypatch.setattr(lifecycle_log, "user_hash", boom)
    lifecycle_log.emit("question_received", USER, time.monotonic(), interaction_id="i-1")
    lifecycle_log.stream_line("explanation_first_event", stream())
    assert capsys.readouterr().err == ""
    cost = timeit.timeit(lambda: lifecycle_log.stream_line("x", stream()), number=2000) / 2000
    assert cost < 20e-6  # building the fake stream dominates; the check itself is ~100 ns


def test_since_is_whole_milliseconds() -> None:
    assert lifecycle_log.since(None) is None
    assert lifecycle_log.since(10.0, now=10.2505) == 250
