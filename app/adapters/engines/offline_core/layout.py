"""Canvas layout: writes each step's work top to bottom on the 1280x720 board, with
the step's graph or sketch in the right-hand panel.

Every command is built already valid (lower-case colours, coordinates on the board,
rounded like the sanitizer), so `sanitize_command` keeps it unchanged. Text and math
are anchored at their left edge and vertical middle (the client's convention), so a
line of height h whose top is at y is drawn at y + h / 2.
"""

from __future__ import annotations

from .drafts import Command, Draft
from .latex_width import width_em
from .plot import c, plot_commands

LEFT, TOP, BOTTOM, BOARD_H = 40, 16, 700, 720
WORK_W_WITH_PANEL, WORK_W_FULL = 700, 1200
LINE_GAP = 20
RESULT_PAD_X, RESULT_PAD_Y = 14, 6

TITLE_COLOR = "#1d4ed8"
INK = "#111827"
NOTE = "#374151"
RESULT_FILL = "#fef08a"
RESULT_EDGE = "#16a34a"

RESULT_SLACK = 1.2  # the width estimate is within 15 % of Chromium's (tests/browser)
MATH_HEIGHT_EM = 1.175  # KaTeX's inline box: ascent + descent of its strut


def _wrap(text: str, width_chars: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


class Board:
    """Keeps the writing position across steps and clears when the board is full."""

    def __init__(self, has_panel: bool) -> None:
        self.y = TOP  # top of the next free line
        self.width = WORK_W_WITH_PANEL if has_panel else WORK_W_FULL
        self.started = False
        self.persistent: list[Command] = []

    @staticmethod
    def _line_height(kind: str, body: str, size: int) -> int:
        if kind == "math":
            tall = "\\frac" in body or "\\int" in body or "\\begin" in body or "\\sum" in body
            return int(size * (2.4 if tall else 1.7))
        return int(size * 1.5)

    def _prepare(self, title: str, lines: list[tuple[str, str]], final: bool) -> list[tuple]:
        items: list[tuple[str, str, int, str]] = [("text", title, 24, TITLE_COLOR)]
        for kind, body in lines:
            if kind == "math":
                base = 40 if final else 30
                size = int(max(14, min(base, self.width / (RESULT_SLACK * width_em(body)))))
                items.append(("math", body[:500], size, INK))
            else:
                for part in _wrap(body, int(self.width / (0.52 * 22))):
                    items.append(("text", part[:500], 22, NOTE))
        return items

    def _result_frame(self, body: str, size: int, middle: float) -> list[Command]:
        """A box centred on the formula's middle, as wide as the formula plus padding."""
        width = RESULT_SLACK * width_em(body) * size + 2 * RESULT_PAD_X
        height = MATH_HEIGHT_EM * size + 2 * RESULT_PAD_Y
        return {
            "x": c(LEFT - RESULT_PAD_X),
            "y": c(middle - height / 2),
            "w": c(width),
            "h": c(height),
        }

    def step(self, draft: Draft) -> list[Command]:
        """The commands that write one step (and its graph, sketch or result frame)."""
        out: list[Command] = []
        if not self.started:
            out.append({"op": "clear"})
            self.started = True
        panel = plot_commands(draft.plot) if draft.plot is not None else draft.sketch
        if panel:
            self.persistent = list(panel)
            out.extend(panel)
        items = self._prepare(draft.title, draft.lines, draft.final)
        needed = sum(self._line_height(k, b, s) for k, b, s, _ in items) + LINE_GAP
        if self.y + needed > BOTTOM and self.y > TOP:
            out.append({"op": "clear"})
            out.extend(self.persistent)
            self.y = TOP
        for kind, body, size, color in items:
            height = self._line_height(kind, body, size)
            if self.y + height > BOARD_H:
                break
            middle = c(self.y + height / 2)
            if kind == "math":
                command = {"op": "math", "x": LEFT, "y": middle, "latex": body, "size": size}
                command["color"] = color
                if draft.final:
                    box = self._result_frame(body, size, middle)
                    out.append({"op": "highlight", **box, "color": RESULT_FILL})
                    out.append(command)
                    out.append({"op": "rect", **box, "color": RESULT_EDGE})
                else:
                    out.append(command)
            else:
                out.append(
                    {
                        "op": "text",
                        "x": LEFT,
                        "y": middle,
                        "text": body,
                        "size": size,
                        "color": color,
                    }
                )
            self.y += height
        self.y += LINE_GAP
        return out[:200]
