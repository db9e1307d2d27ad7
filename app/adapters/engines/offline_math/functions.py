"""Questions about a function f(x) = ...: its value at a point, its domain, the vertex
of a parabola, where it cuts the axes, and its inverse."""

from __future__ import annotations

import re

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
)

from .common import plain, same_value, subst_tex, tex
from .domain import domain
from .function_task import FunctionTask, definition_step
from .parabola import intercepts, vertex
from .parser import MathParseError, parse_math

_STOP = r"(?=\s*(?:,|;|\.\s|\by\b|\ben\s+(?:x|el\s+punto)|\bcuando\b|\bpara\b|\bsi\b|\bcalcula|\bencuentra|\bcuanto|\bhalla|\bevalua|\bdetermina|\bcual|$))"
_DEFINITION = re.compile(rf"\b(?:([fgh])\s*\(\s*([a-z])\s*\)|(y))\s*=\s*(.+?){_STOP}")
_BARE = re.compile(rf"\b(?:de\s+la\s+(?:funcion|parabola|recta)|de)\s+(.+?){_STOP}")
_POINT_CALL = r"\b{name}\s*\(\s*(-?\s*[\d./]+|-?\s*\d*\s*pi(?:\s*/\s*\d+)?)\s*\)"
_POINT_AT = re.compile(
    r"\b(?:en|para|cuando|con)\s+(?:el\s+punto\s+)?([a-z])\s*(?:=|vale|es\s+igual\s+a)\s*(-?\s*[\d./]+)"
)
_WANTS = (
    ("domain", re.compile(r"\bdominio\b")),
    ("vertex", re.compile(r"\bvertice\b")),
    ("intercepts", re.compile(r"\bintersecci\w*|\bcortes?\b.*\bejes?\b|\bcorta\b.*\beje|\bordenada\s+al\s+origen\b")),
    ("roots", re.compile(r"\braices\b|\bceros\b|\braiz\b(?!\s+cuadrada)")),
    ("inverse", re.compile(r"\binversa\b")),
    ("value", re.compile(r"\bevalua\w*\b|\bvalor\s+de\b|\bcuanto\s+vale\b|\bcalcula\b|\bencuentra\b|\bobten\b|\bhalla\b|\bdetermina\b|\bcuanto\s+es\b")),
)  # fmt: skip


def _definition(text: str) -> tuple[str, sp.Symbol, sp.Expr] | None:
    found = _DEFINITION.search(text)
    if found:
        name = found.group(1) or "y"
        var = sp.Symbol(found.group(2) or "x")
        body = found.group(4)
    else:
        bare = _BARE.search(text)
        if not bare:
            return None
        name, var, body = "f", sp.Symbol("x"), bare.group(1)
    try:
        expr = parse_math(body)
    except MathParseError:
        return None
    if not expr.free_symbols or expr.free_symbols != {var}:
        return None
    return name, var, expr


def match(text: str) -> FunctionTask | None:
    want = next((w for w, pattern in _WANTS if pattern.search(text)), None)
    if want is None:
        return None
    definition = _definition(text)
    if definition is None:
        return None
    name, var, expr = definition
    if want == "value":
        call = re.search(_POINT_CALL.format(name=name), text.replace(f"{name}({var})", " "))
        at = call.group(1) if call else None
        if at is None:
            found = _POINT_AT.search(text)
            at = found.group(2) if found and found.group(1) == var.name else None
        if at is None:
            return None
        try:
            point = parse_math(at)
        except MathParseError:
            return None
        return FunctionTask("value", name, var, expr, point)
    if want == "vertex" and not (expr.is_polynomial(var) and sp.degree(expr, var) == 2):
        return None
    return FunctionTask(want, name, var, expr)


def solve(task: FunctionTask) -> list[Draft]:
    return {
        "value": _value,
        "domain": domain,
        "vertex": vertex,
        "intercepts": intercepts,
        "roots": intercepts,
        "inverse": _inverse,
    }[task.want](task)


def _value(task: FunctionTask) -> list[Draft]:
    x, f, a = task.var, task.expr, task.point
    value = sp.simplify(f.subs(x, a))
    if not value.is_finite or value.has(sp.I):
        raise Unsupported("the function is not defined at that point")
    ensure(same_value(sp.N(f.subs(x, a), 30), sp.N(value, 30)), "value at the point")
    call = f"{task.name}({tex(a)})"
    steps = [
        definition_step(task, f"Evaluar es cambiar {x} por {plain(a)} y hacer las operaciones."),
        math_step("Sustituimos", f"{call} = {subst_tex(f, x, a)}"),
    ]
    terms = sp.expand(f).as_ordered_terms()
    if len(terms) > 1 and f.is_polynomial(x):
        shown = " + ".join(tex(t.subs(x, a)) for t in terms).replace("+ -", "- ")
        steps.append(math_step("Calculamos cada término", f"{call} = {shown}"))
    steps.append(math_step("Sumamos", f"{call} = {tex(value)}"))
    return [*steps, result_step(f"{call} = {tex(value)}")]


def _inverse(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    y = sp.Symbol("y")
    solutions = sp.solve(sp.Eq(y, f), x)
    if len(solutions) != 1:
        raise Unsupported("the function is not one-to-one here")
    inverse = sp.simplify(solutions[0].subs(y, x))
    ensure(sp.simplify(f.subs(x, inverse) - x) == 0, "f(f^-1(x)) = x")
    steps = [
        definition_step(task, "Escribimos y en lugar de f(x) y despejamos x."),
        math_step("Planteamos", f"y = {tex(f)}"),
        math_step("Despejamos x", f"{tex(x)} = {tex(solutions[0])}"),
        math_step(
            "Intercambiamos las letras",
            f"{task.name}^{{-1}}({tex(x)}) = {tex(inverse)}",
            "La inversa se escribe otra vez en términos de x.",
        ),
        math_step(
            "Comprobamos",
            f"{task.name}\\left({task.name}^{{-1}}(x)\\right) = {tex(sp.simplify(f.subs(x, inverse)))}",
            "Componer una función con su inversa da x.",
        ),
    ]
    return [*steps, result_step(f"{task.name}^{{-1}}({tex(x)}) = {tex(inverse)}")]
