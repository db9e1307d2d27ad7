"""The interaction owner on fakes: start, replace, stop, pause/resume, failure refund.

SQL is the fake unit of work; sessions and generation feeds are the real Redis
repositories on fakeredis; the scheduler and the background worker are real
(threads); the transport records what each socket would receive.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest

from app.answer_cache import AnswerCache
from app.domain.commands import PauseExplanation, ResumeExplanation, StopExplanation
from app.domain.errors import Refused
from app.domain.explanation import Explanation
from app.domain.pricing import Prices
from app.domain.questions import GenerationContext, Question
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.sessions import SessionRepository
from app.streaming.ports import planned_payload
from app.streaming.scheduler import Scheduler
from app.use_cases.admission import AdmissionRules, Admit, Admitted, admit
from app.use_cases.background import Worker
from app.use_cases.credits import CreditNote
from app.use_cases.identity import Caller
from app.use_cases.interactions import Interactions
from app.use_cases.stream_factory import StreamFactory
from tests.support.fake_uow import FakeStores

WAIT_S = 10.0
STEPS = [
    {"title": f"Paso {i}", "type": "text", "content": " ".join(f"p{i}w{w}" for w in range(8)),
     "canvas_commands": [{"op": "text", "x": 10, "y": 10 + i, "text": f"c{i}"}]}
    for i in range(3)
]  # fmt: skip
EXPLANATION = Explanation.model_validate({"steps": STEPS, "total_duration": 5})


class Recorder:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.notes: list[tuple[str, CreditNote]] = []

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        with self.cond:
            self.sent.append((sid, event, dict(payload)))
            self.cond.notify_all()

    def send_planned(self, sid: str, event: Any, interaction_id: str, seq: int) -> None:
        self.send(sid, event.name, planned_payload(event, interaction_id, seq))

    def send_error(self, sid: str, error: Refused) -> None:
        self.send(sid, "error", {"code": error.code, "interaction_id": error.interaction_id})

    def notify_credits(self, user_id: str, note: CreditNote) -> None:
        self.notes.append((user_id, note))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        with self.cond:
            return [p for _, e, p in self.sent if name is None or e == name]

    def names(self) -> list[str]:
        with self.cond:
            return [e for _, e, _ in self.sent]

    def wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        with self.cond:
            while not done():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; sent: {[e for _, e, _ in self.sent]}"
                self.cond.wait(left)


class Rig:
    def __init__(self, pace: float) -> None:
        self.redis = fakeredis.FakeRedis(decode_responses=True)
        self.sessions = SessionRepository(self.redis)
        self.feeds = GenerationFeedRepository(self.redis, lock_ttl_s=60)
        self.stores = FakeStores(sessions=self.sessions)
        self.stores.feeds = self.feeds  # type: ignore[assignment]
        self.transport = Recorder()
        start = self.start_task
        self.scheduler = Scheduler(start)
        self.worker = Worker(start)
        self.cache = AnswerCache()
        self.rules = AdmissionRules(Prices(1, 2, 1), self.cache, lambda _q: True, str)
        self.owner = Interactions(
            uow_factory=self.stores.uow,
            sessions=self.sessions,
            transport=self.transport,
            scheduler=self.scheduler,
            worker=self.worker,
            streams=StreamFactory(
                uow_factory=self.stores.uow,
                cache=self.cache,
                feeds=self.feeds,
                transport=self.transport,
                scheduler=self.scheduler,
                start_task=start,
                pace=pace,
                stall_timeout_s=5,
            ),
            start_generation=lambda cmd: None,  # tests write the feed themselves
            pace=pace,
        )
        self.user = str(uuid.uuid4())
        self.stores.add_user(self.user, 20)
        session = self.sessions.create(self.user, "sid-1")
        self.caller = Caller(self.user, session.session_id, "sid-1")

    def start_task(self, fn: Callable[..., Any], *args: Any) -> None:
        threading.Thread(target=fn, args=args, daemon=True).start()

    def seed(self, text: str) -> Question:
        question = Question.of(text)
        with self.stores.uow() as uow:
            self.cache.store(uow.answers, question, EXPLANATION, "seed")
            uow.commit()
        return question

    def ask(self, text: str) -> Admitted:
        cmd = Admit(self.caller, Question.of(text), GenerationContext())
        admitted = admit(cmd, self.stores.uow(), self.rules)
        assert isinstance(admitted, Admitted)
        self.owner.start(cmd, admitted)
        return admitted

    def row(self, interaction_id: str) -> Any:
        self.worker.drain(WAIT_S)
        return self.stores.sql.interactions[interaction_id]

    def seqs(self, interaction_id: str) -> list[int]:
        return [
            p["seq"]
            for p in self.transport.events()
            if p.get("interaction_id") == interaction_id and "seq" in p
        ]

    def complete(self, interaction_id: str) -> None:
        self.transport.wait(
            lambda: any(
                p["interaction_id"] == interaction_id
                for p in self.transport.events("explanation_complete")
            )
        )


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig(pace=0.02)
    yield r
    r.scheduler.stop()
    r.worker.close()


def test_a_cached_answer_streams_in_order_and_its_row_completes(rig: Rig) -> None:
    rig.seed("¿Qué es una derivada?")
    admitted = rig.ask("que es una derivada")
    iid = admitted.interaction.id
    rig.complete(iid)
    seqs = rig.seqs(iid)
    assert seqs == list(range(len(seqs))) and len(seqs) == 1 + 3 * (1 + 8 + 1 + 1) + 1
    assert rig.transport.names()[0] == "explanation_start"
    start = rig.transport.events("explanation_start")[0]
    assert (start["source"], start["total_steps"], start["credits_remaining"]) == ("cache", 3, 19)
    row = rig.row(iid)
    assert row.status == "completed" and row.first_event_at is not None and row.completed_at
    session = rig.sessions.get(rig.caller.session_id)
    assert session is not None and session.active is None


def test_a_new_question_replaces_the_running_one(rig: Rig) -> None:
    rig.seed("pregunta uno")
    rig.seed("pregunta dos")
    first = rig.ask("pregunta uno").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(first)) >= 3)
    second = rig.ask("pregunta dos").interaction.id
    stopped = rig.transport.events("explanation_stopped")
    assert stopped == [{"interaction_id": first, "reason": "replaced"}]
    rig.complete(second)
    count = len(rig.seqs(first))
    time.sleep(0.1)
    assert len(rig.seqs(first)) == count  # nothing more of the replaced one
    assert rig.row(first).status == "stopped" and rig.row(second).status == "completed"
    assert rig.stores.balance(rig.user) == 18  # both stay charged


def test_stop_ends_it_charged_and_then_it_is_not_found(rig: Rig) -> None:
    rig.seed("para detener")
    iid = rig.ask("para detener").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(iid)) >= 2)
    assert rig.owner.stop(rig.caller, StopExplanation()) == {"interaction_id": iid}
    assert rig.transport.events("explanation_stopped") == [
        {"interaction_id": iid, "reason": "user"}
    ]
    assert rig.row(iid).status == "stopped" and rig.stores.balance(rig.user) == 19
    with pytest.raises(Refused) as refused:
        rig.owner.pause(rig.caller, PauseExplanation(interaction_id=iid))
    assert refused.value.code == "not_found"
    session = rig.sessions.get(rig.caller.session_id)
    assert session is not None and session.active is None


def test_pause_then_resume_loses_and_repeats_nothing(rig: Rig) -> None:
    rig.seed("pausa")
    iid = rig.ask("pausa").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(iid)) >= 5)
    position = rig.owner.pause(rig.caller, PauseExplanation())
    sent = rig.seqs(iid)
    assert position["next_seq"] == len(sent) and sent[-1] == position["next_seq"] - 1
    assert rig.transport.events("explanation_paused") == [position]
    time.sleep(0.15)
    assert rig.seqs(iid) == sent  # silent while paused
    stored = rig.sessions.get(rig.caller.session_id)
    assert stored is not None and stored.active is not None and stored.active.paused
    assert stored.active.next_seq == position["next_seq"]
    assert rig.owner.resume(rig.caller, ResumeExplanation())["next_seq"] == position["next_seq"]
    rig.complete(iid)
    seqs = rig.seqs(iid)
    assert seqs == list(range(len(seqs)))
    resumed = rig.transport.names().index("explanation_resumed")
    assert rig.transport.names()[resumed + 1] != "explanation_paused"


def test_resume_with_after_seq_rewinds(rig: Rig) -> None:
    rig.seed("rebobina")
    iid = rig.ask("rebobina").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(iid)) >= 8)
    rig.owner.pause(rig.caller, PauseExplanation())
    with pytest.raises(Refused) as refused:
        rig.owner.resume(rig.caller, ResumeExplanation(after_seq=10_000))
    assert (refused.value.code, refused.value.reason) == ("invalid_payload", "after_seq")
    assert rig.owner.resume(rig.caller, ResumeExplanation(after_seq=2))["next_seq"] == 3
    rig.complete(iid)
    seqs = rig.seqs(iid)
    rewound_at = seqs.index(3, 4)
    assert seqs[rewound_at:] == list(range(3, seqs[-1] + 1))


def test_a_failed_generation_sends_the_error_and_refunds(rig: Rig) -> None:
    admitted = rig.ask("una pregunta que se genera")
    iid = admitted.interaction.id
    assert admitted.leads_generation and rig.stores.balance(rig.user) == 18
    question_hash = Question.of("una pregunta que se genera").hash
    rig.feeds.append(question_hash, "error", {"code": "generation_failed", "message": ""})
    rig.transport.wait(lambda: bool(rig.transport.events("error")))
    assert rig.transport.events("error") == [{"code": "generation_failed", "interaction_id": iid}]
    row = rig.row(iid)
    assert (row.status, row.error_code, row.credits_charged) == ("failed", "generation_failed", 0)
    assert rig.stores.balance(rig.user) == 20
    assert [(n.delta, n.action_type) for _, n in rig.transport.notes][-1] == (2, "refund")
    assert "explanation_start" not in rig.transport.names()


def test_generated_steps_stream_as_the_feed_gives_them(rig: Rig) -> None:
    admitted = rig.ask("otra pregunta nueva")
    iid = admitted.interaction.id
    question_hash = Question.of("otra pregunta nueva").hash
    time.sleep(0.05)
    assert rig.seqs(iid) == []  # explanation_start waits for the first step
    for step in STEPS:
        rig.feeds.append(question_hash, "step", step)
    rig.feeds.append(question_hash, "done", {"answer_id": None})
    rig.complete(iid)
    start = rig.transport.events("explanation_start")[0]
    assert (start["source"], start["total_steps"]) == ("generated", None)
    assert rig.transport.events("explanation_complete")[0]["total_steps"] == 3


def test_a_disconnect_pauses_and_a_takeover_shows_it_paused(rig: Rig) -> None:
    rig.seed("desconexion")
    iid = rig.ask("desconexion").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(iid)) >= 4)
    rig.owner.detach(rig.caller.session_id, "sid-1")
    sent = len(rig.seqs(iid))
    time.sleep(0.1)
    assert len(rig.seqs(iid)) == sent
    session = rig.sessions.get(rig.caller.session_id)
    assert session is not None and session.active is not None and session.active.paused
    other = Caller(rig.user, rig.caller.session_id, "sid-2")
    active = rig.owner.attach(other, session, taken_over=False)
    assert active == {**session.active.position(), "paused": True}
    resumed = rig.owner.resume(other, ResumeExplanation())
    assert resumed["next_seq"] == sent
    rig.complete(iid)
    assert rig.seqs(iid) == list(range(len(rig.seqs(iid))))
    to_new = [p["seq"] for sid, e, p in rig.transport.sent if sid == "sid-2" and "seq" in p]
    assert to_new[0] == sent


def test_pause_all_records_the_last_event_sent_of_every_live_stream(rig: Rig) -> None:
    rig.seed("para apagar")
    iid = rig.ask("para apagar").interaction.id
    rig.transport.wait(lambda: len(rig.seqs(iid)) >= 5)  # mid-step: no step boundary write
    rig.scheduler.stop()
    assert rig.owner.pause_all() == 1
    sent = rig.seqs(iid)
    paused = rig.transport.events("explanation_paused")
    assert paused and paused[-1]["next_seq"] == sent[-1] + 1
    session = rig.sessions.get(rig.caller.session_id)
    assert session is not None and session.active is not None
    assert session.active.next_seq == sent[-1] + 1 and session.active.paused is True
    time.sleep(0.1)
    assert rig.seqs(iid) == sent  # nothing after the pause
    assert rig.owner.pause_all() == 1  # again: the same position, no second message
    assert len(rig.transport.events("explanation_paused")) == len(paused)
