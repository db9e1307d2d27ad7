"""The explanation format and the canvas sanitizer: a client never gets an invalid command."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.explanation import (
    BOARD_HEIGHT,
    BOARD_WIDTH,
    MAX_CANVAS_TEXT_CHARS,
    MAX_COMMANDS_PER_STEP,
    MAX_PATH_POINTS,
    MAX_STEPS,
    Explanation,
    Step,
    sanitize_command,
    sanitize_commands,
)

FAST = settings(max_examples=200, deadline=None)
EPS = 1e-6  # float addition of two 2-decimal values may land a hair past the edge

VALID: list[dict[str, Any]] = [
    {"op": "clear"},
    {"op": "text", "x": 100, "y": 50, "text": "Hola, Ana", "size": 32, "color": "#1f2937"},
    {"op": "text", "x": 0, "y": 720, "text": "esquina"},
    {"op": "math", "x": 640, "y": 360, "latex": "\\frac{d}{dx}x^2 = 2x", "size": 40},
    {"op": "math", "x": 12.5, "y": 30.25, "latex": "x^2", "color": "#2563eb"},
    {"op": "line", "x1": 0, "y1": 0, "x2": 1280, "y2": 720, "color": "#000000", "width": 2},
    {"op": "line", "x1": 10, "y1": 20, "x2": 30, "y2": 40},
    {"op": "arrow", "x1": 100, "y1": 100, "x2": 300, "y2": 100, "color": "#dc2626", "width": 4},
    {"op": "rect", "x": 10, "y": 20, "w": 300, "h": 200, "color": "#ff0000", "fill": "#00ff00"},
    {"op": "rect", "x": 0, "y": 0, "w": 1280, "h": 720},
    {"op": "circle", "x": 640, "y": 360, "r": 100, "color": "#123456", "fill": "#abcdef"},
    {"op": "circle", "x": 360, "y": 360, "r": 360},
    {"op": "path", "points": [[0, 0], [10.5, 20.25], [1280, 720]], "color": "#000000", "width": 3},
    {"op": "path", "points": [[1, 2], [3, 4]]},
    {"op": "highlight", "x": 5, "y": 5, "w": 100, "h": 40, "color": "#ffff00"},
    {"op": "text", "x": 1, "y": 1, "text": "t", "size": 8, "color": "#aaaaaa"},
    {"op": "text", "x": 1, "y": 1, "text": "t", "size": 200},
    {"op": "line", "x1": 1, "y1": 1, "x2": 2, "y2": 2, "width": 1},
    {"op": "line", "x1": 1, "y1": 1, "x2": 2, "y2": 2, "width": 40},
]

COLOR = re.compile(r"#[0-9a-f]{6}")
FIELDS: dict[str, set[str]] = {
    "clear": set(),
    "text": {"x", "y", "text", "size", "color"},
    "math": {"x", "y", "latex", "size", "color"},
    "line": {"x1", "y1", "x2", "y2", "color", "width"},
    "arrow": {"x1", "y1", "x2", "y2", "color", "width"},
    "rect": {"x", "y", "w", "h", "color", "fill"},
    "highlight": {"x", "y", "w", "h", "color"},
    "circle": {"x", "y", "r", "color", "fill"},
    "path": {"points", "color", "width"},
}
REQUIRED: dict[str, set[str]] = {
    "clear": set(),
    "text": {"x", "y", "text"},
    "math": {"x", "y", "latex"},
    "line": {"x1", "y1", "x2", "y2"},
    "arrow": {"x1", "y1", "x2", "y2"},
    "rect": {"x", "y", "w", "h"},
    "highlight": {"x", "y", "w", "h"},
    "circle": {"x", "y", "r"},
    "path": {"points"},
}


def is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and round(value, 2) == value  # coordinates travel with at most 2 decimals
    )


def assert_on_board(cmd: dict[str, Any]) -> None:
    """Everything the protocol promises about a command a client receives."""
    op = cmd["op"]
    assert op in FIELDS
    assert set(cmd) - {"op"} <= FIELDS[op], "no foreign keys"
    assert REQUIRED[op] <= set(cmd)
    for key in ("x", "y", "x1", "y1", "x2", "y2", "w", "h", "r", "size", "width"):
        if key in cmd:
            assert is_number(cmd[key]), (key, cmd[key])
    for key in ("x", "x1", "x2"):
        if key in cmd:
            assert 0 <= cmd[key] <= BOARD_WIDTH
    for key in ("y", "y1", "y2"):
        if key in cmd:
            assert 0 <= cmd[key] <= BOARD_HEIGHT
    if op in ("rect", "highlight"):
        assert cmd["w"] > 0 and cmd["h"] > 0
        assert cmd["x"] + cmd["w"] <= BOARD_WIDTH + EPS
        assert cmd["y"] + cmd["h"] <= BOARD_HEIGHT + EPS
    if op == "circle":
        x, y, r = cmd["x"], cmd["y"], cmd["r"]
        assert r > 0
        assert x - r >= -EPS and x + r <= BOARD_WIDTH + EPS
        assert y - r >= -EPS and y + r <= BOARD_HEIGHT + EPS
    if op == "path":
        assert 2 <= len(cmd["points"]) <= MAX_PATH_POINTS
        for px, py in cmd["points"]:
            assert is_number(px) and is_number(py)
            assert 0 <= px <= BOARD_WIDTH and 0 <= py <= BOARD_HEIGHT
    if "size" in cmd:
        assert 8 <= cmd["size"] <= 200
    if "width" in cmd:
        assert 1 <= cmd["width"] <= 40
    for key in ("color", "fill"):
        if key in cmd:
            assert isinstance(cmd[key], str) and COLOR.fullmatch(cmd[key]), cmd[key]
    for key in ("text", "latex"):
        if key in cmd:
            body = cmd[key]
            assert isinstance(body, str) and body == body.strip() and body
            assert len(body) <= MAX_CANVAS_TEXT_CHARS and "\x00" not in body


# -- valid commands ------------------------------------------------------------------


@pytest.mark.parametrize("cmd", VALID, ids=lambda c: c["op"])
def test_valid_commands_are_kept_unchanged(cmd: dict[str, Any]) -> None:
    original = copy.deepcopy(cmd)
    assert sanitize_command(cmd) == original
    assert cmd == original, "the input is not mutated"
    assert_on_board(original)


def test_valid_list_is_kept_in_order() -> None:
    assert sanitize_commands(copy.deepcopy(VALID)) == VALID


# -- clipping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        (
            {"op": "text", "x": -50, "y": 900, "text": "a"},
            {"op": "text", "x": 0, "y": 720, "text": "a"},
        ),
        (
            {"op": "math", "x": 5000, "y": -1.5, "latex": "x"},
            {"op": "math", "x": 1280, "y": 0, "latex": "x"},
        ),
        (
            {"op": "line", "x1": -10, "y1": 800, "x2": 2000, "y2": 360.5},
            {"op": "line", "x1": 0, "y1": 720, "x2": 1280, "y2": 360.5},
        ),
        (
            {"op": "arrow", "x1": 1e9, "y1": -1e9, "x2": 3, "y2": 4},
            {"op": "arrow", "x1": 1280, "y1": 0, "x2": 3, "y2": 4},
        ),
        (
            {"op": "rect", "x": 1200, "y": 700, "w": 200, "h": 100},
            {"op": "rect", "x": 1200, "y": 700, "w": 80, "h": 20},
        ),
        (
            {"op": "rect", "x": -100, "y": -5, "w": 5000, "h": 5000},
            {"op": "rect", "x": 0, "y": 0, "w": 1280, "h": 720},
        ),
        (
            {"op": "highlight", "x": 1000, "y": 10, "w": 400.5, "h": 10},
            {"op": "highlight", "x": 1000, "y": 10, "w": 280, "h": 10},
        ),
        (
            {"op": "circle", "x": 10, "y": 300, "r": 50},
            {"op": "circle", "x": 10, "y": 300, "r": 10},
        ),
        (
            {"op": "circle", "x": 1270, "y": 300, "r": 50},
            {"op": "circle", "x": 1270, "y": 300, "r": 10},
        ),
        ({"op": "circle", "x": 600, "y": 5, "r": 50}, {"op": "circle", "x": 600, "y": 5, "r": 5}),
        (
            {"op": "circle", "x": 600, "y": 715, "r": 50},
            {"op": "circle", "x": 600, "y": 715, "r": 5},
        ),
        (
            {"op": "path", "points": [[-5, 800], [2000, -1], [640.123, 360]]},
            {"op": "path", "points": [[0, 720], [1280, 0], [640.12, 360]]},
        ),
    ],
)
def test_out_of_range_values_are_clipped_onto_the_board(
    cmd: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = sanitize_command(cmd)
    assert out == expected
    assert out is not None
    assert_on_board(out)


@pytest.mark.parametrize(
    ("size", "expected"), [(2, 8), (7.9, 8), (8, 8), (31.5, 31.5), (200, 200), (500, 200), (-3, 8)]
)
def test_size_is_clamped(size: float, expected: float) -> None:
    out = sanitize_command({"op": "text", "x": 1, "y": 1, "text": "a", "size": size})
    assert out is not None and out["size"] == expected


@pytest.mark.parametrize(
    ("width", "expected"), [(0, 1), (0.5, 1), (1, 1), (12, 12), (40, 40), (99, 40)]
)
def test_width_is_clamped(width: float, expected: float) -> None:
    out = sanitize_command({"op": "line", "x1": 1, "y1": 1, "x2": 5, "y2": 5, "width": width})
    assert out is not None and out["width"] == expected


@pytest.mark.parametrize("size", ["12", None, True, float("nan"), float("inf"), [12]])
def test_bad_size_is_dropped_but_the_command_kept(size: Any) -> None:
    out = sanitize_command({"op": "math", "x": 1, "y": 1, "latex": "x", "size": size})
    assert out == {"op": "math", "x": 1, "y": 1, "latex": "x"}


def test_colours_are_lower_cased() -> None:
    out = sanitize_command(
        {"op": "rect", "x": 1, "y": 1, "w": 2, "h": 2, "color": "#ABCDEF", "fill": "#A1b2C3"}
    )
    assert out == {
        "op": "rect",
        "x": 1,
        "y": 1,
        "w": 2,
        "h": 2,
        "color": "#abcdef",
        "fill": "#a1b2c3",
    }


@pytest.mark.parametrize(
    "color",
    [
        "red",
        "#abc",
        "#abcdefa",
        "abcdef",
        "#ggg000",
        " #aabbcc",
        "#aabbcc ",
        "#aabbcc\n",
        0xFF0000,
        None,
        ["#aabbcc"],
    ],
    ids=repr,
)
def test_invalid_colours_are_dropped(color: Any) -> None:
    out = sanitize_command(
        {"op": "circle", "x": 50, "y": 50, "r": 5, "color": color, "fill": color}
    )
    assert out == {"op": "circle", "x": 50, "y": 50, "r": 5}


def test_highlight_has_no_fill_and_text_no_width() -> None:
    out = sanitize_command(
        {"op": "highlight", "x": 1, "y": 1, "w": 2, "h": 2, "fill": "#000000", "width": 3}
    )
    assert out == {"op": "highlight", "x": 1, "y": 1, "w": 2, "h": 2}
    out = sanitize_command(
        {"op": "text", "x": 1, "y": 1, "text": "a", "width": 3, "fill": "#000000"}
    )
    assert out == {"op": "text", "x": 1, "y": 1, "text": "a"}


def test_extra_fields_are_dropped() -> None:
    assert sanitize_command({"op": "clear", "x": 5, "onclick": "alert(1)"}) == {"op": "clear"}
    out = sanitize_command({"op": "text", "x": 1, "y": 1, "text": "a", "html": "<b>a</b>"})
    assert out == {"op": "text", "x": 1, "y": 1, "text": "a"}


def test_canvas_text_is_plain_and_capped() -> None:
    out = sanitize_command({"op": "text", "x": 1, "y": 1, "text": "  a\x00b  "})
    assert out is not None and out["text"] == "ab"
    out = sanitize_command({"op": "text", "x": 1, "y": 1, "text": "z" * 900})
    assert out is not None and out["text"] == "z" * MAX_CANVAS_TEXT_CHARS
    # Cut at the limit, the text must not end in the space the cut exposed.
    out = sanitize_command({"op": "text", "x": 1, "y": 1, "text": "a" * 499 + " b"})
    assert out is not None and out["text"] == "a" * 499


# -- dropped commands --------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [
        None,
        "clear",
        ["op", "clear"],
        5,
        {},
        {"op": "triangle", "x": 1, "y": 1},
        {"op": None},
        {"op": "CLEAR"},
        {"op": "text", "x": 1, "y": 1},
        {"op": "text", "x": 1, "text": "a"},
        {"op": "text", "x": 1, "y": 1, "text": "   "},
        {"op": "text", "x": 1, "y": 1, "text": 5},
        {"op": "math", "x": 1, "y": 1, "text": "x"},
        {"op": "text", "x": "1", "y": 1, "text": "a"},
        {"op": "text", "x": True, "y": 1, "text": "a"},
        {"op": "text", "x": float("nan"), "y": 1, "text": "a"},
        {"op": "text", "x": float("inf"), "y": 1, "text": "a"},
        {"op": "line", "x1": 1, "y1": 1, "x2": 2},
        {"op": "arrow", "x1": 1, "y1": 1, "x2": 2, "y2": None},
        {"op": "rect", "x": 1, "y": 1, "w": 2},
        {"op": "rect", "x": 1, "y": 1, "w": 0, "h": 2},
        {"op": "rect", "x": 1, "y": 1, "w": 2, "h": -2},
        {"op": "rect", "x": 1280, "y": 1, "w": 2, "h": 2},
        {"op": "highlight", "x": 1, "y": 720, "w": 2, "h": 2},
        {"op": "circle", "x": 5, "y": 5},
        {"op": "circle", "x": 5, "y": 5, "r": 0},
        {"op": "circle", "x": 0, "y": 5, "r": 3},
        {"op": "circle", "x": 5, "y": 720, "r": 3},
        {"op": "path"},
        {"op": "path", "points": "0,0 1,1"},
        {"op": "path", "points": []},
        {"op": "path", "points": [[1, 2]]},
        {"op": "path", "points": [[1, 2], [None, 3], ["a", 1], [1, 2, 3], [4], True, [True, 1]]},
    ],
    ids=repr,
)
def test_invalid_commands_are_dropped(cmd: Any) -> None:
    assert sanitize_command(cmd) is None
    assert sanitize_commands([cmd]) == []


def test_path_keeps_its_valid_points_only() -> None:
    out = sanitize_command({"op": "path", "points": [[1, 2], [None, 3], (3, 4), [5], [6, 7]]})
    assert out == {"op": "path", "points": [[1, 2], [3, 4], [6, 7]]}


def test_path_points_are_capped() -> None:
    points = [[i % 1280, i % 720] for i in range(MAX_PATH_POINTS + 500)]
    out = sanitize_command({"op": "path", "points": points})
    assert out is not None and out["points"] == points[:MAX_PATH_POINTS]


def test_more_than_200_commands_are_truncated_to_200() -> None:
    many = [{"op": "text", "x": i % 1280, "y": 1, "text": str(i)} for i in range(250)]
    kept = sanitize_commands(many)
    assert len(kept) == MAX_COMMANDS_PER_STEP == 200
    assert [c["text"] for c in kept] == [str(i) for i in range(200)]


def test_dropped_commands_do_not_count_towards_the_limit() -> None:
    mixed: list[Any] = []
    for i in range(250):
        mixed += [
            {"op": "nope"},
            {"op": "clear"} if i % 2 else {"op": "text", "x": 1, "y": 1, "text": "t"},
        ]
    kept = sanitize_commands(mixed)
    assert len(kept) == 200
    assert kept == [c for c in mixed if c.get("op") != "nope"][:200]


@pytest.mark.parametrize("commands", [None, "clear", {"op": "clear"}, 3])
def test_non_list_commands_give_nothing(commands: Any) -> None:
    assert sanitize_commands(commands) == []


# -- properties --------------------------------------------------------------------

OPS = [*FIELDS, "triangle", "", None, 3]
KEYS = [
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "w",
    "h",
    "r",
    "size",
    "width",
    "color",
    "fill",
    "text",
    "latex",
    "points",
    "extra",
]

numbers = st.one_of(
    st.integers(-2000, 3000),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-100, 1400),
    st.sampled_from([0, 0.004, 0.005, 0.995, 1279.995, 1279.999, 719.996, 1280, 720, 8, 200, 40]),
)
colours = st.one_of(
    st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True),
    st.from_regex(r"#[0-9a-fA-F]{6}\n?"),
    st.text(max_size=8),
)
json_scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
point_lists = st.lists(
    st.one_of(st.lists(numbers, min_size=2, max_size=2), st.tuples(numbers, numbers), json_values),
    max_size=8,
)
texts = st.one_of(st.text(max_size=20), st.text(alphabet="a \x00\t", min_size=495, max_size=505))


def field_value(key: str, draw: st.DrawFn) -> Any:
    if key in ("color", "fill"):
        return draw(st.one_of(colours, json_scalars))
    if key in ("text", "latex"):
        return draw(st.one_of(texts, json_scalars))
    if key == "points":
        return draw(st.one_of(point_lists, json_values))
    return draw(st.one_of(numbers, numbers, numbers, json_scalars))


@st.composite
def commands(draw: st.DrawFn) -> Any:
    """JSON-like objects that mostly look like canvas commands, often slightly wrong."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    op = draw(st.sampled_from(OPS))
    cmd: dict[str, Any] = {"op": op}
    expected = FIELDS.get(op, set()) if isinstance(op, str) else set()
    for key in sorted(expected):
        # Required fields are usually there, optional ones half the time.
        if draw(st.integers(0, 9)) < (9 if key in REQUIRED.get(op, set()) else 5):
            cmd[key] = field_value(key, draw)
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)):
        cmd[key] = field_value(key, draw)
    return cmd


