"""The readiness checks' deadline and single flight (app/blueprints/health.py)."""

from __future__ import annotations

import threading

from app.blueprints.health import BoundedProbe, check_all


def test_a_failing_check_reports_its_error_and_a_passing_one_ok() -> None:
    def broken() -> None:
        raise ConnectionRefusedError("port closed")

    checks = check_all([BoundedProbe("a", lambda: None), BoundedProbe("b", broken)], 1.0)
    assert checks == {"a": "ok", "b": "ConnectionRefusedError: port closed"}


def test_a_hanging_check_is_a_timeout_and_is_never_started_twice() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hangs() -> None:
        calls.append(1)
        release.wait(10)

    probe = BoundedProbe("redis", hangs)
    first = check_all([probe], 0.05)
    second = check_all([probe], 0.05)
    assert first == second == {"redis": "timeout: no answer within 0.05 s"}
    assert len(calls) == 1  # the second call waited on the first, still hanging, check
    hanging = probe.begin()  # still the first run: nothing new is started
    assert len(calls) == 1
    release.set()
    assert hanging.done.wait(1)
    assert check_all([probe], 1.0) == {"redis": "ok"}
    assert len(calls) == 2  # once it answered, the next call checked afresh
