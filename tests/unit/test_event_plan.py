"""The event plan: word chunks, the order of a step's events, pacing and determinism."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import fakeredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.event_plan import (
    COMMAND_WEIGHT,
    GENERATED_UNIT_MS,
    MAX_UNIT_MS,
    MIN_UNIT_MS,
    STEP_END_WEIGHT,
    STEP_START_WEIGHT,
    WORD_WEIGHT,
    EventPlan,
    PlannedEvent,
    plan_step,
    plan_steps,
    split_words,
    unit_ms,
)
from app.domain.explanation import Explanation, Step
from app.domain.records import StreamState
from app.repositories.redis.sessions import SessionRepository
from app.streaming.stream import GENERATED_TOTAL_DURATION_S, build_plan

FAST = settings(max_examples=200, deadline=None)
WORD_CHUNK = re.compile(r"\s*\S+")

words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
    min_size=1,
    max_size=8,
)
spaces = st.text(alphabet=" \t\n\u00a0\u2003", min_size=1, max_size=3)


@st.composite
def contents(draw: st.DrawFn) -> str:
    """Text made of words and whitespace runs, leading/trailing whitespace included."""
    parts = draw(st.lists(words, max_size=25))
    text = draw(st.one_of(st.just(""), spaces))
    for word in parts:
        text += word + draw(spaces)
    return text if draw(st.booleans()) else text.rstrip()


canvas = st.one_of(
    st.just({"op": "clear"}),
    st.builds(
        lambda x, y, t: {"op": "text", "x": x, "y": y, "text": t},
        st.integers(0, 1280),
        st.integers(0, 720),
        st.text(alphabet="abcxyz=+ ", min_size=1, max_size=6).filter(str.strip),
    ),
    st.builds(
        lambda x, y, r: {"op": "circle", "x": x, "y": y, "r": r},
        st.integers(100, 600),
        st.integers(100, 600),
        st.integers(1, 50),
    ),
)
steps = st.builds(
    lambda title, kind, content, commands: Step(
        title=title, type=kind, content=content, canvas_commands=commands
    ),
    st.text(alphabet="Paso 123", min_size=1, max_size=10).filter(str.strip),
    st.sampled_from(["text", "math", "image"]),
    contents().filter(str.strip),
    st.lists(canvas, max_size=12),
)


# -- split_words --------------------------------------------------------------------


@FAST
@given(contents())
def test_chunks_concatenate_back_exactly(content: str) -> None:
    assert "".join(split_words(content)) == content


@FAST
@given(contents())
def test_each_chunk_holds_one_word(content: str) -> None:
    chunks = split_words(content)
    assert all(chunks), "no empty chunk"
    word_chunks = [c for c in chunks if c.strip()]
    assert len(word_chunks) == len(content.split())
    for chunk in word_chunks:
        assert WORD_CHUNK.fullmatch(chunk), repr(chunk)
    # Only trailing whitespace (or a blank content) makes a chunk without a word.
    blank = [i for i, c in enumerate(chunks) if not c.strip()]
    assert blank in ([], [len(chunks) - 1])
    if blank:
        assert content[-1].isspace()


@pytest.mark.parametrize(
    ("content", "chunks"),
    [
        ("", []),
        ("hola", ["hola"]),
        ("La derivada de x^2 es 2x.", ["La", " derivada", " de", " x^2", " es", " 2x."]),
        ("a  b\n\nc", ["a", "  b", "\n\nc"]),
        ("  sangría inicial", ["  sangría", " inicial"]),
        ("fin ", ["fin", " "]),
    ],
)
def test_split_words_examples(content: str, chunks: list[str]) -> None:
    assert split_words(content) == chunks


# -- plan_step ------------------------------------------------------------------------


@FAST
@given(steps, st.integers(0, 39))
def test_step_events_in_protocol_order(step: Step, index: int) -> None:
    events = plan_step(step, index)
    names = [e.name for e in events]
    assert names[0] == "step_start" and names[-1] == "step_complete"
    assert set(names[1:-1]) <= {"content_chunk", "canvas_command"}
    assert events[0].payload == {"step_index": index, "title": step.title, "type": step.type}
    assert events[-1].payload == {"step_index": index}
    assert all(e.step_index == index and e.payload["step_index"] == index for e in events)

    chunks = [e for e in events if e.name == "content_chunk"]
    commands = [e for e in events if e.name == "canvas_command"]
    # All the text, in order, with 0-based contiguous chunk indexes.
    assert "".join(e.payload["text"] for e in chunks) == step.content
    assert [e.payload["chunk_index"] for e in chunks] == list(range(len(chunks)))
    assert [e.payload["text"] for e in chunks] == split_words(step.content)
    # Every canvas command, in order, none invented.
    assert [e.payload["command"] for e in commands] == step.canvas_commands


@FAST
@given(steps)
def test_canvas_commands_are_spread_among_the_chunks(step: Step) -> None:
    """Command k goes before chunk floor(k*n/m): the drawing keeps pace with the text."""
    events = plan_step(step, 0)
    n, m = len(split_words(step.content)), len(step.canvas_commands)
    chunks_before: list[int] = []
    seen = 0
    for event in events:
        if event.name == "content_chunk":
            seen += 1
        elif event.name == "canvas_command":
            chunks_before.append(seen)
    assert chunks_before == [k * n // m for k in range(m)]
    assert all(before < n for before in chunks_before), "no command trails the whole text"


@FAST
@given(steps)
def test_position_fields_follow_the_last_chunk(step: Step) -> None:
    """`chunk_index` of a planned event is the last chunk sent once it is sent."""
    last = -1
    for event in plan_step(step, 3):
        if event.name == "content_chunk":
            last = event.payload["chunk_index"]
        assert event.chunk_index == last


def test_plan_step_example() -> None:
    step = Step(
        title="Regla de la potencia",
        type="math",
        content="Baja el exponente y resta uno",
        canvas_commands=[{"op": "clear"}, {"op": "math", "x": 10, "y": 10, "latex": "2x"}],
    )
    events = plan_step(step, 1)
    assert [(e.name, e.payload.get("chunk_index"), e.weight) for e in events] == [
        ("step_start", None, STEP_START_WEIGHT),
        ("canvas_command", None, COMMAND_WEIGHT),
        ("content_chunk", 0, WORD_WEIGHT),
        ("content_chunk", 1, WORD_WEIGHT),
        ("content_chunk", 2, WORD_WEIGHT),
        ("canvas_command", None, COMMAND_WEIGHT),  # 2nd of 2 commands: before chunk 6 // 2
        ("content_chunk", 3, WORD_WEIGHT),
        ("content_chunk", 4, WORD_WEIGHT),
        ("content_chunk", 5, WORD_WEIGHT),
        ("step_complete", None, STEP_END_WEIGHT),
    ]
    assert events[5].payload == {"step_index": 1, "command": step.canvas_commands[1]}


# -- EventPlan and pacing ----------------------------------------------------------------


def full_plan(
    step_list: list[Step], total_duration: float, header: dict[str, Any] | None = None
) -> EventPlan:
    plan = EventPlan(header=header or {"question": "q"}, unit_ms=unit_ms(step_list, total_duration))
    for step in step_list:
        plan.add_step(step)
    plan.finish()
    return plan


@FAST
@given(st.lists(steps, min_size=1, max_size=5), st.floats(1, 3600))
def test_plan_offsets_and_duration(step_list: list[Step], total: float) -> None:
    plan = full_plan(step_list, total)
    unit = plan.unit_ms
    assert MIN_UNIT_MS <= unit <= MAX_UNIT_MS
    assert len(plan) == len(plan.events) == len(plan.offsets)
    assert plan.offsets[0] == 0 and plan.events[0].name == "explanation_start"
    assert all(b >= a for a, b in zip(plan.offsets, plan.offsets[1:], strict=False))
    for i in range(1, len(plan)):
        assert plan.offsets[i] == pytest.approx(plan.offsets[i - 1] + plan.events[i].weight * unit)

    step_weight = sum(e.weight for i, s in enumerate(step_list) for e in plan_step(s, i))
    nominal_ms = total * 1000
    # The steps take total_duration unless the reading pace would leave 120..600 ms a unit.
    steps_ms = step_weight * unit
    if MIN_UNIT_MS < nominal_ms / step_weight < MAX_UNIT_MS:
        assert steps_ms == pytest.approx(nominal_ms)
    elif nominal_ms / step_weight <= MIN_UNIT_MS:
        assert unit == MIN_UNIT_MS and steps_ms >= nominal_ms - 1e-6
    else:
        assert unit == MAX_UNIT_MS and steps_ms <= nominal_ms + 1e-6
    # The whole plan adds only explanation_complete's one unit to the steps.
    assert plan.offsets[-1] == pytest.approx(steps_ms + STEP_END_WEIGHT * unit)


def test_unit_ms_is_clamped() -> None:
    short = [Step(title="t", content="una dos tres")]  # weight 2 + 3 + 1 = 6
    assert unit_ms(short, 1.2) == pytest.approx(200.0)
    assert unit_ms(short, 0.1) == MIN_UNIT_MS
    assert unit_ms(short, 3600) == MAX_UNIT_MS
    assert unit_ms([], 60) == MIN_UNIT_MS


def test_plan_sequence_and_finish() -> None:
    plan = EventPlan(header={"question": "q", "total_steps": 2}, unit_ms=200)
    assert len(plan) == 1 and plan.steps == 0 and not plan.complete
    assert plan.events[0] == PlannedEvent(
        "explanation_start", {"question": "q", "total_steps": 2}, 0.0, -1, -1
    )
    plan.add_step(Step(title="A", content="uno dos"))
    plan.add_step(Step(title="B", content="tres"))
    plan.finish()
    plan.finish()  # idempotent
    names = [e.name for e in plan.events]
    assert names == [
        "explanation_start",
        "step_start",
        "content_chunk",
        "content_chunk",
        "step_complete",
        "step_start",
        "content_chunk",
        "step_complete",
        "explanation_complete",
    ]
    assert plan.events[-1].payload == {"total_steps": 2}
    assert [e.step_index for e in plan.events] == [-1, 0, 0, 0, 0, 1, 1, 1, 1]
    assert plan.offsets == [0.0, 400.0, 600.0, 800.0, 1000.0, 1400.0, 1600.0, 1800.0, 2000.0]


# -- determinism -------------------------------------------------------------------------


@FAST
@given(st.lists(steps, min_size=1, max_size=4), st.floats(1, 600))
def test_same_steps_give_the_same_plan(step_list: list[Step], total: float) -> None:
    """Another instance rebuilds the plan from the stored JSON and resumes at a seq."""
    stored = Explanation(steps=step_list, total_duration=total).to_json_dict()
    reloaded = Explanation.model_validate(stored)
    a = full_plan(step_list, total)
    b = full_plan(reloaded.steps, reloaded.total_duration)
    assert a.events == b.events
    assert a.offsets == b.offsets
    assert a.unit_ms == b.unit_ms


def stored_and_reloaded(state: StreamState) -> StreamState:
    """The state as another instance reads it back from the session in Redis."""
    sessions = SessionRepository(fakeredis.FakeRedis(decode_responses=True))
    session = sessions.create(state.user_id, "sid-1")
    assert sessions.start_stream(replace(state, session_id=session.session_id))
    stored = sessions.get(session.session_id)
    assert stored is not None and stored.active is not None
    assert stored.active == replace(state, session_id=session.session_id)
    return replace(stored.active, session_id=state.session_id)


def test_build_plan_is_a_function_of_the_state() -> None:
    explanation = Explanation(
        steps=[Step(title="Uno", content="a b c"), Step(title="Dos", content="d e")],
        total_duration=30,
    )
    state = StreamState(
        interaction_id="i-1",
        user_id="u",
        session_id="s",
        question="¿x?",
        question_hash="h",
        source="cache",
        credits_charged=1,
        credits_remaining=9,
    )
    plans = []
    for _ in range(2):
        # build_plan adds every step of a given explanation and finishes the plan.
        plan = build_plan(
            stored_and_reloaded(state),
            Explanation.model_validate(explanation.to_json_dict()),
        )
        plans.append(plan)
    assert plans[0].events == plans[1].events and plans[0].offsets == plans[1].offsets
    assert plans[0].complete and plans[0].steps == len(explanation.steps)
    # The same events as adding the steps one by one, and as the pre-planned steps.
    by_hand = full_plan(explanation.steps, explanation.total_duration, plans[0].header)
    assert plans[0].events == by_hand.events and plans[0].offsets == by_hand.offsets
    preplanned = build_plan(state, explanation, plan_steps(explanation.steps))
    assert preplanned.events == plans[0].events and preplanned.offsets == plans[0].offsets
    assert plans[0].events[0].payload == {
        "question": "¿x?",
        "source": "cache",
        "total_steps": 2,
        "total_duration": 30,
        "credits_charged": 1,
        "credits_remaining": 9,
    }
    generated = build_plan(state, None)
    assert generated.events[0].payload["total_steps"] is None
    assert generated.events[0].payload["total_duration"] == GENERATED_TOTAL_DURATION_S
    assert generated.unit_ms == GENERATED_UNIT_MS == 250.0
    # A generated plan grows as the steps arrive: only the header so far.
    assert len(generated) == 1 and generated.steps == 0 and not generated.complete