@FAST
@given(commands())
def test_sanitized_command_is_a_fixed_point_on_the_board(cmd: Any) -> None:
    original = copy.deepcopy(cmd)
    out = sanitize_command(cmd)
    assert cmd == original  # never mutated
    if out is None:
        return
    assert_on_board(out)
    again = sanitize_command(copy.deepcopy(out))
    assert again == out
    assert [type(v) for v in again.values()] == [type(v) for v in out.values()]


@FAST
@given(st.lists(commands(), max_size=30))
def test_sanitize_commands_keeps_only_board_commands(raw: list[Any]) -> None:
    kept = sanitize_commands(raw)
    assert len(kept) <= MAX_COMMANDS_PER_STEP
    for cmd in kept:
        assert_on_board(cmd)
    assert sanitize_commands(kept) == kept


# -- Step and Explanation ------------------------------------------------------------


def step(**fields: Any) -> dict[str, Any]:
    return {"title": "Paso", "content": "Contenido del paso.", **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "\x00"},
        {"title": None},
        {"title": 5},
        {"content": ""},
        {"content": " \n\t "},
        {"content": None},
        {"content": "x" * 4001},
        {"type": "video"},
    ],
    ids=repr,
)
def test_step_refuses_bad_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Step.model_validate(step(**fields))


