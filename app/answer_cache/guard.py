"""The guard of the semantic lookup: two questions share an answer only when nothing
that changes the answer differs.

Pure functions. `read(normalized)` pulls out of a normalized question what decides its
answer: the kind of task (solve, derive, integrate, factor, ...), the math (each run
parsed by SymPy, numbers kept as typed, into its canonical form: `3 + 2x` and `2x+3`
are one form, `x^2+3=7` and `7 = x^2 + 3` one equation, `2^4` and `4^2` two), the numbers, variables, operators, functions, units,
the variable asked for, a negation, and the content words. `difference(a, b)` names
the first feature that differs, or None when the guard agrees to share the answer.
Where the reading is unsure (math SymPy cannot parse), the raw text must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from app.adapters.engines.offline_math.parser import (
    MathParseError,
    parse_math,
    parse_unevaluated,
)
from app.answer_cache.wording import (
    FILLERS,
    MATH_FILLERS,
    NEGATIONS,
    TASKS,
    canonical_wording,
    is_mathy,
)

# The most specific kind wins: "calcula la derivada de x^2" is a derivative.
TASK_PRIORITY = (
    "derive", "integrate", "limit", "factor", "simplify", "expand", "solve", "graph", "evaluate",
)  # fmt: skip
_FUNCTIONS = ("sqrt", "sin", "sen", "cos", "tan", "log", "ln", "exp", "abs", "pi")
_FUNCTION_NAME = re.compile(
    r"\b(?:" + "|".join(_FUNCTIONS) + r")\b|(?:" + "|".join(_FUNCTIONS) + ")(?=\\()"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_OPERATORS = "+-/^=<>"  # `*` and parentheses are left to SymPy: "2x" is "2*x"
_NAMED_FUNCTION = re.compile(r"^(?:[a-z]\([a-z]\)|y)=(?=.)")  # "f(x)=" / "y=" before the rule
_TYPO_DISTANCE_FROM = 5  # content words this long may differ by one typo


@dataclass(frozen=True)
class Signature:
    """What decides the answer of one question, and the canonical text to embed."""

    text: str
    task: str | None
    runs: tuple[str, ...]  # the math as typed (symbols); SymPy reads it only to compare
    numbers: tuple[str, ...]
    variables: frozenset[str]
    operators: tuple[str, ...]
    functions: frozenset[str]
    units: tuple[str, ...]
    targets: tuple[str, ...]  # "despeja y de ...": the variable asked for
    negated: bool
    words: tuple[str, ...]


def _number(text: str) -> str:
    return format(sp.Rational(text), "") if "." not in text else str(float(text))


def _stem(word: str) -> str:
    """Plurals folded ("celulas" → "celula"; "mitosis" → "mitosi", typed "mitosiss" too)."""
    word = word[:-1] if word.endswith("ss") else word
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _opaque_numbers(expr: sp.Basic) -> sp.Basic:
    """The tree with every number an atom of its own, then put in SymPy's canonical order.

    SymPy evaluating the typed numbers would make `2^4` and `4^2` one question (both
    16); with numbers opaque, only order and grouping that do not change the question
    are forgotten: `2x+3` and `3 + 2x` are one form, `2(x+1)` and `2x+2` two.
    """
    mapping: dict[sp.Basic, sp.Basic] = {}
    for number in expr.atoms(sp.Number):
        if number == -1:
            continue  # the sign of a subtraction: `x - 3` is `x + (-1)·3`
        name = "n" + str(abs(number)).replace("/", "d").replace(".", "p")
        mapping[number] = -sp.Symbol(name) if number < 0 else sp.Symbol(name)
    return expr.xreplace(mapping)


def _form(text: str) -> str:
    parse_math(text)  # the safety checks (size, alphabet, huge powers) first
    return sp.srepr(_opaque_numbers(parse_unevaluated(text)))


@lru_cache(maxsize=65536)
def _canonical_math(run: str) -> str:
    """One run's canonical form: an equation as its unordered pair of sides."""
    try:
        if run.count("=") == 1 and not re.search(r"[<>]", run):
            left, right = run.split("=")
            sides = sorted(_form(side) for side in (left, right))
            return "Eq(" + ", ".join(sides) + ")"
        if not re.search(r"[=<>]", run):
            return _form(run)
    except (MathParseError, ValueError, TypeError, ZeroDivisionError, SyntaxError):
        pass
    return "raw:" + run


def _task(kinds: set[str], runs: list[str], variables: set[str]) -> str | None:
    for kind in TASK_PRIORITY:
        if kind in kinds:
            task: str | None = kind
            break
    else:
        task = None
    if task in (None, "evaluate") and any("=" in run for run in runs):
        return "solve"
    if task is None and runs and not variables:
        return "evaluate"
    return task


