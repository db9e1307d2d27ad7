"""One structured log line per transition of a question's life, and nothing per event.

`question_received` → `question_admitted` (with its `source`: cache or generated) or
`question_refused` (with its `code`) or `question_repeated` → `explanation_first_event`
→ `explanation_completed` / `explanation_stopped` / `explanation_failed` (and
`explanation_paused` when the server shuts down under a live stream).

Every line names the interaction and the user by a hash (`user`: the first 16 hex
digits of SHA-256 of the user id, `logging_setup.user_hash`; never the id itself,
never a token) and carries
`ms`, the milliseconds since the question was received on this instance (None for a
stream this instance revived after a reconnect). Admission calls the first four, the
interaction owner the others, and the socket handler decorator `request_refused` (a
payload refused before admission); nothing here is called per streamed event.

When INFO is disabled, every function returns before it computes anything: the check
is the standard library's cached `Logger.isEnabledFor`, a few attribute reads.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog

from app.logging_setup import user_hash

LOGGER_NAME = "guia.lifecycle"
_gate = logging.getLogger(LOGGER_NAME)  # levels follow LOG_LEVEL (configure_logging)
log = structlog.get_logger(LOGGER_NAME)


def enabled() -> bool:
    return _gate.isEnabledFor(logging.INFO)


def since(received_at: float | None, now: float | None = None) -> int | None:
    """Whole milliseconds since `received_at` (time.monotonic), or None if unknown."""
    if received_at is None:
        return None
    return int(((time.monotonic() if now is None else now) - received_at) * 1000)


def emit(event: str, user_id: str, received_at: float | None, **fields: Any) -> None:
    """One lifecycle line (callers on a hot path check `enabled()` first)."""
    if not enabled():
        return
    log.info(event, user=user_hash(user_id), ms=since(received_at), **fields)


def stream_line(event: str, stream: Any, ms: int | None = None, **fields: Any) -> None:
    """A line about a stream (a `LiveStream`, or a dormant `StreamState`): its
    interaction, user, source, credits and position."""
    if not enabled():
        return
    state = getattr(stream, "state", stream)
    log.info(
        event,
        interaction_id=state.interaction_id,
        user=user_hash(state.user_id),
        ms=ms if ms is not None else since(getattr(stream, "received_at", None)),
        source=state.source,
        credits_charged=state.credits_charged,
        next_seq=stream.next_seq,
        **fields,
    )