def test_step_cleans_its_fields() -> None:
    s = Step.model_validate(
        step(title="  Regla\x00 de la cadena ", content="  x\x00y  ", extra="ignored")
    )
    assert s.title == "Regla de la cadena"
    assert s.content == "xy"
    assert s.type == "text"
    assert s.canvas_commands == []
    assert Step.model_validate(step(title="t" * 300)).title == "t" * 200
    assert len(Step.model_validate(step(content="c" * 4000)).content) == 4000
    assert Step.model_validate(step(canvas_commands=None)).canvas_commands == []


def test_step_sanitizes_its_canvas() -> None:
    raw = [
        {"op": "circle", "x": 10, "y": 10, "r": 50, "color": "#FFFFFF"},
        {"op": "bogus"},
        "clear",
        *[{"op": "clear"}] * 300,
    ]
    s = Step.model_validate(step(type="math", canvas_commands=raw))
    assert s.type == "math"
    assert s.canvas_commands[0] == {"op": "circle", "x": 10, "y": 10, "r": 10, "color": "#ffffff"}
    assert len(s.canvas_commands) == 200
    for cmd in s.canvas_commands:
        assert_on_board(cmd)


def explanation(n_steps: int, **fields: Any) -> dict[str, Any]:
    return {"steps": [step(title=f"Paso {i + 1}") for i in range(n_steps)], **fields}


