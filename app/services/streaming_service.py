"""Paced, pausable, resumable streaming of one explanation per session.

A `LiveStream` sends the events of an `EventPlan` to one socket, each at its
deadline. Its position is in memory while it runs (no store round trip per
event) and is written to Redis at step boundaries and on pause, stop and
disconnect, so a reconnect on any instance resumes at the exact next `seq`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from app.domain.event_plan import GENERATED_UNIT_MS, EventPlan, PlannedEvent, unit_ms
from app.domain.explanation import Explanation, Step
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.stream_states import StreamState, StreamStateRepository
from app.services import interaction_service
from app.services.errors import MESSAGES_ES, ServiceError

log = structlog.get_logger(__name__)

WAITING_PHRASES = (
    "Estoy pensando en la mejor forma de explicártelo…",
    "Preparando el pizarrón…",
    "Revisando cada paso con cuidado…",
    "Ya casi está, organizando la explicación…",
    "Buscando un ejemplo claro para ti…",
)
WAITING_PHRASE_EVERY_S = 3.0
FEED_POLL_S = 0.05
GENERATED_TOTAL_DURATION_S = 60


class Emitter(Protocol):
    def __call__(self, event: str, payload: dict[str, Any], to: str) -> None: ...


class StepSource(Protocol):
    """Where the steps of an explanation come from: a stored answer or a live feed."""

    def poll(self, plan: EventPlan) -> str | None:
        """Add newly available steps to the plan; return an error code if it failed."""
        ...


class StoredAnswerSource:
    """All steps at once, from a cached answer (its events planned once, if given)."""

    def __init__(
        self, explanation: Explanation, planned: list[list[PlannedEvent]] | None = None
    ) -> None:
        self.explanation = explanation
        self.planned = planned
        self._loaded = False

    def poll(self, plan: EventPlan) -> str | None:
        if not self._loaded:
            if self.planned is not None and plan.steps == 0:
                for events in self.planned:
                    plan.add_planned(events)
            else:
                for step in self.explanation.steps:
                    plan.add_step(step)
            plan.finish()
            self._loaded = True
        return None


class FeedSource:
    """Steps as a generation (on any instance) appends them to its Redis feed."""

    def __init__(
        self, feeds: GenerationFeedRepository, question_hash: str, stall_timeout_s: float
    ) -> None:
        self.feeds = feeds
        self.question_hash = question_hash
        self.stall_timeout_s = stall_timeout_s
        self.last_id = "-"
        self.last_progress = time.monotonic()
        self.error: str | None = None
        self.answer_id: str | None = None

    def poll(self, plan: EventPlan) -> str | None:
        if plan.complete or self.error:
            return self.error
        entries = self.feeds.read(self.question_hash, self.last_id)
        if entries:
            self.last_progress = time.monotonic()
        elif time.monotonic() - self.last_progress > self.stall_timeout_s:
            self.error = "generation_failed"  # the generator vanished (crash, lost feed)
        for entry in entries:
            self.last_id = entry.entry_id
            if entry.kind == "step":
                plan.add_step(Step.model_validate(entry.data))
            elif entry.kind == "done":
                self.answer_id = entry.data.get("answer_id")
                plan.finish()
            elif entry.kind == "error":
                self.error = entry.data.get("code", "generation_failed")
        return self.error


@dataclass(frozen=True)
class StreamDeps:
    """What a stream needs from the outside world, injected by the app factory."""

    emit: Emitter
    start_task: Callable[..., Any]
    states: StreamStateRepository
    sessions: SessionRepository
    uow_factory: interaction_service.UowFactory
    on_failure: Callable[[str, str, str], None]  # (user_id, interaction_id, code)
    pace: float


class LiveStream:
    """One interaction's stream on this instance."""

    def __init__(self, state: StreamState, plan: EventPlan, source: StepSource, deps: StreamDeps):
        self.state = state
        self.plan = plan
        self.source = source
        self.deps = deps
        self.sid: str | None = None
        self.cond = threading.Condition()
        self._persist_lock = threading.Lock()
        self.next_seq = state.next_seq
        self.step_index = state.step_index
        self.chunk_index = state.chunk_index
        self.paused = state.paused
        self.finished = False
        self.epoch = 0
        self.t0 = time.monotonic()
        self.started_at = time.monotonic()
        self.phrases = itertools.cycle(WAITING_PHRASES)

    @property
    def interaction_id(self) -> str:
        return self.state.interaction_id

    def position(self) -> dict[str, Any]:
        return {
            "interaction_id": self.interaction_id,
            "step_index": self.step_index,
            "chunk_index": self.chunk_index,
            "next_seq": self.next_seq,
        }

    # -- control (called from socket handlers) ---------------------------------

    def run(self, sid: str, after: threading.Event | None = None) -> None:
        """(Re)start sending to `sid` from `next_seq`; any older loop ends."""
        with self.cond:
            self.sid = sid
            self.paused = False
            self.epoch += 1
            epoch = self.epoch
            self.cond.notify_all()
        self.deps.start_task(self._loop, epoch, after)

    def pause(self, persist: bool = True) -> dict[str, Any]:
        with self.cond:
            self.paused = True
            self.epoch += 1
            self.cond.notify_all()
            position = self.position()
        if persist:
            self._persist()
        return position

    def rewind(self, after_seq: int) -> None:
        with self.cond:
            self.next_seq = after_seq + 1
            # The position describes the last event sent, which is now `after_seq`.
            if after_seq >= 0:
                last = self.plan.events[after_seq]
                self.step_index, self.chunk_index = last.step_index, last.chunk_index
            else:
                self.step_index, self.chunk_index = -1, -1
            self._rebase()
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.finished = True
            self.epoch += 1
            self.cond.notify_all()

    def is_running(self) -> bool:
        return not self.paused and not self.finished

    # -- the loop -------------------------------------------------------------

    def _rebase(self) -> None:
        offset = self.plan.offsets[self.next_seq - 1] if self.next_seq > 0 else 0.0
        self.t0 = time.monotonic() - offset * self.deps.pace / 1000.0

    def _available(self, seq: int) -> bool:
        if seq >= len(self.plan):
            return False
        return seq > 0 or self.plan.steps > 0 or self.plan.complete

    def _wait(self, epoch: int, seconds: float) -> bool:
        """Sleep up to `seconds`; False when the loop must end (paused, stopped, replaced)."""
        with self.cond:
            if seconds > 0 and self.epoch == epoch:
                self.cond.wait(seconds)
            return self.epoch == epoch

    def _loop(self, epoch: int, after: threading.Event | None) -> None:
        if after is not None:
            after.wait(timeout=5)  # the ack must reach the client before our first event
        with self.cond:
            if self.epoch != epoch:
                return
            self._rebase()
        next_phrase_at = time.monotonic()
        scale = self.deps.pace / 1000.0  # plan milliseconds → seconds of wall clock
        offsets = self.plan.offsets
        events = self.plan.events
        try:
            while True:
                # One lock section per event: wait for its deadline (woken early by
                # pause, stop, replace or rewind, which change epoch or next_seq) and
                # send it under the lock, so a pause never races a send.
                with self.cond:
                    while True:
                        if self.epoch != epoch:
                            return
                        seq = self.next_seq
                        if not self._available(seq):
                            event = None
                            break
                        delay = self.t0 + offsets[seq] * scale - time.monotonic()
                        if delay <= 0:
                            event = events[seq]
                            payload = {"interaction_id": self.state.interaction_id, "seq": seq}
                            payload.update(event.payload)
                            if event.name == "explanation_complete":
                                payload["duration_ms"] = int(
                                    (time.monotonic() - self.started_at) * 1000
                                )
                            self.deps.emit(event.name, payload, self.sid or "")
                            self.next_seq = seq + 1
                            self.step_index, self.chunk_index = event.step_index, event.chunk_index
                            break
                        self.cond.wait(delay)
                if event is None:
                    error = self.source.poll(self.plan)
                    if error:
                        self._fail(epoch, error)
                        return
                    if self._available(seq):
                        with self.cond:
                            self._rebase()
                        continue
                    if seq == 0 and time.monotonic() >= next_phrase_at:
                        self._send_control("waiting_phrase", {"text": next(self.phrases)})
                        next_phrase_at = time.monotonic() + WAITING_PHRASE_EVERY_S
                    if not self._wait(epoch, FEED_POLL_S):
                        return
                    continue
                name = event.name
                if name == "content_chunk" or name == "canvas_command":
                    continue
                if name == "explanation_start" and seq == 0:
                    interaction_service.mark_started(self.deps.uow_factory, self.interaction_id)
                elif name == "step_complete":
                    self._persist()
                elif name == "explanation_complete":
                    self._complete(epoch)
                    return
        except Exception:  # a stream must never die silently
            log.exception("stream_failed", interaction_id=self.interaction_id)
            self._fail(epoch, "internal_error")

    def _send_control(self, event: str, body: dict[str, Any]) -> None:
        with self.cond:
            if self.sid:
                self.deps.emit(event, {"interaction_id": self.interaction_id, **body}, self.sid)

    def _persist(self) -> None:
        """Write the position and paused flag as they are now.

        Writers take turns and read the state inside their turn, so a step
        boundary's write can never land after, and undo, a pause's.
        """
        with self._persist_lock:
            with self.cond:
                position = (self.next_seq, self.step_index, self.chunk_index)
                paused = self.paused or self.finished
            self.deps.states.save_position(self.interaction_id, *position, paused=paused)

    def _complete(self, epoch: int) -> None:
        with self.cond:
            if self.epoch != epoch:
                return
            self.finished = True
        interaction_service.finish_interaction(
            self.deps.uow_factory, self.interaction_id, "completed"
        )
        self.deps.states.delete(self.interaction_id)
        session = self.deps.sessions.get_session(self.state.session_id)
        if session and session.active_interaction_id == self.interaction_id:
            self.deps.sessions.update_session(self.state.session_id, active_interaction_id=None)

    def _fail(self, epoch: int, code: str) -> None:
        with self.cond:
            if self.finished:
                return
            self.finished = True
        error = ServiceError(code, MESSAGES_ES.get(code), interaction_id=self.interaction_id)
        if self.sid:
            self.deps.emit("error", error.to_payload(), self.sid)
        self.deps.on_failure(self.state.user_id, self.interaction_id, code)
        self.deps.states.delete(self.interaction_id)


def build_plan(
    state: StreamState,
    explanation: Explanation | None,
    planned: list[list[PlannedEvent]] | None = None,
) -> EventPlan:
    """The plan's header is a pure function of the state, so every instance agrees.

    `planned` is `plan_steps(explanation.steps)` when the caller already has it.
    """
    if explanation is not None:
        header = {
            "question": state.question,
            "source": state.source,
            "total_steps": len(explanation.steps),
            "total_duration": explanation.total_duration,
        }
        unit = unit_ms(explanation.steps, explanation.total_duration, planned)
    else:
        header = {
            "question": state.question,
            "source": state.source,
            "total_steps": None,
            "total_duration": GENERATED_TOTAL_DURATION_S,
        }
        unit = GENERATED_UNIT_MS
    header["credits_charged"] = state.credits_charged
    header["credits_remaining"] = state.credits_remaining
    return EventPlan(header=header, unit_ms=unit)
