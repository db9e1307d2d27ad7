"""SymPy check of model-written final answers: confirms, contradicts or abstains."""

from __future__ import annotations

import pytest

from app.adapters.engines.math_check import check_explanation, latex_to_text, to_expr
from app.domain.explanation import Explanation


def answer(final: str, *, kind: str = "math") -> Explanation:
    return Explanation(
        steps=[
            {"title": "Planteamiento", "type": "text", "content": "Resolvemos paso a paso."},
            {"title": "Resultado", "type": kind, "content": final},
        ]
    )


@pytest.mark.parametrize(
    ("question", "final", "expected"),
    [
        ("Resuelve 2x + 3 = 7", "x = 2", True),
        ("Resuelve 2x + 3 = 7", "x = 3", False),
        ("¿Cuánto vale x si 3x - 5 = 10?", r"x = \frac{15}{3} = 5", True),
        ("Resuelve x^2 - 5x + 6 = 0", r"x_1 = 2, \quad x_2 = 3", True),
        ("Resuelve x² - 5x + 6 = 0 y explica", r"x = 2 \text{ o } x = 4", False),
        ("Resuelve x^2 = 4", r"x = \pm 2", True),
        ("Resuelve x^2 = 2", r"x = \pm \sqrt{2}", True),
        ("Deriva f(x) = x^3 + 2x", "f'(x) = 3x^2 + 2", True),
        ("¿Cuál es la derivada de x^3 + 2x?", "f'(x) = 3x^2", False),
        ("derivada de sin(x) x^2", r"f'(x) = 2x\sin(x) + x^2\cos(x)", True),
        ("Calcula la integral de x^2 dx", r"\int x^2 dx = \frac{x^3}{3} + C", True),
        ("Calcula la integral de x^2 dx", r"\int x^2 dx = \frac{x^3}{2} + C", False),
        ("Calcula la integral de x^2 de 0 a 3", "= 9", True),
        ("Calcula la integral de x^2 de 0 a 3", "= 27", False),
    ],
)
def test_checkable_answers(question: str, final: str, expected: bool) -> None:
    assert check_explanation(question, answer(final)) is expected


@pytest.mark.parametrize(
    ("question", "final"),
    [
        ("¿Qué es la fotosíntesis?", "E = mc^2"),
        ("Resuelve x + y = 3", "x = 1"),  # two unknowns: not checkable
        ("Resuelve 2x + 3 = 7", r"\text{la respuesta es dos}"),  # unreadable answer
        ("Resuelve x^2 = 4", "x = 2"),  # incomplete is not a clear contradiction
        ("Deriva f(x) = x^3", r"f'(x) = \operatorname{algo}"),
    ],
)
def test_uncheckable_answers_are_none(question: str, final: str) -> None:
    assert check_explanation(question, answer(final)) is None


def test_text_only_answers_are_not_checked() -> None:
    assert check_explanation("Resuelve 2x + 3 = 7", answer("x vale 3", kind="text")) is None


def test_latex_conversion() -> None:
    assert latex_to_text(r"\frac{1}{2} \cdot x^{2}") == "((1)/(2)) * x^(2)"
    assert latex_to_text(r"\mathbb{R}") is None
    expr = to_expr(r"\sqrt{x} + \sin(x) + e^{x} + \pi")
    assert expr is not None and str(expr) == "sqrt(x) + exp(x) + sin(x) + pi"
