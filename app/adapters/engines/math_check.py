"""Check a model-written math answer with SymPy, conservatively.

Only three shapes are checked: solving an equation in one variable ("x = 2"),
a derivative and an integral (indefinite or with numeric limits). Anything the
checker cannot read is None (unknown), never False: False means a clear
contradiction, e.g. a claimed root that does not satisfy the equation.
"""

from __future__ import annotations

import math
import re

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from app.domain.explanation import Explanation

_TRANSFORMS = (*standard_transformations, implicit_multiplication_application, convert_xor)
_FUNCS = {
    "sin": sympy.sin,
    "sen": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "ln": sympy.log,
    "log": sympy.log,
    "exp": sympy.exp,
    "sqrt": sympy.sqrt,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
}
_LATEX_WORDS = {
    "cdot": "*",
    "times": "*",
    "div": "/",
    "pi": " pi ",
    "infty": " oo ",
    "arcsin": " asin",
    "arccos": " acos",
    "arctan": " atan",
    **{name: f" {name}" for name in ("sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "exp")},
}
_DROP = re.compile(r"\\(left|right|displaystyle|,|;|!|:|quad|qquad)|\\ |\$")
_SUPERSCRIPTS = str.maketrans({"²": "^2", "³": "^3", "−": "-", "×": "*", "÷": "/", "π": "pi"})
_MATH_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[+\-*/^()=.]|\s+|.")
_BOUNDS = re.compile(
    r"(?:desde|de|entre)\s+(-?\d+(?:\.\d+)?|pi)\s+(?:a|hasta|y)\s+(-?\d+(?:\.\d+)?|pi)"
)
_POINTS = (0.37, 0.81, 1.23, 1.97, 2.71)


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The balanced {...} group starting at text[start]; (inner, end index)."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    return None


def latex_to_text(src: str) -> str | None:
    """Turn simple LaTeX into SymPy-parsable text; None for anything unknown."""
    text = _DROP.sub(" ", src.translate(_SUPERSCRIPTS))
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", text[i:])
            if not m:
                return None
            word, i = m.group(1), i + len(m.group(0))
            if word in ("frac", "dfrac", "tfrac"):
                num = _group(text, i)
                den = num and _group(text, num[1])
                if not num or not den:
                    return None
                a, b = latex_to_text(num[0]), latex_to_text(den[0])
                if a is None or b is None:
                    return None
                out.append(f"(({a})/({b}))")
                i = den[1]
            elif word == "sqrt":
                arg = _group(text, i)
                if not arg:
                    return None
                inner = latex_to_text(arg[0])
                if inner is None:
                    return None
                out.append(f"sqrt({inner})")
                i = arg[1]
            elif word in _LATEX_WORDS:
                out.append(_LATEX_WORDS[word])
            else:
                return None
        elif ch == "{":
            out.append("(")
            i += 1
        elif ch == "}":
            out.append(")")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def to_expr(src: str) -> sympy.Expr | None:
    """Parse LaTeX or plain math text into a SymPy expression, or None."""
    text = latex_to_text(src)
    if text is None or not text.strip() or "=" in text:
        return None
    text = re.sub(r"\be\b", "E", text)
    local = {name: sympy.Symbol(name) for name in "abcdfghkmnpqrstuvwxyzABCDFGHKMNPQRSTUVWXYZ"}
    local.update(_FUNCS)
    local["pi"] = sympy.pi
    try:
        expr = parse_expr(text, local_dict=local, transformations=_TRANSFORMS, evaluate=True)
    except Exception:  # noqa: BLE001 - any parse failure means "cannot check"
        return None
    return expr if isinstance(expr, sympy.Expr) else None


def _math_runs(text: str) -> list[str]:
    """Runs of math-looking tokens (numbers, operators, one-letter names, functions)."""
    runs: list[str] = []
    run: list[str] = []

    def close() -> None:
        # A lone one-letter word before prose ("= 7 y explica") is Spanish, not math.
        while run and (
            not run[-1].strip() or (len(run) > 1 and run[-1] in "yoae" and not run[-2].strip())
        ):
            run.pop()
        joined = "".join(run).strip(" .")
        if joined:
            runs.append(joined)
        run.clear()

    for m in _MATH_TOKEN.finditer(text):
        tok = m.group(0)
        if tok.isalpha():
            if len(tok) == 1 or tok.lower() in _FUNCS or tok == "pi":
                run.append(tok)
            else:
                close()
        elif tok.isspace() or tok[0].isdigit() or tok in "+-*/^()=.":
            run.append(tok)
        else:
            close()
    close()
    return runs


def _first_run(text: str, keep_equals: bool = True) -> str:
    runs = _math_runs(text)
    if not runs:
        return ""
    return runs[0] if keep_equals else runs[0].split("=")[0]


def _single_var(*exprs: sympy.Expr) -> sympy.Symbol | None:
    names = set().union(*(e.free_symbols for e in exprs))
    return next(iter(names)) if len(names) == 1 else None  # type: ignore[return-value]


def _close(a: complex, b: complex) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _num(expr: sympy.Expr, subs: dict | None = None) -> complex | None:
    try:
        value = complex(expr.evalf(subs=subs or {}))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value.real) and math.isfinite(value.imag) else None


def _same_function(a: sympy.Expr, b: sympy.Expr, var: sympy.Symbol) -> bool | None:
    """Numerically compare two functions of var at a few points."""
    agree = 0
    for p in _POINTS:
        va, vb = _num(a, {var: p}), _num(b, {var: p})
        if va is None or vb is None:
            continue
        if not _close(va, vb):
            return False
        agree += 1
    return True if agree >= 3 else None


def _final_math(explanation: Explanation) -> str | None:
    for step in reversed(explanation.steps):
        if step.type == "math":
            return step.content
    return None


def _last_rhs(latex: str) -> str:
    return re.split(r"(?<![<>!\\])=", latex)[-1]


def _claimed_roots(latex: str, var: str) -> list[sympy.Expr]:
    pieces = re.split(r",|;|\\quad|\\qquad|\\lor|\\text\{[^}]*\}|\\\\|\\vee", latex)
    roots: list[sympy.Expr] = []
    pattern = re.compile(rf"(?<![A-Za-z\\]){re.escape(var)}(?:_\{{?\d+\}}?)?\s*=")
    for piece in pieces:
        m = pattern.search(piece)
        if not m:
            continue
        value = _last_rhs(piece[m.end() :]).strip()
        signs = ("+", "-") if value.startswith("\\pm") else ("",)
        value = value.removeprefix("\\pm")
        expr = to_expr(value)
        if expr is None:
            continue
        roots.extend(-expr if s == "-" else expr for s in signs)
    return roots


def _check_equation(question: str, final: str) -> bool | None:
    text = question.translate(_SUPERSCRIPTS).replace("$", " ")
    at = text.find("=")
    if at < 0 or text.count("=") != 1:
        return None
    left_runs, right_runs = _math_runs(text[:at]), _math_runs(text[at + 1 :])
    if not left_runs or not right_runs:
        return None
    left, right = left_runs[-1], right_runs[0]
    lhs, rhs = to_expr(left), to_expr(right)
    if lhs is None or rhs is None:
        return None
    var = _single_var(lhs, rhs)
    if var is None:
        return None
    roots = _claimed_roots(final, str(var))
    if not roots:
        return None
    diff = lhs - rhs
    for root in roots:
        if root.free_symbols:
            return None
        value = _num(diff, {var: root})
        if value is None:
            return None
        if not _close(value, 0):
            return False
    return _covers_all_roots(diff, var, roots)


def _covers_all_roots(diff: sympy.Expr, var: sympy.Symbol, roots: list[sympy.Expr]) -> bool | None:
    """True when the claimed roots are all the real solutions; None if some are missing
    (an incomplete answer is not a clear contradiction) or the set is not finite."""
    try:
        solutions = sympy.solveset(diff, var, sympy.S.Reals)
    except Exception:  # noqa: BLE001 - solveset may give up on anything odd
        return True
    if not isinstance(solutions, sympy.FiniteSet):
        return True
    claimed = [v for v in (_num(r) for r in roots) if v is not None]
    for solution in solutions:
        value = _num(solution)
        if value is None or not any(_close(value, c) for c in claimed):
            return None
    return True


def _expression_after(question: str, keywords: tuple[str, ...]) -> str | None:
    low = question.lower()
    positions = [low.find(k) for k in keywords if k in low]
    if not positions:
        return None
    rest = question[min(positions) :].translate(_SUPERSCRIPTS).replace("$", " ")
    rest = re.sub(r"^\w+", " ", rest)
    rest = re.sub(r"\b[a-zA-Z]\s*\(\s*[a-zA-Z]\s*\)\s*=", " ", rest)  # "f(x) ="
    rest = re.sub(r"\b(?:con )?respecto\b.*", " ", rest)
    return rest


def _check_derivative(question: str, final: str) -> bool | None:
    rest = _expression_after(question, ("deriva", "derivar"))
    if rest is None:
        return None
    expr = to_expr(_first_run(rest, keep_equals=False))
    claimed = to_expr(_last_rhs(final))
    if expr is None or claimed is None:
        return None
    var = _single_var(expr)
    if var is None or not claimed.free_symbols <= {var}:
        return None
    return _same_function(sympy.diff(expr, var), claimed, var)


def _check_integral(question: str, final: str) -> bool | None:
    rest = _expression_after(question, ("integral", "integra", "∫"))
    if rest is None:
        return None
    bounds = _BOUNDS.search(rest)
    if bounds:
        rest = rest[: bounds.start()] + " " + rest[bounds.end() :]
    body = re.sub(r"\s*\bd\s*[a-z]\b.*$", "", _first_run(rest, keep_equals=False))
    integrand = to_expr(body)
    if integrand is None:
        return None
    var = _single_var(integrand)
    if var is None:
        return None
    rhs = _last_rhs(final)
    if bounds:
        claimed = to_expr(rhs)
        low, high = to_expr(bounds.group(1)), to_expr(bounds.group(2))
        if claimed is None or claimed.free_symbols or low is None or high is None:
            return None
        truth = _num(sympy.Integral(integrand, (var, low, high)))
        value = _num(claimed)
        if truth is None or value is None:
            return None
        return _close(truth, value)
    rhs = re.sub(r"\+\s*[Cc]\s*$", "", rhs.strip())
    claimed = to_expr(rhs)
    if claimed is None or not claimed.free_symbols <= {var}:
        return None
    return _same_function(sympy.diff(claimed, var), integrand, var)


def check_explanation(question: str, explanation: Explanation) -> bool | None:
    """True if SymPy confirms the final math step, False if it clearly contradicts
    it, None when the question or the answer is not in a checkable shape."""
    final = _final_math(explanation)
    if final is None:
        return None
    low = question.lower()
    try:
        if "deriv" in low:
            return _check_derivative(question, final)
        if "integra" in low or "∫" in question:
            return _check_integral(question, final)
        if "=" in question:
            return _check_equation(question, final)
    except Exception:  # noqa: BLE001 - a checker bug must never fail a question
        return None
    return None
