"""A question about a function f(x) = ..., and how its explanations open."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, math_step

from .common import tex


@dataclass
class FunctionTask:
    want: str
    name: str
    var: sp.Symbol
    expr: sp.Expr
    point: sp.Expr | None = None
    kind: str = "function"


def head(task: FunctionTask) -> str:
    return f"{task.name}({tex(task.var)})" if task.name != "y" else "y"


def definition_step(task: FunctionTask, note: str) -> Draft:
    return math_step("La función", f"{head(task)} = {tex(task.expr)}", note)
