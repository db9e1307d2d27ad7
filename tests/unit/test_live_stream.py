"""LiveStream on fakes: pause/resume/rewind/stop lose or repeat nothing, pacing by deadline.

The emitter records what a socket would receive; stream state and sessions live in
fakeredis, interactions in a SQLite file, and tasks are plain threads.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.domain.explanation import Explanation, Step
from app.domain.records import Interaction
from app.repositories.redis.client import make_redis
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.stream_states import StreamState, StreamStateRepository
from app.repositories.sql import SqliteDatabase
from app.services.streaming_service import LiveStream, StoredAnswerSource, StreamDeps, build_plan

USER = "22222222-2222-4222-8222-222222222222"
WAIT_S = 10.0  # generous ceiling for waits on a loaded machine; normal runs take < 1 s


def make_explanation(n_steps: int = 4, words: int = 10, commands: int = 3) -> Explanation:
    steps = [
        Step(
            title=f"Paso {i + 1}",
            type="math" if i % 2 else "text",
            content=" ".join(f"palabra{i}_{w}" for w in range(words)),
            canvas_commands=[
                {"op": "text", "x": 100 * k, "y": 50 + i, "text": f"c{i}.{k}"}
                for k in range(commands)
            ],
        )
        for i in range(n_steps)
    ]
    return Explanation(steps=steps, total_duration=12)


class Recorder:
    """The fake emitter: every (event, payload, to) with its send time."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.sent: list[tuple[str, dict[str, Any], str, float]] = []

    def __call__(self, event: str, payload: dict[str, Any], to: str) -> None:
        with self.cond:
            self.sent.append((event, dict(payload), to, time.monotonic()))
            self.cond.notify_all()

    def sequenced(self) -> list[tuple[str, dict[str, Any], str, float]]:
        with self.cond:
            return [s for s in self.sent if "seq" in s[1]]

    def seqs(self) -> list[int]:
        return [p["seq"] for _, p, _, _ in self.sequenced()]

    def wait_until(self, done: Callable[[], bool], timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not done():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; sent so far: {[s[0] for s in self.sent]}"
                self.cond.wait(left)

    def wait_seq(self, seq: int) -> None:
        self.wait_until(lambda: any(p.get("seq", -1) >= seq for _, p, _, _ in self.sent))

    def wait_complete(self) -> None:
        self.wait_until(lambda: any(e == "explanation_complete" for e, _, _, _ in self.sent))

    def quiet_for(self, seconds: float) -> bool:
        """True when nothing at all is sent for `seconds`."""
        with self.cond:
            before = len(self.sent)
        time.sleep(seconds)
        with self.cond:
            return len(self.sent) == before


def comparable(
    sent: list[tuple[str, dict[str, Any], str, float]],
) -> list[tuple[str, dict[str, Any]]]:
    """What a client compares: names and payloads, minus the per-run id and timing."""
    out = []
    for event, payload, _, _ in sent:
        body = {k: v for k, v in payload.items() if k not in ("interaction_id", "duration_ms")}
        out.append((event, body))
    return out


@dataclass
class Env:
    states: StreamStateRepository
    sessions: SessionRepository
    db: SqliteDatabase
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    streams: list[LiveStream] = field(default_factory=list)

    def stream(
        self, pace: float, explanation: Explanation | None = None
    ) -> tuple[LiveStream, Recorder]:
        explanation = explanation or make_explanation()
        interaction_id = str(uuid.uuid4())
        session = self.sessions.create_session(USER, "sid-1")
        self.sessions.update_session(session.session_id, active_interaction_id=interaction_id)
        with self.db.unit_of_work() as uow:
            uow.interactions.add(
                Interaction(
                    id=interaction_id,
                    user_id=USER,
                    session_id=session.session_id,
                    question="¿Qué es una derivada?",
                    question_hash="h",
                    answer_id=None,
                    source="cache",
                    status="streaming",
                    input_type="text",
                    credits_charged=1,
                )
            )
            uow.commit()
        state = StreamState(
            interaction_id=interaction_id,
            user_id=USER,
            session_id=session.session_id,
            question="¿Qué es una derivada?",
            question_hash="h",
            source="cache",
            credits_charged=1,
            credits_remaining=9,
        )
        self.states.save(state)
        recorder = Recorder()
        deps = StreamDeps(
            emit=recorder,
            start_task=lambda f, *a: threading.Thread(target=f, args=a, daemon=True).start(),
            states=self.states,
            sessions=self.sessions,
            uow_factory=self.db.unit_of_work,
            on_failure=lambda *args: self.failures.append(args),
            pace=pace,
        )
        stream = LiveStream(
            state, build_plan(state, explanation), StoredAnswerSource(explanation), deps
        )
        self.streams.append(stream)
        return stream, recorder


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    client = make_redis(f"memory://live-stream-{uuid.uuid4().hex}")
    db = SqliteDatabase(tmp_path / "live.db")
    environment = Env(StreamStateRepository(client), SessionRepository(client), db)
    yield environment
    for stream in environment.streams:
        stream.stop()  # ends any loop still waiting
    assert environment.failures == []
    db.close()


def pace_for(stream: LiveStream, seconds: float) -> float:
    """The pace that makes this plan last `seconds` (offsets are in ms at pace 1)."""
    return seconds * 1000.0 / stream.plan.offsets[-1]


def reference_stream(env: Env) -> LiveStream:
    """A stream never run, its stored plan loaded: for the plan's length and offsets."""
    probe, _ = env.stream(1.0)
    probe.source.poll(probe.plan)
    return probe


def reference_run(env: Env, seconds: float = 0.2) -> list[tuple[str, dict[str, Any]]]:
    stream, recorder = env.stream(pace_for(reference_stream(env), seconds))
    stream.run("sid-1")
    recorder.wait_complete()
    return comparable(recorder.sequenced())


def assert_contiguous(recorder: Recorder) -> None:
    assert recorder.seqs() == list(range(len(recorder.seqs())))


# -- the uninterrupted run ------------------------------------------------------------


def test_stored_answer_streams_the_whole_plan_and_completes(env: Env) -> None:
    explanation = make_explanation()
    probe, _ = env.stream(1.0, explanation)
    probe.source.poll(probe.plan)
    stream, recorder = env.stream(pace_for(probe, 0.2), explanation)
    stream.run("sid-1")
    recorder.wait_complete()
    assert recorder.quiet_for(0.05)

    sent = recorder.sequenced()
    assert_contiguous(recorder)
    assert len(sent) == len(stream.plan) == 2 + 4 * (1 + 10 + 3 + 1)
    assert all(to == "sid-1" for _, _, to, _ in sent)
    assert all(p["interaction_id"] == stream.interaction_id for _, p, _, _ in sent)
    names = [e for e, _, _, _ in sent]
    assert names[0] == "explanation_start" and names[-1] == "explanation_complete"
    assert sent[0][1]["total_steps"] == 4 and sent[0][1]["credits_charged"] == 1
    complete = sent[-1][1]
    assert complete["total_steps"] == len(explanation.steps)
    assert isinstance(complete["duration_ms"], int) and complete["duration_ms"] >= 0
    # Exactly the plan, in order.
    expected = [(e.name, {"seq": i, **e.payload}) for i, e in enumerate(stream.plan.events)]
    assert comparable(sent)[:-1] == expected[:-1]
    assert names.count("step_start") == names.count("step_complete") == 4

    # Completion is recorded everywhere.
    assert stream.finished and not stream.is_running()
    assert env.states.get(stream.interaction_id) is None
    with env.db.unit_of_work() as uow:
        row = uow.interactions.get(stream.interaction_id)
    assert row is not None and row.status == "completed"
    assert row.first_event_at is not None and row.completed_at is not None
    session = env.sessions.get_session(stream.state.session_id)
    assert session is not None and session.active_interaction_id is None


def test_first_event_waits_for_the_ack(env: Env) -> None:
    stream, recorder = env.stream(0.001)
    ack_sent = threading.Event()
    stream.run("sid-1", ack_sent)
    assert recorder.quiet_for(0.1), "nothing before the ack reaches the client"
    ack_sent.set()
    recorder.wait_complete()
    assert_contiguous(recorder)


# -- pause and resume -------------------------------------------------------------------


@pytest.mark.parametrize("pause_at", [[0], [5, 20, 40], [1, 2, 3, 50]])
def test_pause_then_resume_gives_the_uninterrupted_list(env: Env, pause_at: list[int]) -> None:
    reference = reference_run(env)
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    stream.run("sid-1")
    for n, seq in enumerate(pause_at):
        recorder.wait_seq(seq)
        position = stream.pause()
        assert not stream.is_running()
        assert recorder.quiet_for(0.03), "nothing is sent while paused"
        sent = recorder.seqs()
        assert position["next_seq"] == sent[-1] + 1
        assert position["interaction_id"] == stream.interaction_id
        # The position is saved for a resume on any instance. (Not the paused flag: a
        # step_complete save racing the pause may write paused=0; resumes on another
        # instance rebuild the stream paused anyway.)
        stored = env.states.get(stream.interaction_id)
        assert stored is not None and stored.next_seq == position["next_seq"]
        assert (stored.step_index, stored.chunk_index) == (
            position["step_index"],
            position["chunk_index"],
        )
        stream.run(f"sid-{n + 2}")  # resumed, maybe from another socket
    recorder.wait_complete()
    assert recorder.quiet_for(0.05)
    assert_contiguous(recorder)
    assert comparable(recorder.sequenced()) == reference


def test_pause_position_names_the_last_event_sent(env: Env) -> None:
    stream, recorder = env.stream(0.05)
    stream.run("sid-1")
    recorder.wait_seq(7)
    position = stream.pause()
    last = stream.plan.events[position["next_seq"] - 1]
    assert (position["step_index"], position["chunk_index"]) == (last.step_index, last.chunk_index)
    last_sent = recorder.sequenced()[-1][1]
    if "chunk_index" in last_sent:
        assert last_sent["chunk_index"] == position["chunk_index"]


# -- rewind ---------------------------------------------------------------------------------


def test_rewind_while_paused_resends_from_after_seq_plus_one(env: Env) -> None:
    reference = reference_run(env)
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    stream.run("sid-1")
    recorder.wait_seq(12)
    stream.pause()
    received = recorder.seqs()[-1]
    stream.rewind(4)  # the client says it only got up to seq 4
    assert stream.next_seq == 5
    last = stream.plan.events[4]
    assert (stream.step_index, stream.chunk_index) == (last.step_index, last.chunk_index)
    stream.run("sid-2")
    recorder.wait_complete()
    seqs = recorder.seqs()
    assert seqs == list(range(received + 1)) + list(range(5, len(stream.plan)))
    # What the client keeps (up to 4, then everything re-sent) is the whole explanation.
    kept = [s for s in recorder.sequenced()[: received + 1] if s[1]["seq"] <= 4]
    assert comparable(kept + recorder.sequenced()[received + 1 :]) == reference


def test_rewind_while_running_restarts_at_after_seq_plus_one(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    stream.run("sid-1")
    recorder.wait_seq(15)
    stream.rewind(9)
    recorder.wait_complete()
    seqs = recorder.seqs()
    cut = next(i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1])
    assert seqs[:cut] == list(range(cut))
    assert seqs[cut:] == list(range(10, len(stream.plan)))


def test_rewind_to_minus_one_resends_everything(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.2))
    stream.run("sid-1")
    recorder.wait_seq(3)
    stream.pause()
    first = len(recorder.seqs())
    stream.rewind(-1)
    assert (stream.next_seq, stream.step_index, stream.chunk_index) == (0, -1, -1)
    stream.run("sid-1")
    recorder.wait_complete()
    assert recorder.seqs()[first:] == list(range(len(stream.plan)))