@lru_cache(maxsize=65536)
def read(normalized: str) -> Signature:
    """The signature of a normalized question (`Question.normalized`)."""
    wording, units = canonical_wording(normalized)
    kinds: set[str] = set()
    words: list[str] = []
    runs: list[str] = []
    current: list[str] = []
    negated = False
    deferred: list[str] = []  # fillers only when the question has math
    previous = ""
    for token in wording.split():
        if token in ("y", "a") and TASKS.get(previous) == "solve":
            current.append(token)  # "despeja y de ...": the variable asked for, not "and"
            previous = token
            continue
        previous = token
        if re.fullmatch(r"[a-z]", token) and is_mathy(token):
            if current:
                runs.append(" ".join(current))
                current = []
            runs.append(token)  # a lone variable: the one asked for ("despeja x de ...")
            continue
        if is_mathy(token):
            current.append(token)
            continue
        if current:
            runs.append(" ".join(current))
            current = []
        if token in MATH_FILLERS:
            deferred.append(token)
        elif token in TASKS:
            kinds.add(TASKS[token])
        elif token in NEGATIONS:
            negated = True
        elif token not in FILLERS and _stem(token) not in FILLERS and not token.isdigit():
            words.append(_stem(token))
    if current:
        runs.append(" ".join(current))
    if not runs:
        words += [_stem(word) for word in deferred]
    targets = [run for run in runs if re.fullmatch(r"[a-z]", run)]
    runs = [run for run in runs if run not in targets]
    variables: set[str] = set()
    functions: set[str] = set()
    for run in runs:
        functions.update(_FUNCTION_NAME.findall(run))
        variables.update(re.findall(r"[a-z]", _FUNCTION_NAME.sub(" ", run)))
    task = _task(kinds, runs, variables)
    if task != "solve":
        runs = [_NAMED_FUNCTION.sub("", run) for run in runs]
        variables = set()
        for run in runs:
            variables.update(re.findall(r"[a-z]", _FUNCTION_NAME.sub(" ", run)))
    if len(variables) == 1 and set(targets) <= variables:
        targets = []  # the only variable there is: asking for it says nothing more
    operators = sorted(ch for run in runs for ch in run if ch in _OPERATORS)
    numbers = sorted(_number(n) for n in _NUMBER.findall(wording))
    text = " ".join(filter(None, [task or "", *targets, *runs, *words, "no" if negated else ""]))
    return Signature(
        text=text,
        task=task,
        runs=tuple(runs),
        numbers=tuple(numbers),
        variables=frozenset(variables),
        operators=tuple(operators),
        functions=frozenset(functions),
        units=tuple(sorted(units)),
        targets=tuple(targets),
        negated=negated,
        words=tuple(sorted(set(words))),
    )


def math_forms(signature: Signature) -> tuple[str, ...]:
    """The canonical SymPy form of each math run ("raw:" and the text when unparsed)."""
    return tuple(_canonical_math(run) for run in signature.runs)


# Letters Spanish spelling confuses (the typos students make): one for the other is a
# typo. Any other substitution, a vowel above all, may be another word: "fusion" and
# "fision", "mitosis" and "miosis" are two questions.
_CONFUSED = (frozenset("scz"), frozenset("bv"), frozenset("gj"), frozenset("yi"), frozenset("ckq"))


def _close(a: str, b: str) -> bool:
    """The same word, or one typo apart: a swap of two neighbours, a letter typed twice
    or a silent `h` dropped, or a letter Spanish spelling confuses ("fotosintecis")."""
    if a == b:
        return True
    if min(len(a), len(b)) < _TYPO_DISTANCE_FROM or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            pair = {a[diffs[0]], b[diffs[0]]}
            return any(pair <= letters for letters in _CONFUSED)
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i, extra in enumerate(long_):
        if long_[:i] + long_[i + 1 :] == short:
            doubled = (i > 0 and long_[i - 1] == extra) or long_[i + 1 : i + 2] == extra
            if doubled or extra == "h":
                return True
    return False


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return all(any(_close(x, y) for y in b) for x in a) and all(
        any(_close(y, x) for x in a) for y in b
    )


def difference(a: Signature, b: Signature) -> str | None:
    """The first feature that differs (the reason to miss), or None: same answer."""
    if not (a.runs or a.words) or not (b.runs or b.words):
        # No math and no content word ("que es eso", "deriva esto"): nothing tells one
        # such question from another, so none shares an answer semantically.
        return "empty"
    for name in (
        "task", "numbers", "variables", "operators", "functions", "units", "targets", "negated",
    ):  # fmt: skip
        if getattr(a, name) != getattr(b, name):
            return name
    if a.runs != b.runs and math_forms(a) != math_forms(b):
        return "math"
    if not _same_words(a.words, b.words):
        return "words"
    return None
