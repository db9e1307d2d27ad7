"""What the math recognizers hand to the solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from app.adapters.engines.offline_core.engine import NotRecognized


class NotMath(NotRecognized):
    """The question is not a computable math request we handle."""


@dataclass
class Task:
    """A recognized symbolic request: what to do and with which (already parsed) math.

    kind: equation | system | derivative | integral | limit | simplify | factor | expand
    """

    kind: str
    source: str
    exprs: list[sp.Expr] = field(default_factory=list)
    equations: list[tuple[sp.Expr, sp.Expr]] = field(default_factory=list)
    var: sp.Symbol | None = None
    lower: sp.Expr | None = None
    upper: sp.Expr | None = None
    point: sp.Expr | None = None
    degrees: bool = False
    typed: tuple[sp.Expr, sp.Expr] | None = None  # the equation's sides as written
