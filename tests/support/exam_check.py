"""The exam fixture set (tests/data/exam_questions/*.yaml) and the judge that reads an
engine's closing step and compares it with the expected result, numerically or
symbolically. Shared by tests/unit/test_exam_coverage.py and bench/bench_offline.py.

Each item is `{question, area, expect}`. Computable expectations (this module judges them):
`value` (number, optionally `unit`), `quantity` + `unit`, `solutions` (list of expressions,
`k` an integer), `values` (list, or label -> number), `expr` (optionally `up_to_constant`),
`point`, `points`, `set`, `coefficients`, `undefined`. Items with `topic` belong to the
curated answer bank and are judged elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp
import yaml

from app.adapters.engines.math_check import to_expr

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "exam_questions"
COMPUTABLE = {"value", "quantity", "solutions", "values", "expr", "point", "points", "set",
              "coefficients", "undefined"}  # fmt: skip
REL_TOLERANCE = 5e-4  # results are shown rounded to 4 significant figures or 2 decimals


@dataclass(frozen=True)
class Item:
    question: str
    area: str
    expect: dict[str, Any]
    source: str

    @property
    def computable(self) -> bool:
        return bool(COMPUTABLE & set(self.expect))


def load_items() -> list[Item]:
    items = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append(
                Item(str(raw["question"]), str(raw["area"]), dict(raw["expect"]), path.name)
            )
    return items


def _clean(latex: str) -> str:
    latex = re.sub(r"\\(?:left|right)\b|\\[,;!]|\\ |\\quad|\\qquad", " ", latex)
    return latex.replace("\\%", "").replace("^\\circ", "").replace("^{\\circ}", "")


def _strip_units(segment: str) -> str:
    segment = re.sub(r"\\mathrm\{[^{}]*\}(?:\^\{?\d\}?)?", " ", segment)
    segment = re.sub(r"\\text\{[^{}]*\}(?:\^\{?\d\}?)?", " ", segment)
    return segment.strip()


def _unit(segment: str) -> str:
    found = re.findall(r"\\mathrm\{([^{}]*)\}(\^\{?(\d)\}?)?|\\text\{\s*([^{}]*)\}", segment)
    if not found:
        return ""
    unit, _, power, text = found[-1]
    unit = (unit or text).replace("\\Omega", "ohm").replace(" \\cdot ", "*").replace(" ", "")
    return unit + (f"^{power}" if power else "")


def _number(text: str) -> sp.Expr | None:
    expr = to_expr(text.strip())
    if expr is None:
        return None
    return expr.subs(sp.Symbol("i"), sp.I)


def _close(a: sp.Expr, b: float, tolerance: float = REL_TOLERANCE) -> bool:
    try:
        difference = abs(complex(sp.N(a)) - complex(b))
    except (TypeError, ValueError):
        return False
    return difference <= max(1e-9, tolerance * abs(complex(b)))


def _last_value(final: str) -> tuple[sp.Expr | None, str]:
    """The value a closing step states: after its last "=" ("A = 25π ≈ 78.54" -> 25π, with
    the rounded value as a fallback), or after "≈" when it has no "=" ("sen 37° ≈ 0.6018")."""
    cleaned = _clean(final)
    if not re.search(r"(?<![<>!\\])=", cleaned):
        segment = cleaned.split("\\approx")[-1]
        return _number(_strip_units(segment)), segment
    segment = re.split(r"(?<![<>!\\])=", cleaned)[-1]
    exact, _, approx = segment.partition("\\approx")
    value = _number(_strip_units(exact)) if _strip_units(exact) else None
    if value is None or value.free_symbols:
        value = _number(_strip_units(approx)) if approx else None
    return value, segment


def _pieces(final: str) -> list[tuple[str, str]]:
    """(left, right) of each "a = b" of a closing step listing several results."""
    pieces = re.split(r",\s*\\quad|;\s*\\quad|\\quad|;", final.replace("\\approx", "="))
    out = []
    for piece in pieces:
        if "=" in piece:
            left, right = piece.split("=", 1)
            out.append((left, right))
    return out


def _label(text: str) -> str:
    words = re.findall(r"\\text\{([^{}]*)\}", text)
    raw = " ".join(words) or re.sub(r"[\\{}_ ]", "", text)
    raw = unicodedata.normalize("NFKD", raw)
    return "".join(c for c in raw if not unicodedata.combining(c)).lower().strip()


def _same_function(shown: sp.Expr, wanted: sp.Expr, up_to_constant: bool) -> bool:
    """Equal (or differing by a constant) symbolically, else at several sample points."""
    difference = sp.simplify(shown - wanted)
    if difference == 0 or (up_to_constant and not difference.free_symbols):
        return True
    symbols = sorted(shown.free_symbols | wanted.free_symbols, key=str)
    values = []
    for point in (0.37, 0.81, 1.23, 1.97, 2.71):
        at = dict.fromkeys(symbols, point)
        try:
            values.append(complex(sp.N(difference.subs(at))))
        except (TypeError, ValueError):
            return False
    reference = values[0] if up_to_constant else 0
    return all(abs(v - reference) < 1e-9 for v in values)


def judge(expect: dict[str, Any], final: str) -> bool:
    """True when the closing step states the expected result."""
    final = final.strip()
    if "undefined" in expect:
        return "no está definida" in final
    if "value" in expect or "quantity" in expect:
        wanted = expect.get("value", expect.get("quantity"))
        value, segment = _last_value(final)
        if value is None or value.free_symbols or not _close(value, float(wanted)):
            return False
        return "unit" not in expect or _unit(segment) == expect["unit"]
    if "solutions" in expect:
        shown = [_number(_clean(right)) for _, right in _pieces(final)]
        wanted = [
            sp.sympify(s, locals={"k": sp.Symbol("k"), "i": sp.I}) for s in expect["solutions"]
        ]
        if any(s is None for s in shown) or len(shown) != len(wanted):
            return False
        return all(any(sp.simplify(s - w) == 0 for s in shown) for w in wanted)
    if "values" in expect:
        pairs = [
            (_label(left + right), _number(_strip_units(_clean(right))))
            for left, right in _pieces(final)
        ]
        if any(v is None for _, v in pairs):
            return False
        wanted = expect["values"]
        if isinstance(wanted, dict):
            return all(
                any(key.lower() in label and _close(v, float(number)) for label, v in pairs)
                for key, number in wanted.items()
            ) and len(pairs) == len(wanted)
        got = sorted(float(v) for _, v in pairs)
        return len(got) == len(wanted) and all(
            _close(g, w) for g, w in zip(got, sorted(map(float, wanted)), strict=True)
        )
    if "expr" in expect:
        rhs = re.split(r"(?<![<>!\\])=", final)[-1]
        constant = expect.get("up_to_constant")
        rhs = re.sub(r"\+\s*C\s*$", "", rhs.strip()) if constant else rhs
        rhs = re.sub(r"\\left\|(.+?)\\right\|", r"\\sqrt{(\1)^{2}}", rhs)  # |u| = sqrt(u^2)
        shown, wanted = _number(_clean(rhs)), sp.sympify(expect["expr"])
        if shown is None:
            return False
        return _same_function(shown, wanted, bool(constant))
    if "point" in expect or "points" in expect:
        points = re.findall(r"\(\s*([^(),]+?)\s*,\s*([^(),]+?)\s*\)", _clean(final))
        got = [(_number(a), _number(b)) for a, b in points]
        wanted = [expect["point"]] if "point" in expect else expect["points"]
        if len(got) != len(wanted) or any(None in p for p in got):
            return False
        return all(
            any(_close(gx, float(wx)) and _close(gy, float(wy)) for gx, gy in got)
            for wx, wy in wanted
        )
    if "set" in expect:
        segment = re.split(r"(?<![<>!\\])=", final)[-1].strip()
        return segment == sp.latex(sp.sympify(expect["set"]))
    if "coefficients" in expect:
        terms = re.split(r"\\rightarrow|\+", final)
        got = [int(m.group(1)) if (m := re.match(r"\s*(\d+)\\,", t)) else 1 for t in terms]
        return got == list(expect["coefficients"])
    raise ValueError(f"unknown expectation {expect}")
