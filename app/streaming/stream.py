"""`LiveStream`: one interaction's events, sent to one socket, each at its deadline.

Event j is due at `t0 + offset_j × pace` (pacing by deadline, so timer lateness
never accumulates); `t0` is re-based on play and rewind so the next event is due
at once. The position lives in memory; the sink is told at step boundaries, when
it may record it. Every change of state and every send happens under `lock`, so
a pause always reports exactly the last event sent.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.domain.event_plan import GENERATED_UNIT_MS, EventPlan, PlannedEvent, unit_ms
from app.domain.explanation import Explanation
from app.domain.records import StreamState
from app.streaming.ports import Transport, planned_payload

WAITING_PHRASES = (
    "Estoy pensando en la mejor forma de explicártelo…",
    "Preparando el pizarrón…",
    "Revisando cada paso con cuidado…",
    "Ya casi está, organizando la explicación…",
    "Buscando un ejemplo claro para ti…",
)
WAITING_PHRASE_EVERY_S = 3.0
GENERATED_TOTAL_DURATION_S = 60


class StreamSink(Protocol):
    """Told what happened to a stream; must return quickly (it runs on the scheduler)."""

    def started(self, stream: LiveStream) -> None:
        """`explanation_start` (seq 0) was sent."""

    def step_done(self, stream: LiveStream) -> None:
        """A `step_complete` was sent: a good moment to record the position."""

    def completed(self, stream: LiveStream) -> None:
        """`explanation_complete` was sent."""

    def failed(self, stream: LiveStream, code: str) -> None:
        """The steps cannot come (generation failed, feed lost, crash)."""


def build_plan(
    state: StreamState,
    explanation: Explanation | None,
    planned: list[list[PlannedEvent]] | None = None,
) -> EventPlan:
    """The plan of an interaction; its header is a pure function of the state, so
    every instance agrees on every event. A cached answer's steps are all added."""
    if explanation is not None:
        total_steps: int | None = len(explanation.steps)
        total_duration: float = explanation.total_duration
        unit = unit_ms(explanation.steps, explanation.total_duration, planned)
    else:
        total_steps, total_duration, unit = None, GENERATED_TOTAL_DURATION_S, GENERATED_UNIT_MS
    plan = EventPlan(
        header={
            "question": state.question,
            "source": state.source,
            "total_steps": total_steps,
            "total_duration": total_duration,
            "credits_charged": state.credits_charged,
            "credits_remaining": state.credits_remaining,
        },
        unit_ms=unit,
    )
    if explanation is not None:
        for events in planned or []:
            plan.add_planned(events)
        if planned is None:
            for step in explanation.steps:
                plan.add_step(step)
        plan.finish()
    return plan


class LiveStream:
    def __init__(
        self,
        state: StreamState,
        plan: EventPlan,
        sink: StreamSink,
        transport: Transport,
        pace: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.plan = plan
        self.sink = sink
        self.transport = transport
        self.pace = pace
        self.clock = clock
        self.lock = threading.RLock()
        self.persist_lock = threading.Lock()  # position writes take turns (see the owner)
        self.sid: str | None = None
        self.next_seq = state.next_seq
        self.step_index = state.step_index
        self.chunk_index = state.chunk_index
        self.paused = True  # nothing is sent until play()
        self.finished = False
        self.error: str | None = None
        self.error_reason: str | None = None  # the catalogue's detail, if the source gave one
        self.error_text: str | None = None  # or an engine's own text for the student
        self.started_at = clock()
        self.t0 = self.started_at
        self._phrases = itertools.cycle(WAITING_PHRASES)
        self._next_phrase_at = 0.0
        self.due_at: float | None = None  # the scheduler's bookkeeping
        self.received_at: float | None = None  # when its question arrived here (logs)

    @property
    def interaction_id(self) -> str:
        return self.state.interaction_id

    def position(self) -> dict[str, Any]:
        with self.lock:
            return {
                "interaction_id": self.interaction_id,
                "step_index": self.step_index,
                "chunk_index": self.chunk_index,
                "next_seq": self.next_seq,
            }

    # -- control (from handlers) ------------------------------------------------

    def play(self, sid: str) -> None:
        """Send to `sid` from `next_seq` on; the scheduler must then wake it."""
        with self.lock:
            self.sid = sid
            self.paused = False
            self._rebase()

    def pause(self) -> dict[str, Any]:
        with self.lock:
            self.paused = True
            return self.position()

    def rewind(self, after_seq: int) -> None:
        """Continue at `after_seq + 1`; the position then names `after_seq` as last sent."""
        with self.lock:
            self.next_seq = after_seq + 1
            if after_seq >= 0:
                last = self.plan.events[after_seq]
                self.step_index, self.chunk_index = last.step_index, last.chunk_index
            else:
                self.step_index, self.chunk_index = -1, -1
            self._rebase()

    def stop(self) -> None:
        with self.lock:
            self.finished = True

    def extend(self, grow: Callable[[EventPlan], None]) -> None:
        """Let the source add steps; a stream that was waiting for them goes on at once."""
        with self.lock:
            starved = not self._available(self.next_seq)
            grow(self.plan)
            if starved and self._available(self.next_seq):
                self._rebase()

    def fail(self, code: str, reason: str | None = None, text: str | None = None) -> None:
        """The source cannot give the rest: the next tick reports it to the sink."""
        with self.lock:
            self.error, self.error_reason, self.error_text = code, reason or None, text

    # -- the scheduler's side ---------------------------------------------------

    def tick(self, now: float) -> float | None:
        """Send every due event; return when to come back (None: when woken)."""
        with self.lock:
            if self.finished or self.paused or self.sid is None:
                return None
            if self.error is not None:
                self.finished = True
                self.sink.failed(self, self.error)
                return None
            scale = self.pace / 1000.0
            offsets, events = self.plan.offsets, self.plan.events
            while self._available(self.next_seq):
                seq = self.next_seq
                due = self.t0 + offsets[seq] * scale
                if due > now:
                    return due
                self._send(seq, events[seq])
                if self.finished:
                    return None
            if self.next_seq == 0:  # still generating: keep the student company
                if now >= self._next_phrase_at:
                    self.transport.send(
                        self.sid,
                        "waiting_phrase",
                        {"interaction_id": self.interaction_id, "text": next(self._phrases)},
                    )
                    self._next_phrase_at = now + WAITING_PHRASE_EVERY_S
                return self._next_phrase_at
            return None

    def _send(self, seq: int, event: PlannedEvent) -> None:
        assert self.sid is not None
        if event.name == "explanation_complete":
            payload = planned_payload(event, self.interaction_id, seq)
            payload["duration_ms"] = int((self.clock() - self.started_at) * 1000)
            self.transport.send(self.sid, event.name, payload)
        else:
            self.transport.send_planned(self.sid, event, self.interaction_id, seq)
        self.next_seq = seq + 1
        self.step_index, self.chunk_index = event.step_index, event.chunk_index
        if event.name == "explanation_start":
            self.sink.started(self)
        elif event.name == "step_complete":
            self.sink.step_done(self)
        elif event.name == "explanation_complete":
            self.finished = True
            self.sink.completed(self)

    def _available(self, seq: int) -> bool:
        # explanation_start waits for the first step (or the end) so total_steps is known.
        return seq < len(self.plan) and (seq > 0 or self.plan.steps > 0 or self.plan.complete)

    def _rebase(self) -> None:
        offset = self.plan.offsets[self.next_seq - 1] if 0 < self.next_seq <= len(self.plan) else 0
        self.t0 = self.clock() - offset * self.pace / 1000.0