@pytest.mark.parametrize("n_steps", [1, 2, MAX_STEPS])
def test_explanation_takes_1_to_40_steps(n_steps: int) -> None:
    e = Explanation.model_validate(explanation(n_steps))
    assert len(e.steps) == n_steps
    assert e.total_duration == 60


@pytest.mark.parametrize("n_steps", [0, MAX_STEPS + 1])
def test_explanation_refuses_other_step_counts(n_steps: int) -> None:
    assert MAX_STEPS == 40
    with pytest.raises(ValidationError):
        Explanation.model_validate(explanation(n_steps))


@pytest.mark.parametrize("duration", [0.5, 1, 120, 3600])
def test_total_duration_within_bounds(duration: float) -> None:
    assert (
        Explanation.model_validate(explanation(1, total_duration=duration)).total_duration
        == duration
    )


@pytest.mark.parametrize("duration", [0, -1, 3600.5, 10_000, "largo", None])
def test_total_duration_out_of_bounds_is_refused(duration: Any) -> None:
    with pytest.raises(ValidationError):
        Explanation.model_validate(explanation(1, total_duration=duration))


def test_explanation_refuses_missing_or_bad_steps() -> None:
    for bad in [{}, {"steps": None}, {"steps": "paso"}, {"steps": [{"title": "t"}]}]:
        with pytest.raises(ValidationError):
            Explanation.model_validate(bad)


def test_json_round_trip_is_stable() -> None:
    raw = explanation(3, total_duration=90, extra="ignored")
    raw["steps"][1]["canvas_commands"] = copy.deepcopy(VALID) + [
        {"op": "rect", "x": 1200, "y": 0, "w": 500, "h": 5}
    ]
    first = Explanation.model_validate(raw)
    dumped = first.to_json_dict()
    assert "extra" not in dumped
    assert dumped["steps"][1]["canvas_commands"][: len(VALID)] == VALID
    assert dumped["steps"][1]["canvas_commands"][-1]["w"] == 80
    again = Explanation.model_validate(dumped)
    assert again == first
    assert again.to_json_dict() == dumped
