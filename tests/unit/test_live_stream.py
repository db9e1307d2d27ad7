"""LiveStream on fakes: pause/resume/rewind/stop lose or repeat nothing, pacing by deadline.

The transport records what a socket would receive, the sink records what the
stream reports to its owner, one real `Scheduler` drives every stream of a test,
and tasks are plain threads. The ack-first gate the socket layer puts in front
of the transport has its own tests in test_ack_gate.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from app.domain.explanation import Explanation, Step
from app.domain.records import StreamState
from app.socket_events.ack_gate import AckGate
from app.streaming.ports import planned_payload
from app.streaming.scheduler import Scheduler
from app.streaming.stream import LiveStream, build_plan

USER = "22222222-2222-4222-8222-222222222222"
WAIT_S = 10.0  # generous ceiling for waits on a loaded machine; normal runs take < 1 s

Sent = tuple[str, dict[str, Any], str, float]


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
    """The fake transport: every (event, payload, to) with its send time."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.sent: list[Sent] = []

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        with self.cond:
            self.sent.append((event, dict(payload), sid, time.monotonic()))
            self.cond.notify_all()

    def send_planned(self, sid: str, event: Any, interaction_id: str, seq: int) -> None:
        self.send(sid, event.name, planned_payload(event, interaction_id, seq))

    def sequenced(self) -> list[Sent]:
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


class Sink:
    """The fake owner: what the stream reported, with its position at that moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reports: list[tuple[str, LiveStream, dict[str, Any]]] = []
        self.failures: list[tuple[str, str]] = []

    def _report(self, name: str, stream: LiveStream) -> None:
        with self.lock:
            self.reports.append((name, stream, stream.position()))

    def started(self, stream: LiveStream) -> None:
        self._report("started", stream)

    def step_done(self, stream: LiveStream) -> None:
        self._report("step_done", stream)

    def completed(self, stream: LiveStream) -> None:
        self._report("completed", stream)

    def failed(self, stream: LiveStream, code: str) -> None:
        with self.lock:
            self.failures.append((stream.interaction_id, code))

    def of(self, stream: LiveStream, name: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return [
                (n, position)
                for n, s, position in self.reports
                if s is stream and (name is None or n == name)
            ]


def comparable(sent: list[Sent]) -> list[tuple[str, dict[str, Any]]]:
    """What a client compares: names and payloads, minus the per-run id and timing."""
    out = []
    for event, payload, _, _ in sent:
        body = {k: v for k, v in payload.items() if k not in ("interaction_id", "duration_ms")}
        out.append((event, body))
    return out


def start_thread(fn: Callable[..., Any], *args: Any) -> None:
    threading.Thread(target=fn, args=args, daemon=True).start()


@dataclass
class Env:
    scheduler: Scheduler
    sink: Sink
    streams: list[LiveStream] = field(default_factory=list)

    def state(self) -> StreamState:
        return StreamState(
            interaction_id=str(uuid.uuid4()),
            user_id=USER,
            session_id=str(uuid.uuid4()),
            question="¿Qué es una derivada?",
            question_hash="h",
            source="cache",
            credits_charged=1,
            credits_remaining=9,
        )

    def stream(
        self,
        pace: float,
        explanation: Explanation | None = None,
        transport: Any = None,
        state: StreamState | None = None,
    ) -> tuple[LiveStream, Recorder]:
        explanation = explanation or make_explanation()
        state = state or self.state()
        recorder = transport or Recorder()
        stream = LiveStream(state, build_plan(state, explanation), self.sink, recorder, pace)
        self.streams.append(stream)
        return stream, recorder

    def play(self, stream: LiveStream, sid: str) -> None:
        stream.play(sid)
        self.scheduler.wake(stream)


@pytest.fixture
def env() -> Iterator[Env]:
    environment = Env(Scheduler(start_thread), Sink())
    yield environment
    for stream in environment.streams:
        stream.stop()
    environment.scheduler.stop()
    assert environment.sink.failures == []


def pace_for(stream: LiveStream, seconds: float) -> float:
    """The pace that makes this plan last `seconds` (offsets are in ms at pace 1)."""
    return seconds * 1000.0 / stream.plan.offsets[-1]


def reference_stream(env: Env) -> LiveStream:
    """A stream never played (its stored plan is complete): for the plan's length and offsets."""
    probe, _ = env.stream(1.0)
    return probe


def reference_run(env: Env, seconds: float = 0.2) -> list[tuple[str, dict[str, Any]]]:
    stream, recorder = env.stream(pace_for(reference_stream(env), seconds))
    env.play(stream, "sid-1")
    recorder.wait_complete()
    return comparable(recorder.sequenced())


def assert_contiguous(recorder: Recorder) -> None:
    assert recorder.seqs() == list(range(len(recorder.seqs())))


