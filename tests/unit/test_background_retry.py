"""The background worker tries a write again while a store is unreachable, and only then."""

from __future__ import annotations

import threading
from typing import Any

import redis

from app.use_cases import background
from app.use_cases.background import Worker


def thread_task(fn: Any, *args: Any) -> None:
    threading.Thread(target=fn, args=args, daemon=True).start()


def test_a_write_failing_on_an_outage_is_retried_until_it_succeeds() -> None:
    slept: list[float] = []
    calls: list[int] = []

    def write() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise redis.exceptions.ConnectionError("Redis is down")

    worker = Worker(thread_task, sleep=slept.append)
    worker.submit(write)
    assert worker.drain(5)
    assert len(calls) == 3
    assert slept == [1, 2]
    worker.close()


def test_other_failures_and_an_outage_past_the_retries_are_given_up() -> None:
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise ValueError("a bug, not an outage")

    def down() -> None:
        calls.append("down")
        raise redis.exceptions.TimeoutError("no answer")

    worker = Worker(thread_task, sleep=lambda _s: None)
    worker.submit(broken)
    worker.submit(down)
    assert worker.drain(5)
    assert calls.count("broken") == 1
    assert calls.count("down") == 1 + len(background.RETRY_DELAYS_S)
    worker.close()
