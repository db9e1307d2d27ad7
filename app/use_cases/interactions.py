"""`Interactions`: the one owner of an interaction's life on this instance.

It starts an admitted question's stream (replacing the session's running one),
pauses, resumes, stops, and hears from the stream (`StreamSink`) when it started,
reached a step boundary, completed or failed, and then writes the rows, records
the position, and gives credits back on failure. One explanation per session; a
session's entry is either a live stream here or, when another socket or instance
streamed it, its last known state from Redis ("dormant").
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from app.domain.commands import PauseExplanation, ResumeExplanation, StopExplanation
from app.domain.errors import Refused
from app.domain.records import StreamState
from app.repositories.interfaces import StoreUnitOfWork
from app.repositories.redis.sessions import Session
from app.streaming.scheduler import Scheduler
from app.streaming.stream import LiveStream
from app.use_cases import lifecycle_log, settlement
from app.use_cases.admission import Admit, Admitted
from app.use_cases.background import Worker
from app.use_cases.identity import Caller
from app.use_cases.notifier import Notifier
from app.use_cases.stream_factory import StreamFactory

Entry = LiveStream | StreamState
LOCK_STRIPES = 256


class Interactions:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], StoreUnitOfWork],
        sessions: Any,
        transport: Notifier,
        scheduler: Scheduler,
        worker: Worker,
        streams: StreamFactory,
        start_generation: Callable[[Admit], None],
        pace: float,
        retry_after_s: int = 5,  # of a service_unavailable error event
    ) -> None:
        self.uow_factory = uow_factory
        self.retry_after_s = retry_after_s
        self.sessions = sessions
        self.transport = transport
        self.scheduler = scheduler
        self.worker = worker
        self.streams = streams
        self.start_generation = start_generation
        self.pace = pace
        self._entries: dict[str, Entry] = {}  # session_id → its active interaction
        self._holders: dict[str, str] = {}  # session_id → the socket holding it here
        self._locks = [threading.RLock() for _ in range(LOCK_STRIPES)]

    # -- sockets ------------------------------------------------------------------

    def attach(self, caller: Caller, session: Session, taken_over: bool) -> dict[str, Any] | None:
        """A socket holds the session now; returns its `active_interaction` (or None).

        A takeover pauses the explanation first, wherever it streams (here, or on
        the instance that will hear the old socket's relayed disconnect).
        """
        with self._lock(caller.session_id):
            self._holders[caller.session_id] = caller.sid
            entry = self._entries.get(caller.session_id)
            if isinstance(entry, LiveStream) and not entry.finished:
                if taken_over and not entry.paused:
                    entry.pause()
                    self._persist(entry)
                return {**entry.position(), "paused": entry.paused or entry.sid != caller.sid}
            state = session.active
            if state is None:
                self._entries.pop(caller.session_id, None)
                return None
            if taken_over and not state.paused:
                where = (state.next_seq, state.step_index, state.chunk_index)
                self.sessions.save_position(state.session_id, state.interaction_id, *where, True)
            state.paused = True
            self._entries[caller.session_id] = state
            return {**state.position(), "paused": True}

    def detach(self, session_id: str, sid: str) -> None:
        """A socket went away: pause its stream at the last event sent, keep it resumable."""
        with self._lock(session_id):
            entry = self._entries.get(session_id)
            if isinstance(entry, LiveStream) and entry.sid == sid and not entry.finished:
                entry.pause()
                self._persist(entry)
            if self._holders.get(session_id) == sid:
                self._forget(session_id)

    # -- the flow -----------------------------------------------------------------

    def start(self, cmd: Admit, admitted: Admitted) -> None:
        """Stream an admitted question to the caller, replacing the session's running one."""
        caller, interaction = cmd.caller, admitted.interaction
        for note in admitted.notes:
            self.transport.notify_credits(caller.user_id, note)
        state = StreamState(
            interaction_id=interaction.id,
            user_id=caller.user_id,
            session_id=caller.session_id,
            question=interaction.question,
            question_hash=cmd.question.hash,
            source=interaction.source or "generated",
            answer_id=admitted.cached.answer_id if admitted.cached else "",
            credits_charged=interaction.credits_charged,
            credits_remaining=admitted.balance,
        )
        with self._lock(caller.session_id):
            try:
                old = self._entries.get(caller.session_id)
                if old is not None:
                    self._end(caller.session_id, old, caller.sid, "replaced", clear=False)
                self.sessions.start_stream(state)
            except Exception:  # e.g. Redis down: nothing streamed, the holds go back now
                self._give_back(caller.user_id, interaction.id)
                raise
            stream = self.streams.new(state, admitted.cached, self)
            stream.received_at = cmd.received_at
            self._entries[caller.session_id] = stream
            stream.play(caller.sid)
        if admitted.leads_generation:
            self.start_generation(cmd)
        self.scheduler.wake(stream)

    def pause(self, caller: Caller, cmd: PauseExplanation) -> dict[str, Any]:
        with self._lock(caller.session_id):
            entry = self._target(caller, cmd.interaction_id)
            if not isinstance(entry, LiveStream) or entry.paused:
                return self._fresh(entry).position()
            position = entry.pause()
            self._persist(entry)
            self.transport.send(caller.sid, "explanation_paused", position)
            return position

    def resume(self, caller: Caller, cmd: ResumeExplanation) -> dict[str, Any]:
        with self._lock(caller.session_id):
            entry = self._target(caller, cmd.interaction_id)
            stream = entry if isinstance(entry, LiveStream) else self._revive(entry)
            after_seq = cmd.after_seq
            if after_seq is not None and not -1 <= after_seq <= stream.next_seq - 1:
                raise Refused("invalid_payload", "after_seq", last=stream.next_seq - 1)
            was_paused = stream.paused or stream.sid != caller.sid
            if after_seq is not None:
                stream.rewind(after_seq)
            if was_paused:
                stream.pause()  # the old socket (if any) gets nothing more
                self.transport.send(caller.sid, "explanation_resumed", stream.position())
                stream.play(caller.sid)
                self._persist(stream)
                self.scheduler.wake(stream)
            elif after_seq is not None:
                self.scheduler.wake(stream)
            return stream.position()

    def stop(self, caller: Caller, cmd: StopExplanation) -> dict[str, Any]:
        with self._lock(caller.session_id):
            entry = self._target(caller, cmd.interaction_id)
            self._end(caller.session_id, entry, caller.sid, "user", clear=True)
            return {"interaction_id": entry.interaction_id}

    def pause_all(self, reason: str = "shutdown") -> int:
        """Pause every live stream at its last event sent and record it now (pipelined,
        not through the worker): a reconnect resumes exactly there. Stop the scheduler
        first. Returns how many were paused."""
        paused = []
        for session_id, entry in list(self._entries.items()):
            if not isinstance(entry, LiveStream):
                continue
            with self._lock(session_id):
                if entry.finished or self._entries.get(session_id) is not entry:
                    continue
                playing = not entry.paused
                position = entry.pause()
                if playing and entry.sid:
                    self.transport.send(entry.sid, "explanation_paused", position)
                paused.append(entry)
        self._persist_all(paused)
        for stream in paused:
            lifecycle_log.stream_line("explanation_paused", stream, reason=reason)
        return len(paused)

    # -- what the streams report (StreamSink) ---------------------------------------

    def started(self, stream: LiveStream) -> None:
        if not getattr(stream, "marked_started", False):
            stream.marked_started = True  # type: ignore[attr-defined]
            self.worker.submit(self._mark_started, stream, lifecycle_log.since(stream.received_at))

    def step_done(self, stream: LiveStream) -> None:
        self.worker.submit(self._persist, stream)

    def completed(self, stream: LiveStream) -> None:
        self.worker.submit(self._complete, stream, lifecycle_log.since(stream.received_at))

    def failed(self, stream: LiveStream, code: str) -> None:
        if stream.sid:
            error = Refused(
                code,
                stream.error_reason,
                interaction_id=stream.interaction_id,
                text=stream.error_text,
                retry_after=self.retry_after_s if code == "service_unavailable" else None,
            )
            self.transport.send_error(stream.sid, error)
        self.worker.submit(self._fail, stream, code, lifecycle_log.since(stream.received_at))

    # -- inside ----------------------------------------------------------------------

    def _target(self, caller: Caller, interaction_id: str | None) -> Entry:
        """The caller's session's active interaction (the one named, if named)."""
        entry = self._entries.get(caller.session_id)
        if entry is None and caller.session_id not in self._holders:
            session = self.sessions.get(caller.session_id)
            entry = session.active if session is not None else None
        if isinstance(entry, LiveStream) and entry.finished:
            entry = None
        if (
            entry is None
            or (interaction_id is not None and interaction_id != entry.interaction_id)
            or _user_of(entry) != caller.user_id
        ):
            raise Refused("not_found", interaction_id=interaction_id)
        return entry

    def _fresh(self, entry: Entry) -> LiveStream | StreamState:
        """A dormant entry's latest state (another instance may have moved it)."""
        if isinstance(entry, LiveStream):
            return entry
        session = self.sessions.get(entry.session_id)
        if session is None or session.active is None:
            return entry
        return session.active

    def _revive(self, entry: StreamState) -> LiveStream:
        state = self._fresh(entry)
        assert isinstance(state, StreamState)
        stream = self.streams.revive(state, self)
        self._entries[state.session_id] = stream
        return stream

    def _end(self, session_id: str, entry: Entry, sid: str, reason: str, clear: bool) -> None:
        """Stopped by the user or replaced: it stays charged."""
        if isinstance(entry, LiveStream):
            entry.stop()
        lifecycle_log.stream_line("explanation_stopped", entry, reason=reason)
        self._entries.pop(session_id, None)
        self.transport.send(
            sid, "explanation_stopped", {"interaction_id": entry.interaction_id, "reason": reason}
        )
        self.worker.submit(self._settle, entry.interaction_id, "stopped")
        if clear:
            self.sessions.end_stream(session_id, entry.interaction_id)

    def _persist(self, stream: LiveStream) -> None:
        self._persist_all([stream])

    def _persist_all(self, streams: list[LiveStream]) -> None:
        """Write the positions as they are now (pipelined when several). Writers take
        each stream's turn and read its position in it, so a step boundary's write can
        never land after, and undo, a pause's."""
        with contextlib.ExitStack() as turns:
            rows = []
            for stream in streams:
                turns.enter_context(stream.persist_lock)
                with stream.lock:
                    rows.append((stream.state.session_id, stream.interaction_id,
                                 stream.next_seq, stream.step_index, stream.chunk_index,
                                 stream.paused or stream.finished))  # fmt: skip
            self.sessions.save_positions(rows)

    def _complete(self, stream: LiveStream, ms: int | None) -> None:
        self._settle(stream.interaction_id, "completed")
        self._release(stream)
        lifecycle_log.stream_line("explanation_completed", stream, ms, events=len(stream.plan))

    def _fail(self, stream: LiveStream, code: str, ms: int | None) -> None:
        user_id = stream.state.user_id
        notes = settlement.fail_now(self.uow_factory, user_id, stream.interaction_id, code)
        for note in notes:
            self.transport.notify_credits(stream.state.user_id, note)
        self._release(stream)
        refunded = sum(note.delta for note in notes)
        lifecycle_log.stream_line(
            "explanation_failed", stream, ms, code=code, credits_refunded=refunded
        )

    def _give_back(self, user_id: str, interaction_id: str) -> None:
        with self.uow_factory() as uow:
            notes = settlement.give_back(uow, user_id, interaction_id, "service_unavailable")
        for note in notes:
            self.transport.notify_credits(user_id, note)

    def _settle(self, interaction_id: str, status: str) -> None:
        settlement.close_now(self.uow_factory, interaction_id, status)

    def _mark_started(self, stream: LiveStream, ms: int | None) -> None:
        lifecycle_log.stream_line("explanation_first_event", stream, ms)
        settlement.mark_started(self.uow_factory, stream.interaction_id)

    def _release(self, stream: LiveStream) -> None:
        session_id = stream.state.session_id
        self.sessions.end_stream(session_id, stream.interaction_id)
        with self._lock(session_id):
            if self._entries.get(session_id) is stream:
                self._entries.pop(session_id, None)

    def _lock(self, session_id: str) -> threading.RLock:
        """One of a fixed set of locks: sessions never wait on each other for long,
        and nothing grows with the number of sessions ever seen."""
        return self._locks[hash(session_id) % LOCK_STRIPES]

    def _forget(self, session_id: str) -> None:
        """The socket holding the session left: keep nothing but a live stream's state."""
        self._holders.pop(session_id, None)
        entry = self._entries.get(session_id)
        if not isinstance(entry, LiveStream) or entry.finished or entry.paused:
            self._entries.pop(session_id, None)


def _user_of(entry: Entry) -> str:
    return entry.state.user_id if isinstance(entry, LiveStream) else entry.user_id