# -- the uninterrupted run ------------------------------------------------------------


def test_stored_answer_streams_the_whole_plan_and_completes(env: Env) -> None:
    explanation = make_explanation()
    probe, _ = env.stream(1.0, explanation)
    stream, recorder = env.stream(pace_for(probe, 0.2), explanation)
    env.play(stream, "sid-1")
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

    # The owner is told everything it records, once, each right after its event.
    assert stream.finished and stream.error is None
    reports = env.sink.of(stream)
    assert [name for name, _ in reports] == ["started"] + ["step_done"] * 4 + ["completed"]
    assert reports[0][1]["next_seq"] == 1  # right after explanation_start
    step_ends = [i + 1 for i, name in enumerate(names) if name == "step_complete"]
    assert [position["next_seq"] for _, position in reports[1:-1]] == step_ends
    for _, position in reports[1:-1]:
        last = stream.plan.events[position["next_seq"] - 1]
        assert last.name == "step_complete"
        assert (position["step_index"], position["chunk_index"]) == (
            last.step_index,
            last.chunk_index,
        )
    assert reports[-1][1]["next_seq"] == len(stream.plan)
    assert env.sink.of(probe) == []  # a stream never played reports nothing


def test_first_event_waits_for_the_ack(env: Env) -> None:
    """The socket layer holds the asker's sid until the handler's ack is queued: a
    stream started by the handler sends nothing before it, and loses nothing."""
    gate, socket = AckGate(), Recorder()

    class GatedTransport:  # what SocketTransport does in front of the socket
        def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
            if not gate.defer(sid, event, payload):
                socket.send(sid, event, payload)

        def send_planned(self, sid: str, event: Any, interaction_id: str, seq: int) -> None:
            self.send(sid, event.name, planned_payload(event, interaction_id, seq))

    stream, _ = env.stream(0.001, transport=GatedTransport())
    gate.hold("sid-1")  # the ask_question handler runs on this thread
    env.play(stream, "sid-1")
    assert socket.quiet_for(0.1), "nothing before the ack reaches the client"
    assert socket.sent == []
    gate.release(socket.send)  # the ack was queued: the held events follow, in order
    socket.wait_complete()
    assert_contiguous(socket)
    assert len(socket.seqs()) == len(stream.plan)
    assert all(to == "sid-1" for _, _, to, _ in socket.sent)


# -- pause and resume -------------------------------------------------------------------


@pytest.mark.parametrize("pause_at", [[0], [5, 20, 40], [1, 2, 3, 50]])
def test_pause_then_resume_gives_the_uninterrupted_list(env: Env, pause_at: list[int]) -> None:
    reference = reference_run(env)
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    env.play(stream, "sid-1")
    for n, seq in enumerate(pause_at):
        recorder.wait_seq(seq)
        position = stream.pause()
        assert stream.paused and not stream.finished
        assert recorder.quiet_for(0.03), "nothing is sent while paused"
        sent = recorder.seqs()
        assert position["next_seq"] == sent[-1] + 1
        assert position["interaction_id"] == stream.interaction_id
        # What the owner records for a resume on any instance (it reads the position
        # after the pause) is the pause's position, and stays so while paused; no step
        # boundary reported before the pause is ahead of it.
        assert stream.position() == position
        last = stream.plan.events[position["next_seq"] - 1]
        assert (position["step_index"], position["chunk_index"]) == (
            last.step_index,
            last.chunk_index,
        )
        reported = [p["next_seq"] for _, p in env.sink.of(stream, "step_done")]
        assert all(at <= position["next_seq"] for at in reported)
        env.play(stream, f"sid-{n + 2}")  # resumed, maybe from another socket
    recorder.wait_complete()
    assert recorder.quiet_for(0.05)
    assert_contiguous(recorder)
    assert comparable(recorder.sequenced()) == reference


def test_a_stream_rebuilt_from_the_paused_position_resumes_exactly(env: Env) -> None:
    """Another instance rebuilds the stream from the recorded state and goes on."""
    reference = reference_run(env)
    pace = pace_for(reference_stream(env), 0.3)
    first, recorder = env.stream(pace)
    env.play(first, "sid-1")
    recorder.wait_seq(17)
    position = first.pause()
    first.stop()
    recorded = replace(
        first.state,
        next_seq=position["next_seq"],
        step_index=position["step_index"],
        chunk_index=position["chunk_index"],
        paused=True,
    )
    second, _ = env.stream(pace, transport=recorder, state=recorded)
    assert second.position() == position and second.paused
    env.play(second, "sid-2")
    recorder.wait_complete()
    assert_contiguous(recorder)
    assert comparable(recorder.sequenced()) == reference
    assert [name for name, _ in env.sink.of(second)][-1] == "completed"
    assert "started" not in [name for name, _ in env.sink.of(second)]  # seq 0 not resent


