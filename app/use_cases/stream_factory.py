"""Makes the `LiveStream` of an interaction: fresh for a new question, or rebuilt from
its recorded state on an instance that did not start it (resume after a reconnect).

A cached answer is planned at once; a generated one follows the generation feed
(any instance may be generating it), or, once stored, replays the stored steps
with the same events and `seq` the feed gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.answer_cache import AnswerCache, CachedAnswer
from app.domain.errors import Refused
from app.domain.records import StreamState
from app.repositories.interfaces import GenerationFeeds, StoreUnitOfWork
from app.streaming.feed import follow
from app.streaming.ports import Transport
from app.streaming.scheduler import Scheduler
from app.streaming.stream import LiveStream, StreamSink, build_plan


class StreamFactory:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], StoreUnitOfWork],
        cache: AnswerCache,
        feeds: GenerationFeeds,
        transport: Transport,
        scheduler: Scheduler,
        start_task: Callable[..., Any],
        pace: float,
        stall_timeout_s: float,
    ) -> None:
        self.uow_factory = uow_factory
        self.cache = cache
        self.feeds = feeds
        self.transport = transport
        self.scheduler = scheduler
        self.start_task = start_task
        self.pace = pace
        self.stall_timeout_s = stall_timeout_s

    def new(self, state: StreamState, cached: CachedAnswer | None, sink: StreamSink) -> LiveStream:
        if cached is not None:
            plan = build_plan(state, cached.explanation, cached.planned)
            return LiveStream(state, plan, sink, self.transport, self.pace)
        return self._following(state, sink)

    def revive(self, state: StreamState, sink: StreamSink) -> LiveStream:
        """The stream as it stood, paused; raises not_found if its answer is gone."""
        state.paused = True
        answer_id = state.answer_id
        if not answer_id and self.feeds.current(state.question_hash) is None:
            with self.uow_factory() as uow:  # the generation ended: its answer is stored
                hit = uow.answers.get_by_hash(state.question_hash)
            answer_id = hit.id if hit else ""
        if not answer_id:
            return self._following(state, sink)
        with self.uow_factory() as uow:
            cached = self.cache.get(uow.answers, answer_id)
        if cached is None:
            raise Refused("not_found", interaction_id=state.interaction_id)
        if state.source == "cache":
            plan = build_plan(state, cached.explanation, cached.planned)
        else:  # as the feed gave it: header without total_steps, the same steps
            plan = build_plan(state, None)
            for events in cached.planned:
                plan.add_planned(events)
            plan.finish()
        return LiveStream(state, plan, sink, self.transport, self.pace)

    def _following(self, state: StreamState, sink: StreamSink) -> LiveStream:
        stream = LiveStream(state, build_plan(state, None), sink, self.transport, self.pace)
        self.start_task(
            follow,
            self.feeds,
            state.question_hash,
            stream,
            self.scheduler.wake,
            self.stall_timeout_s,
        )
        return stream
