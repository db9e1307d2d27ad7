"""Cache keys: the same question in other words shares one key, different math never does.

Property tests (hypothesis) check the guarantees the cache relies on: idempotence,
accent/case/whitespace insensitivity, and that questions differing in a number, a
sign, an exponent or a variable always get different keys.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.utils.text_processing import generate_hash, normalize_text, question_key

FAST = settings(max_examples=200, deadline=None)

# What students type: Spanish letters (accented, both cases), digits, math signs,
# superscripts, the symbols the normalizer maps, punctuation and spaces.
STUDENT_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "áéíóúüñÁÉÍÓÚÜÑàèç"
    "0123456789+-*/^=<>()[]{}%|.,!¡¿?;:'\"_"
    "²³¹⁰⁴⁵⁶⁷⁸⁹⁻⁺ⁿ×·÷−–—≤≥≠√π"
)
student_text = st.text(alphabet=STUDENT_ALPHABET + " \t\n", max_size=60)
student_word = st.text(alphabet=STUDENT_ALPHABET, min_size=1, max_size=12)
WHITESPACE_RUN = st.text(alphabet=" \t\n\r\u00a0\u2003", min_size=1, max_size=4)


def strip_accents(text: str) -> str:
    """Drop the accents of letters, the way a student typing without them would."""

    def bare(ch: str) -> str:
        if not ch.isalpha():
            return ch  # "≠" decomposes to "=" plus a mark, yet it is no accented letter
        return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))

    return "".join(bare(ch) for ch in text)


# -- examples ------------------------------------------------------------------


def test_the_briefs_example_questions_share_a_key() -> None:
    assert normalize_text("¿Cuál es la derivada de x²?") == normalize_text(
        "cual es la derivada de x^2"
    )
    assert normalize_text("¿Cuál es la derivada de x²?") == "cual es la derivada de x^2"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("¿Cuál es la derivada de x²?", "CUAL ES LA DERIVADA DE X^2"),
        ("Resuelve  2x + 3 = 7", "resuelve 2x+3=7"),
        ("Resuelve 2x − 3 = 7", "resuelve 2x-3=7"),
        ("¿Qué es 2,5 × 4?", "que es 2.5*4"),
        ("x ≤ 3", "x<=3"),
        ("Simplifica: (a + b)²", "simplifica (a+b)^2"),
        ("¡Área del círculo!", "area del circulo"),
        ("Calcula 5!", "calcula 5!"),
        ("Deriva x³ por favor.", "deriva x^3 por favor"),
        ("Ecuación: x ≠ 2", "ecuacion x!=2"),
        ("Cuánto vale π", "CUÁNTO VALE Π"),
    ],
)
def test_same_question_in_other_words(a: str, b: str) -> None:
    assert normalize_text(a) == normalize_text(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("derivada de x^2", "derivada de x^3"),
        ("derivada de x²", "derivada de x³"),
        ("resuelve 2x+3=0", "resuelve 2x-3=0"),
        ("resuelve 2x + 3 = 0", "resuelve 2x − 3 = 0"),
        ("integral de x", "integral de y"),
        ("¿cuánto es 2.5 por 4?", "¿cuánto es 25 por 4?"),
        ("¿cuánto es 2,5 por 4?", "¿cuánto es 25 por 4?"),
        ("¿cuánto es .5 + 1?", "¿cuánto es 5 + 1?"),
        ("raíz de x^.5", "raíz de x^5"),
        ("simplifica x⁻¹", "simplifica x¹"),
        ("simplifica x⁻¹", "simplifica x^1"),
        ("simplifica x¹²", "simplifica x^1^2"),
        ("grafica xⁿ", "grafica xn"),
        ("x₋1", "x1"),
        ("calcula 5!", "calcula 5"),
        ("x < 3", "x <= 3"),
        ("2*3", "2/3"),
        ("x^2 - 1", "x^2 + 1"),
        ("f(x) = -x", "f(x) = x"),
    ],
)
def test_different_math_never_shares_a_key(a: str, b: str) -> None:
    assert normalize_text(a) != normalize_text(b)


def test_superscript_exponents_match_their_caret_spelling() -> None:
    assert normalize_text("x⁻¹") == normalize_text("x^-1")
    assert normalize_text("x¹²") == normalize_text("x^12")
    assert normalize_text("xⁿ") == normalize_text("x^n")
    assert normalize_text("2x² + 3x³") == normalize_text("2x^2+3x^3")


def test_empty_and_punctuation_only() -> None:
    assert normalize_text("") == ""
    assert normalize_text("  ¿?¡!  ,;: ") == ""


# -- properties -----------------------------------------------------------------


@FAST
@given(st.one_of(st.text(max_size=80), student_text))
def test_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@FAST
@given(student_text)
def test_case_insensitive(text: str) -> None:
    key = normalize_text(text)
    assert normalize_text(text.upper()) == key
    assert normalize_text(text.lower()) == key
    assert normalize_text(text.swapcase()) == key


@FAST
@given(student_text)
def test_accent_insensitive(text: str) -> None:
    assert normalize_text(strip_accents(text)) == normalize_text(text)


@FAST
@given(st.one_of(st.text(max_size=80), student_text))
def test_output_has_single_spaces_only(text: str) -> None:
    out = normalize_text(text)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search(r"[^\S ]", out), "only plain spaces survive"


@FAST
@given(st.lists(student_word, min_size=1, max_size=8), st.data())
def test_whitespace_runs_collapse(words: list[str], data: st.DataObject) -> None:
    spaced = data.draw(WHITESPACE_RUN)
    for word in words:
        spaced += word + data.draw(WHITESPACE_RUN)
    assert normalize_text(spaced) == normalize_text(" ".join(words))


# -- never confusing different math -----------------------------------------------

OPERATORS: dict[str, list[str]] = {
    "+": ["+", " + ", "+ "],
    "-": ["-", " - ", "−", " – "],
    "*": ["*", " * ", "×", "·"],
    "/": ["/", " / ", "÷"],
    "=": ["=", " = "],
    "<": ["<", " < "],
    "<=": ["<=", " ≤ "],
    "!=": ["!=", "≠"],
}
VARIABLES = "xyzabtn"
SUPERSCRIPT_DIGITS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True)
class Term:
    coef: Decimal | None  # None: no written coefficient ("x")
    var: str | None
    exp: int | None


@dataclass(frozen=True)
class Expr:
    negative_start: bool
    terms: tuple[Term, ...]
    ops: tuple[str, ...]  # len(terms) - 1 operator classes


numbers = st.one_of(
    st.builds(
        lambda whole, frac: Decimal(whole) + (Decimal(frac) / 100 if frac is not None else 0),
        st.one_of(st.integers(0, 9), st.integers(0, 999)),
        st.one_of(st.none(), st.integers(1, 99)),
    ),
    st.integers(1, 99).map(lambda frac: Decimal(frac) / 100),  # below one: ".5" spellings
)
exponents = st.one_of(st.integers(-3, 3), st.integers(-3, 15))
terms = st.builds(
    Term,
    st.one_of(st.none(), numbers),
    st.one_of(st.none(), st.sampled_from(VARIABLES)),
    st.one_of(st.none(), exponents),
).filter(lambda t: t.coef is not None or t.var is not None)


@st.composite
def expressions(draw: st.DrawFn) -> Expr:
    body = draw(st.lists(terms, min_size=1, max_size=4))
    ops = draw(
        st.lists(st.sampled_from(list(OPERATORS)), min_size=len(body) - 1, max_size=len(body) - 1)
    )
    return Expr(draw(st.booleans()), tuple(body), tuple(ops))


def render_number(value: Decimal, draw: st.DrawFn) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        style = draw(st.sampled_from(["dot", "comma", "bare"]))
        if style == "comma":
            text = text.replace(".", ",")
        elif style == "bare" and text.startswith("0."):
            text = text[1:]  # ".5"
    return text


def render_exponent(exp: int, draw: st.DrawFn) -> str:
    style = draw(st.sampled_from(["caret", "spaced", "superscript"]))
    if style == "superscript":
        return str(exp).translate(SUPERSCRIPT_DIGITS)
    return f" ^ {exp}" if style == "spaced" else f"^{exp}"


def render(expr: Expr, draw: st.DrawFn) -> str:
    text = "-" if expr.negative_start else ""
    for i, term in enumerate(expr.terms):
        if i:
            text += draw(st.sampled_from(OPERATORS[expr.ops[i - 1]]))
        if term.coef is not None:
            text += render_number(term.coef, draw)
        text += term.var or ""
        if term.exp is not None:
            text += render_exponent(term.exp, draw)
    return text


@st.composite
def mutated(draw: st.DrawFn, expr: Expr) -> Expr:
    """The same expression with one number, sign, exponent or variable changed."""
    kind = draw(st.sampled_from(["number", "sign", "exponent", "variable"]))
    i = draw(st.integers(0, len(expr.terms) - 1))
    term = expr.terms[i]
    terms_ = list(expr.terms)
    if kind == "number":
        near = [] if term.coef is None else [term.coef * 10, term.coef / 10, term.coef + 1]
        new_coef = draw(
            st.one_of(st.sampled_from([None, *near]), numbers).filter(lambda c: c != term.coef)
        )
        if new_coef is None and term.var is None:
            new_coef = term.coef + 1 if term.coef is not None else Decimal(1)
        terms_[i] = replace(term, coef=new_coef)
    elif kind == "exponent":
        near = [] if term.exp is None else [-term.exp, term.exp + 1, term.exp * 10]
        new_exp = draw(
            st.one_of(st.sampled_from([None, *near]), exponents).filter(lambda e: e != term.exp)
        )
        terms_[i] = replace(term, exp=new_exp)
    elif kind == "variable":
        new_var = draw(
            st.one_of(st.none(), st.sampled_from(VARIABLES)).filter(lambda v: v != term.var)
        )
        if new_var is None and term.coef is None:
            new_var = "q"
        terms_[i] = replace(term, var=new_var)
    else:
        if i == 0 or not expr.ops:
            return replace(expr, negative_start=not expr.negative_start)
        ops = list(expr.ops)
        ops[i - 1] = draw(st.sampled_from([o for o in OPERATORS if o != ops[i - 1]]))
        return replace(expr, ops=tuple(ops))
    return replace(expr, terms=tuple(terms_))


PREFIXES = ["", "¿Cuál es la derivada de ", "Resuelve ", "Simplifica: ", "¿Cuánto es "]


@FAST
@given(expressions(), st.sampled_from(PREFIXES), st.data())
def test_different_math_gets_a_different_key(expr: Expr, prefix: str, data: st.DataObject) -> None:
    other = data.draw(mutated(expr))
    assert other != expr
    a = prefix + render(expr, data.draw) + "?"
    b = prefix + render(other, data.draw) + "?"
    assert normalize_text(a) != normalize_text(b), (a, b)


@FAST
@given(expressions(), st.sampled_from(PREFIXES), st.data())
def test_same_math_in_other_spellings_gets_one_key_when_plain(
    expr: Expr, prefix: str, data: st.DataObject
) -> None:
    """Operator spacing and unicode signs do not change the key."""
    math = render(expr, data.draw)
    plain = math.replace("−", "-").replace("–", "-").replace("×", "*").replace("·", "*")
    plain = plain.replace("÷", "/").replace("≤", "<=").replace("≠", "!=")
    key = normalize_text(prefix + math)
    assert normalize_text(prefix + plain) == key
    assert normalize_text(prefix + plain.replace(" ", "")) == key
    assert normalize_text((prefix + math).upper()) == key


# -- hashing ---------------------------------------------------------------------


@FAST
@given(st.text(max_size=200))
def test_generate_hash_is_sha256_hex(text: str) -> None:
    digest = generate_hash(text)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert generate_hash(text) == digest  # stable


def test_generate_hash_known_values() -> None:
    assert generate_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert generate_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert generate_hash("x^2") != generate_hash("x^3")


def test_question_key_is_normalized_text_and_its_hash() -> None:
    normalized, digest = question_key("¿Cuál es la derivada de x²?")
    assert normalized == "cual es la derivada de x^2"
    assert digest == generate_hash(normalized)
    assert question_key("cual es la derivada de x^2") == (normalized, digest)
