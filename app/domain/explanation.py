"""The explanation format and the canvas vocabulary of the protocol.

Everything an engine produces passes through `Explanation`/`Step` before it is
stored or streamed, so a client never receives an invalid canvas command.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

BOARD_WIDTH = 1280
BOARD_HEIGHT = 720
MAX_COMMANDS_PER_STEP = 200
MAX_STEPS = 40
MAX_TITLE_CHARS = 200
MAX_CONTENT_CHARS = 4000
MAX_CANVAS_TEXT_CHARS = 500
SIZE_RANGE = (8, 200)
WIDTH_RANGE = (1, 40)
MAX_PATH_POINTS = 2000
MAX_TOTAL_DURATION = 3600

StepType = Literal["text", "image", "math"]
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _coord(value: float) -> int | float:
    """Two decimals at most; integral values as int, so a second pass changes nothing."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _plain(text: Any, limit: int) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = text.replace("\x00", "").strip()
    return cleaned[:limit].rstrip() or None


def _point(cmd: dict[str, Any], kx: str, ky: str) -> tuple[float, float] | None:
    x, y = _num(cmd.get(kx)), _num(cmd.get(ky))
    if x is None or y is None:
        return None
    return _coord(_clamp(x, 0, BOARD_WIDTH)), _coord(_clamp(y, 0, BOARD_HEIGHT))


def _style(cmd: dict[str, Any], out: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = cmd.get(key)
        if value is None:
            continue
        if key in ("color", "fill"):
            if isinstance(value, str) and _COLOR.fullmatch(value):
                out[key] = value.lower()
        elif key in ("size", "width"):
            low, high = SIZE_RANGE if key == "size" else WIDTH_RANGE
            number = _num(value)
            if number is not None:
                out[key] = _coord(_clamp(number, low, high))


def sanitize_command(cmd: Any) -> dict[str, Any] | None:
    """Return the command made valid for the 1280x720 board, or None to drop it."""
    if not isinstance(cmd, dict):
        return None
    op = cmd.get("op")
    out: dict[str, Any] = {"op": op}
    if op == "clear":
        return out
    if op in ("text", "math"):
        point = _point(cmd, "x", "y")
        body = _plain(cmd.get("text" if op == "text" else "latex"), MAX_CANVAS_TEXT_CHARS)
        if point is None or body is None:
            return None
        out.update(x=point[0], y=point[1])
        out["text" if op == "text" else "latex"] = body
        _style(cmd, out, ("size", "color"))
        return out
    if op in ("line", "arrow"):
        a, b = _point(cmd, "x1", "y1"), _point(cmd, "x2", "y2")
        if a is None or b is None:
            return None
        out.update(x1=a[0], y1=a[1], x2=b[0], y2=b[1])
        _style(cmd, out, ("color", "width"))
        return out
    if op in ("rect", "highlight"):
        point = _point(cmd, "x", "y")
        w, h = _num(cmd.get("w")), _num(cmd.get("h"))
        if point is None or w is None or h is None or w <= 0 or h <= 0:
            return None
        # Rounded like the (already rounded) corner, the extent still ends on the board.
        w, h = _coord(min(w, BOARD_WIDTH - point[0])), _coord(min(h, BOARD_HEIGHT - point[1]))
        if w <= 0 or h <= 0:
            return None
        out.update(x=point[0], y=point[1], w=w, h=h)
        _style(cmd, out, ("color", "fill") if op == "rect" else ("color",))
        return out
    if op == "circle":
        point = _point(cmd, "x", "y")
        r = _num(cmd.get("r"))
        if point is None or r is None or r <= 0:
            return None
        x, y = point
        r = _coord(min(r, x, BOARD_WIDTH - x, y, BOARD_HEIGHT - y))
        if r <= 0:
            return None
        out.update(x=x, y=y, r=r)
        _style(cmd, out, ("color", "fill"))
        return out
    if op == "path":
        raw = cmd.get("points")
        if not isinstance(raw, list):
            return None
        points = []
        for p in raw[:MAX_PATH_POINTS]:
            if isinstance(p, (list, tuple)) and len(p) == 2:
                x, y = _num(p[0]), _num(p[1])
                if x is not None and y is not None:
                    points.append(
                        [_coord(_clamp(x, 0, BOARD_WIDTH)), _coord(_clamp(y, 0, BOARD_HEIGHT))]
                    )
        if len(points) < 2:
            return None
        out["points"] = points
        _style(cmd, out, ("color", "width"))
        return out
    return None


def sanitize_commands(commands: Any) -> list[dict[str, Any]]:
    """Keep the valid commands (clipped), at most MAX_COMMANDS_PER_STEP."""
    if not isinstance(commands, list):
        return []
    kept = [c for c in (sanitize_command(raw) for raw in commands) if c is not None]
    return kept[:MAX_COMMANDS_PER_STEP]


class Step(BaseModel):
    """One step of an explanation; canvas commands are sanitized on the way in."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    type: StepType = "text"
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    canvas_commands: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _plain_title(cls, value: Any) -> Any:
        return _plain(value, MAX_TITLE_CHARS) or "" if isinstance(value, str) else value

    @field_validator("content", mode="before")
    @classmethod
    def _strip_content(cls, value: Any) -> Any:
        return value.replace("\x00", "").strip() if isinstance(value, str) else value

    @field_validator("canvas_commands", mode="before")
    @classmethod
    def _sanitize(cls, value: Any) -> list[dict[str, Any]]:
        return sanitize_commands(value if value is not None else [])


class Explanation(BaseModel):
    """A whole explanation as stored in `predefined_answers.answer`."""

    model_config = ConfigDict(extra="ignore")

    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    total_duration: float = Field(default=60, gt=0, le=MAX_TOTAL_DURATION)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