def test_pause_position_names_the_last_event_sent(env: Env) -> None:
    stream, recorder = env.stream(0.05)
    env.play(stream, "sid-1")
    recorder.wait_seq(7)
    position = stream.pause()
    last = stream.plan.events[position["next_seq"] - 1]
    assert (position["step_index"], position["chunk_index"]) == (last.step_index, last.chunk_index)
    last_sent = recorder.sequenced()[-1][1]
    assert last_sent["seq"] == position["next_seq"] - 1
    if "chunk_index" in last_sent:
        assert last_sent["chunk_index"] == position["chunk_index"]


# -- rewind ---------------------------------------------------------------------------------


def test_rewind_while_paused_resends_from_after_seq_plus_one(env: Env) -> None:
    reference = reference_run(env)
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    env.play(stream, "sid-1")
    recorder.wait_seq(12)
    stream.pause()
    received = recorder.seqs()[-1]
    stream.rewind(4)  # the client says it only got up to seq 4
    assert stream.next_seq == 5
    last = stream.plan.events[4]
    assert (stream.step_index, stream.chunk_index) == (last.step_index, last.chunk_index)
    assert recorder.quiet_for(0.03), "a rewind does not resume a paused stream"
    env.play(stream, "sid-2")
    recorder.wait_complete()
    seqs = recorder.seqs()
    assert seqs == list(range(received + 1)) + list(range(5, len(stream.plan)))
    # What the client keeps (up to 4, then everything re-sent) is the whole explanation.
    kept = [s for s in recorder.sequenced()[: received + 1] if s[1]["seq"] <= 4]
    assert comparable(kept + recorder.sequenced()[received + 1 :]) == reference


def test_rewind_while_running_restarts_at_after_seq_plus_one(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.3))
    env.play(stream, "sid-1")
    recorder.wait_seq(15)
    stream.rewind(9)
    env.scheduler.wake(stream)
    recorder.wait_complete()
    seqs = recorder.seqs()
    cut = next(i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1])
    assert seqs[:cut] == list(range(cut))
    assert seqs[cut:] == list(range(10, len(stream.plan)))


def test_rewind_to_minus_one_resends_everything(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.2))
    env.play(stream, "sid-1")
    recorder.wait_seq(3)
    stream.pause()
    first = len(recorder.seqs())
    stream.rewind(-1)
    assert (stream.next_seq, stream.step_index, stream.chunk_index) == (0, -1, -1)
    env.play(stream, "sid-1")
    recorder.wait_complete()
    assert recorder.seqs()[first:] == list(range(len(stream.plan)))


# -- stop ------------------------------------------------------------------------------------


def test_stop_ends_sending(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.5))
    env.play(stream, "sid-1")
    recorder.wait_seq(3)
    stream.stop()
    count = len(recorder.sent)
    assert stream.finished
    # The rest would have taken ~0.45 s; nothing more comes.
    assert recorder.quiet_for(0.3)
    assert len(recorder.sent) == count
    assert "explanation_complete" not in [e for e, _, _, _ in recorder.sent]
    assert_contiguous(recorder)
    assert "completed" not in [name for name, _ in env.sink.of(stream)]


def test_stop_while_paused_keeps_it_silent(env: Env) -> None:
    stream, recorder = env.stream(0.01)
    env.play(stream, "sid-1")
    recorder.wait_seq(2)
    stream.pause()
    stream.stop()
    assert recorder.quiet_for(0.1)
    assert stream.paused and stream.finished
    env.scheduler.wake(stream)  # a late wake of a stopped stream sends nothing either
    assert recorder.quiet_for(0.05)


# -- pacing -----------------------------------------------------------------------------------


def test_pacing_by_deadline_matches_nominal_duration(env: Env) -> None:
    stream, recorder = env.stream(pace_for(reference_stream(env), 0.5))
    env.play(stream, "sid-1")
    recorder.wait_complete()
    nominal_s = stream.plan.offsets[-1] * stream.pace / 1000.0
    assert nominal_s == pytest.approx(0.5)
    sent = recorder.sequenced()
    start = sent[0][3]
    measured = sent[-1][3] - start
    assert 0.8 * nominal_s <= measured <= 1.2 * nominal_s, (measured, nominal_s)
    # No event leaves before its deadline (a little slack for the first event's own delay).
    for (_, payload, _, at), offset in zip(sent, stream.plan.offsets, strict=True):
        assert at - start >= offset * stream.pace / 1000.0 - 0.02, payload["seq"]
    # explanation_complete reports the measured duration.
    assert sent[-1][1]["duration_ms"] == pytest.approx(measured * 1000, abs=50)
