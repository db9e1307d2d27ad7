"""Steps before layout: what a solver writes, and the checks it must pass.

A solver returns a list of `Draft`s; the last one states the result, framed on the
board. Every result a solver states has been checked first (`ensure`), so a wrong
computation is refused instead of taught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plot import Plot

MAX_RESULT_LATEX = 450

Command = dict[str, Any]


class Unsupported(ValueError):
    """The question is recognized, but not something the solvers explain well."""


@dataclass
class Draft:
    """A step before layout: `lines` are what gets written on the board.

    `plot` (a function graph) or `sketch` (ready-made commands for the right-hand panel,
    e.g. a labelled triangle) stays on the board until another one replaces it.
    """

    title: str
    type: str
    content: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    final: bool = False
    plot: Plot | None = None
    sketch: list[Command] | None = None


def ensure(condition: object, what: str) -> None:
    """Refuse the answer (Unsupported) unless an independent check holds."""
    if not condition:
        raise Unsupported(f"check failed: {what}")


def check_size(latex: str) -> str:
    if len(latex) > MAX_RESULT_LATEX:
        raise Unsupported("result too long to explain on the board")
    return latex


def math_step(title: str, latex: str, note: str | None = None) -> Draft:
    """A `math` step: LaTeX content, written on the board with an optional note."""
    lines = [("math", latex)]
    if note:
        lines.append(("text", note))
    return Draft(title=title, type="math", content=latex, lines=lines)


def text_step(
    title: str, text: str, plot: Plot | None = None, sketch: list[Command] | None = None
) -> Draft:
    return Draft(
        title=title, type="text", content=text, lines=[("text", text)], plot=plot, sketch=sketch
    )


def result_step(latex: str, note: str | None = None) -> Draft:
    """The closing step: states the result, framed on the board."""
    lines = [("math", check_size(latex))]
    if note:
        lines.append(("text", note))
    return Draft(title="Resultado", type="math", content=latex, lines=lines, final=True)
