"""Follows a generation's Redis feed for one stream: each step joins the plan as soon
as the generator (on any instance) appends it; the end or an error closes it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from app.domain.event_plan import EventPlan
from app.domain.explanation import Step
from app.repositories.outages import is_store_outage
from app.streaming.stream import LiveStream

log = structlog.get_logger(__name__)

BLOCK_MS = 1000


class Feeds(Protocol):
    def read(
        self, question_hash: str, after_id: str = "-", block_ms: int | None = None
    ) -> list[Any]: ...


def follow(
    feeds: Feeds,
    question_hash: str,
    stream: LiveStream,
    wake: Callable[[LiveStream], None],
    stall_timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run until the feed ends, fails or stalls, or the stream finishes; never raises."""
    last_id, last_progress = "-", clock()
    try:
        while not stream.finished:
            entries = feeds.read(question_hash, last_id, block_ms=BLOCK_MS)
            if not entries:
                if clock() - last_progress > stall_timeout_s:
                    stream.fail("generation_failed")  # the generator vanished
                    wake(stream)
                    return
                continue
            last_progress = clock()
            last_id = entries[-1].entry_id
            ended = _apply(stream, entries)
            wake(stream)
            if ended:
                return
    except Exception as exc:
        log.exception("feed_follow_failed", interaction_id=stream.interaction_id)
        stream.fail("service_unavailable" if is_store_outage(exc) else "internal_error")
        wake(stream)


def _apply(stream: LiveStream, entries: list[Any]) -> bool:
    """Add the entries' steps to the plan; True once the feed has ended."""
    ended: list[bool] = [False]

    def grow(plan: EventPlan) -> None:
        for entry in entries:
            if entry.kind == "step" and not plan.complete:
                plan.add_step(Step.model_validate(entry.data))
            elif entry.kind == "done":
                plan.finish()
                ended[0] = True
            elif entry.kind == "error":
                data = entry.data
                stream.fail(
                    data.get("code", "generation_failed"), data.get("reason"), data.get("text")
                )
                ended[0] = True

    stream.extend(grow)
    return ended[0]