# -- stop ------------------------------------------------------------------------------------


def test_stop_ends_sending(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.5))
    stream.run("sid-1")
    recorder.wait_seq(3)
    stream.stop()
    count = len(recorder.sent)
    assert stream.finished and not stream.is_running()
    # The rest would have taken ~0.45 s; nothing more comes.
    assert recorder.quiet_for(0.3)
    assert len(recorder.sent) == count
    assert "explanation_complete" not in [e for e, _, _, _ in recorder.sent]
    assert_contiguous(recorder)


def test_stop_while_paused_keeps_it_silent(env: Env) -> None:
    stream, recorder = env.stream(0.01)
    stream.run("sid-1")
    recorder.wait_seq(2)
    stream.pause()
    stream.stop()
    assert recorder.quiet_for(0.1)
    assert not stream.is_running()


# -- pacing -----------------------------------------------------------------------------------


def test_pacing_by_deadline_matches_nominal_duration(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.5))
    stream.run("sid-1")
    recorder.wait_complete()
    nominal_s = stream.plan.offsets[-1] * stream.deps.pace / 1000.0
    assert nominal_s == pytest.approx(0.5)
    sent = recorder.sequenced()
    start = sent[0][3]
    measured = sent[-1][3] - start
    assert 0.8 * nominal_s <= measured <= 1.2 * nominal_s, (measured, nominal_s)
    # No event leaves before its deadline (a little slack for the first event's own delay).
    for (_, payload, _, at), offset in zip(sent, stream.plan.offsets, strict=True):
        assert at - start >= offset * stream.deps.pace / 1000.0 - 0.02, payload["seq"]
    # explanation_complete reports the measured duration.
    assert sent[-1][1]["duration_ms"] == pytest.approx(measured * 1000, abs=50)
