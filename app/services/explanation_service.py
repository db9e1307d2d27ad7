"""The question flow and the controls of a running explanation.

ask: validate → repeated request_id → rate limit → cache lookup → hold credits
→ replace the running explanation → stream (a miss generates, single flight).
Pause, resume and stop act on the caller's own session only.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from app.adapters.engines.refusal import refusal_text
from app.domain.event_plan import PlannedEvent, plan_steps
from app.domain.explanation import Explanation
from app.domain.records import CreditChange, Interaction
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.rate_limits import RateLimiter
from app.repositories.redis.requests import RequestRepository
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.stream_states import StreamState, StreamStateRepository
from app.services import interaction_service
from app.services.credit_service import Prices
from app.services.errors import ServiceError
from app.services.generation_service import GenerationService
from app.services.question_service import QuestionRequest, parse_question_payload
from app.services.streaming_service import (
    FeedSource,
    LiveStream,
    StepSource,
    StoredAnswerSource,
    StreamDeps,
    build_plan,
)

log = structlog.get_logger(__name__)

CreditNotifier = Callable[[str, CreditChange, int, str], None]  # user, change, delta, action
PREPARED_ANSWERS_MAX = 512  # validated, planned cached answers kept in memory


@dataclass(frozen=True)
class PreparedAnswer:
    """A stored answer validated and planned once, reused by every ask of it."""

    raw: dict[str, Any]  # the stored JSON it was made from (a changed row is re-prepared)
    explanation: Explanation
    planned: list[list[PlannedEvent]]


@dataclass(frozen=True)
class Caller:
    """Who sent a control event, and on which socket."""

    user_id: str
    session_id: str
    sid: str


@dataclass(frozen=True)
class VoiceCharge:
    """The voice fee held together with the question."""

    credits: int


class ExplanationService:
    """One per server instance; holds the streams that run on it."""

    def __init__(
        self,
        *,
        uow_factory: interaction_service.UowFactory,
        sessions: SessionRepository,
        states: StreamStateRepository,
        requests: RequestRepository,
        feeds: GenerationFeedRepository,
        limiter: RateLimiter,
        generation: GenerationService,
        prices: Prices,
        emit: Callable[[str, dict[str, Any], str], None],
        start_task: Callable[..., Any],
        notify_credits: CreditNotifier,
        pace: float,
        generation_timeout_s: float,
    ) -> None:
        self.uow_factory = uow_factory
        self.sessions = sessions
        self.states = states
        self.requests = requests
        self.feeds = feeds
        self.limiter = limiter
        self.generation = generation
        self.prices = prices
        self.emit = emit
        self.start_task = start_task
        self.notify_credits = notify_credits
        self.generation_timeout_s = generation_timeout_s
        self.deps = StreamDeps(
            emit=emit,
            start_task=start_task,
            states=states,
            sessions=sessions,
            uow_factory=uow_factory,
            on_failure=self._on_failure,
            pace=pace,
        )
        self.streams: dict[str, LiveStream] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._registry_lock = threading.Lock()
        self._prepared: OrderedDict[str, PreparedAnswer] = OrderedDict()
        self._prepared_lock = threading.Lock()

    # -- ask --------------------------------------------------------------------

    def ask(
        self,
        caller: Caller,
        payload: Any,
        *,
        input_type: str = "text",
        voice_credits: int = 0,
        after: threading.Event | None = None,
        parsed: QuestionRequest | None = None,
    ) -> str:
        """Start an interaction and return its id (the first one for a repeated request_id)."""
        request = parsed or parse_question_payload(payload)
        interaction_id = str(uuid.uuid4())
        if request.request_id:
            earlier = self.requests.claim(caller.user_id, request.request_id, interaction_id)
            if earlier:
                return earlier
        try:
            return self.start_question(
                caller, request, interaction_id, input_type, voice_credits, after
            )
        except ServiceError:
            if request.request_id:
                self.requests.release(caller.user_id, request.request_id, interaction_id)
            raise

    def claim_request(
        self, caller: Caller, request_id: str | None, interaction_id: str
    ) -> str | None:
        """Shared request-id space with voice: the earlier interaction id, if any."""
        if not request_id:
            return None
        return self.requests.claim(caller.user_id, request_id, interaction_id)

    def start_question(
        self,
        caller: Caller,
        request: QuestionRequest,
        interaction_id: str,
        input_type: str,
        voice_credits: int,
        after: threading.Event | None,
    ) -> str:
        """Run the flow for a validated question whose request_id (if any) is claimed.

        Counts the rate limit, checks credits, holds them and starts streaming.
        """
        retry_after = self.limiter.hit(caller.user_id)
        if retry_after is not None:
            raise ServiceError("rate_limited", retry_after=retry_after)
        with self.uow_factory() as uow:
            cached = uow.answers.get_by_hash(request.question_hash)
        if cached is None and not self.generation.can_try(request.question):
            raise ServiceError("ai_unavailable", refusal_text(request.question))
        source = "cache" if cached else "generated"
        price = self.prices.cached if cached else self.prices.generated
        action = "question_cached" if cached else "question_generated"
        extra = (("voice", voice_credits, "voice"),) if voice_credits else ()
        interaction = Interaction(
            id=interaction_id,
            user_id=caller.user_id,
            session_id=caller.session_id,
            question=request.question,
            question_hash=request.question_hash,
            answer_id=cached.id if cached else None,
            source=source,
            status="streaming",
            input_type=input_type,
            credits_charged=price + voice_credits,
            request_id=request.request_id,
        )
        change = interaction_service.open_interaction(
            self.uow_factory, interaction, price, action, extra
        )
        balance = (
            change.balance
            if change and change.balance is not None
            else self._balance(caller.user_id)
        )
        if price and change is not None:
            self.notify_credits(caller.user_id, change, -price, action)
        with self._locks[caller.session_id]:
            self._replace_active(caller)
            state = StreamState(
                interaction_id=interaction_id,
                user_id=caller.user_id,
                session_id=caller.session_id,
                question=request.question,
                question_hash=request.question_hash,
                source=source,
                answer_id=cached.id if cached else "",
                credits_charged=price + voice_credits,
                credits_remaining=balance,
            )
            self.states.save(state)
            self.sessions.update_session(caller.session_id, active_interaction_id=interaction_id)
            planned: list[list[PlannedEvent]] | None = None
            if cached:
                prepared = self._prepare(cached.id, cached.answer)
                explanation: Explanation | None = prepared.explanation
                planned = prepared.planned
                source_obj: StepSource = StoredAnswerSource(prepared.explanation, planned)
            else:
                explanation = None
                source_obj = self._feed(request.question_hash)
                if self.feeds.try_lead(request.question_hash, interaction_id) is None:
                    self.start_task(
                        self.generation.run,
                        request.question,
                        request.normalized,
                        request.question_hash,
                        request.context,
                        interaction_id,
                    )
            plan = build_plan(state, explanation, planned)
            stream = LiveStream(state, plan, source_obj, self.deps)
            self._register(stream)
            stream.run(caller.sid, after)
        return interaction_id

    def _prepare(self, answer_id: str, raw: dict[str, Any]) -> PreparedAnswer:
        """Validate and plan a stored answer once; every later ask of it reuses the result.

        Validation (with canvas sanitizing) and planning cost more than the rest of
        an ask; the row's JSON is compared so an edited answer is prepared anew.
        """
        with self._prepared_lock:
            prepared = self._prepared.get(answer_id)
            if prepared is not None and prepared.raw == raw:
                self._prepared.move_to_end(answer_id)
                return prepared
        explanation = Explanation.model_validate(raw)
        prepared = PreparedAnswer(raw, explanation, plan_steps(explanation.steps))
        with self._prepared_lock:
            self._prepared[answer_id] = prepared
            while len(self._prepared) > PREPARED_ANSWERS_MAX:
                self._prepared.popitem(last=False)
        return prepared

    def _feed(self, question_hash: str) -> FeedSource:
        return FeedSource(self.feeds, question_hash, self.generation_timeout_s + 30)

    def _balance(self, user_id: str) -> int:
        with self.uow_factory() as uow:
            profile = uow.profiles.get(user_id)
        return profile.credits if profile else 0

    def _replace_active(self, caller: Caller) -> None:
        session = self.sessions.get_session(caller.session_id)
        old_id = session.active_interaction_id if session else None
        if not old_id:
            return
        self._end(old_id, caller.sid, "replaced")

    # -- controls -----------------------------------------------------------------

    def pause(self, caller: Caller, payload: Any) -> dict[str, Any]:
        state = self._target(caller, payload)
        with self._locks[caller.session_id]:
            stream = self.streams.get(state.interaction_id)
            if stream is None or stream.paused or stream.finished:
                position = self._stored_position(state, stream)
                return position
            position = stream.pause()
            self.emit("explanation_paused", position, caller.sid)
            return position

    def resume(
        self, caller: Caller, payload: Any, after: threading.Event | None = None
    ) -> dict[str, Any]:
        state = self._target(caller, payload)
        after_seq = payload.get("after_seq") if isinstance(payload, dict) else None
        with self._locks[caller.session_id]:
            stream = self.streams.get(state.interaction_id) or self._rebuild(state)
            if after_seq is not None:
                if (
                    not isinstance(after_seq, int)
                    or isinstance(after_seq, bool)
                    or not -1 <= after_seq <= stream.next_seq - 1
                ):
                    raise ServiceError(
                        "invalid_payload",
                        f"after_seq debe ser un entero entre -1 y {stream.next_seq - 1}.",
                    )
            moved_socket = stream.sid != caller.sid
            was_paused = stream.paused or moved_socket
            if after_seq is not None:
                stream.rewind(after_seq)
            if was_paused:
                if not stream.paused:
                    stream.pause(persist=False)
                self.emit("explanation_resumed", stream.position(), caller.sid)
                stream.run(caller.sid, after)
                self.states.save_position(
                    state.interaction_id,
                    stream.next_seq,
                    stream.step_index,
                    stream.chunk_index,
                    paused=False,
                )
            return stream.position()

    def stop(self, caller: Caller, payload: Any) -> dict[str, Any]:
        state = self._target(caller, payload)
        with self._locks[caller.session_id]:
            self._end(state.interaction_id, caller.sid, "user")
        return {"interaction_id": state.interaction_id}

    def detach(self, session_id: str | None, sid: str) -> None:
        """A socket went away: pause its stream at the last event sent, keep it resumable."""
        with self._registry_lock:
            mine = [s for s in self.streams.values() if s.sid == sid and not s.finished]
        for stream in mine:
            stream.pause(persist=True)

    def mark_paused(self, interaction_id: str) -> None:
        """Record a takeover's pause for an explanation held by another instance."""
        if interaction_id not in self.streams:
            state = self.states.get(interaction_id)
            if state is not None:
                self.states.save_position(
                    interaction_id, state.next_seq, state.step_index, state.chunk_index, True
                )

    def active_interaction(self, session_id: str) -> dict[str, Any] | None:
        session = self.sessions.get_session(session_id)
        if not session or not session.active_interaction_id:
            return None
        state = self.states.get(session.active_interaction_id)
        if state is None or state.done:
            return None
        stream = self.streams.get(state.interaction_id)
        position = self._stored_position(state, stream)
        return {**position, "paused": True if stream is None else stream.paused}

    # -- helpers ------------------------------------------------------------------

    def _target(self, caller: Caller, payload: Any) -> StreamState:
        # The contract: every payload is a JSON object; null is not one.
        if not isinstance(payload, dict):
            raise ServiceError("invalid_payload", "El mensaje debe ser un objeto JSON.")
        interaction_id = payload.get("interaction_id")
        if interaction_id is not None and not isinstance(interaction_id, str):
            raise ServiceError("invalid_payload", "interaction_id debe ser un texto.")
        if interaction_id is None:
            session = self.sessions.get_session(caller.session_id)
            interaction_id = session.active_interaction_id if session else None
        state = self.states.get(interaction_id) if interaction_id else None
        if (
            state is None
            or state.done
            or state.user_id != caller.user_id
            or state.session_id != caller.session_id
        ):
            raise ServiceError("not_found", interaction_id=interaction_id)
        return state

    @staticmethod
    def _stored_position(state: StreamState, stream: LiveStream | None) -> dict[str, Any]:
        if stream is not None:
            return stream.position()
        return {
            "interaction_id": state.interaction_id,
            "step_index": state.step_index,
            "chunk_index": state.chunk_index,
            "next_seq": state.next_seq,
        }

    def _register(self, stream: LiveStream) -> None:
        with self._registry_lock:
            self.streams = {k: v for k, v in self.streams.items() if not v.finished}
            self.streams[stream.interaction_id] = stream

    def _rebuild(self, state: StreamState) -> LiveStream:
        """Recreate a stream from Redis on an instance that did not start it."""
        prepared: PreparedAnswer | None = None
        source: StepSource
        answer_id = state.answer_id
        if not answer_id and self.feeds.current(state.question_hash) is None:
            with self.uow_factory() as uow:
                cached = uow.answers.get_by_hash(state.question_hash)
            answer_id = cached.id if cached else ""
        if answer_id:
            with self.uow_factory() as uow:
                answer = uow.answers.get(answer_id)
            if answer is None:
                raise ServiceError("not_found", interaction_id=state.interaction_id)
            prepared = self._prepare(answer_id, answer.answer)
        if prepared is not None and state.source == "cache":
            source = StoredAnswerSource(prepared.explanation, prepared.planned)
            plan = build_plan(state, prepared.explanation, prepared.planned)
        else:
            # A generated answer replays its steps in the order the feed gave them.
            source = (
                StoredAnswerSource(prepared.explanation, prepared.planned)
                if prepared
                else self._feed(state.question_hash)
            )
            plan = build_plan(state, None)
        state.paused = True
        stream = LiveStream(state, plan, source, self.deps)
        source.poll(plan)
        self._register(stream)
        return stream

    def _end(self, interaction_id: str, sid: str, reason: str) -> None:
        stream = self.streams.get(interaction_id)
        if stream is not None:
            if stream.finished:
                return
            stream.stop()
        state = self.states.get(interaction_id)
        if state is None:
            return
        self.emit("explanation_stopped", {"interaction_id": interaction_id, "reason": reason}, sid)
        interaction_service.finish_interaction(self.uow_factory, interaction_id, "stopped")
        self.states.delete(interaction_id)
        session = self.sessions.get_session(state.session_id)
        if session and session.active_interaction_id == interaction_id:
            self.sessions.update_session(state.session_id, active_interaction_id=None)

    def _on_failure(self, user_id: str, interaction_id: str, code: str) -> None:
        changes = interaction_service.fail_interaction(
            self.uow_factory, user_id, interaction_id, code
        )
        for change, amount in changes:
            self.notify_credits(user_id, change, amount, "refund")
