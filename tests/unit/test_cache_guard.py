"""The guard of the semantic lookup: what shares an answer and what never does."""

from __future__ import annotations

import pytest

from app.answer_cache.guard import difference, read
from app.utils.text_processing import normalize_text


def _diff(a: str, b: str) -> str | None:
    return difference(read(normalize_text(a)), read(normalize_text(b)))


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("¿Cómo se deriva x al cubo?", "Deriva la función f(x) = x^3"),
        ("¿Cómo se deriva x al cubo?", "derivada de x^3"),
        ("Resuelve 2x + 3 = 7", "7 = 2x + 3"),
        ("Resuelve 2x + 3 = 7", "dos x mas tres igual a siete"),
        ("Resuelve 2x + 3 = 7", "cuanto vale x si 2x+3=7"),
        ("Integral de 2x", "∫ 2x dx"),
        ("Derivada de sen(x)", "deriva seno de x"),
        ("¿Cuánto es 15 por 4?", "15 x 4 cuanto da"),
        ("¿Qué es la fotosíntesis?", "k es la fotosintesis"),
        ("Segunda ley de Newton", "2da ley de newton"),
        ("¿Qué es una función?", "que es una funcion"),
        ("¿Qué es la mitosis?", "que es la mitosiss"),  # a letter typed twice
        ("¿Qué es la fotosíntesis?", "que es la fotosintecis"),  # s for c
        ("¿Qué es una hormona?", "que es una ormona"),  # the silent h
        ("¿Qué es la energía cinética?", "que es la enregia cinetica"),  # a swap
    ],
)
def test_same_question_asked_another_way(stored: str, asked: str) -> None:
    assert _diff(stored, asked) is None


@pytest.mark.parametrize(
    ("stored", "asked", "reason"),
    [
        ("x^2 + 3 = 7", "x^2 + 3 = 8", "numbers"),
        ("Resuelve 2x + 3 = 7", "Resuelve 2x - 3 = 7", "operators"),
        ("Resuelve 2x + 3 = 7", "Resuelve 3x + 2 = 7", "math"),
        ("Resuelve 2x + 3 = 7", "Resuelve 2y + 3 = 7", "variables"),
        ("Deriva x al cubo", "Deriva x al cuadrado", "numbers"),
        ("Deriva x al cubo", "Integra x al cubo", "task"),
        ("Derivada de sen(x)", "Derivada de cos(x)", "functions"),
        ("Un auto va a 60 km/h", "Un auto va a 60 m/s", "units"),
        ("despeja x de 2x+y=5", "despeja y de 2x+y=5", "targets"),
        ("¿Qué es la fotosíntesis?", "¿Qué no es la fotosíntesis?", "negated"),
        ("¿Qué es la mitosis?", "¿Qué es la meiosis?", "words"),
        # One letter apart and yet other words: only spelling typos are forgiven.
        ("¿Qué es la fusión nuclear?", "¿Qué es la fisión nuclear?", "words"),
        ("¿Qué es la mitosis?", "¿Qué es la miosis?", "words"),
        ("Factoriza x^2 - 9", "Resuelve x^2 - 9 = 0", "task"),
        # A question made only of fillers tells nothing: it never shares an answer.
        ("¿Qué es eso?", "que es esto", "empty"),
        ("¿Qué es una función?", "que es eso", "empty"),
        ("¿Qué es una derivada?", "deriva esto", "empty"),
        ("¿Qué es una función?", "¿Qué es una ecuación?", "empty"),  # "ecuacion": a task word
    ],
)
def test_a_difference_that_changes_the_answer_is_never_a_hit(
    stored: str, asked: str, reason: str
) -> None:
    assert _diff(stored, asked) == reason


def test_sympy_canonical_form_orders_terms_but_keeps_the_numbers_typed() -> None:
    assert _diff("Resuelve 3 + 2x = 7", "Resuelve 2x + 3 = 7") is None
    assert _diff("cuanto es x + 3", "cuanto es 3 + x") is None
    # Equal in value, not the same question: the numbers typed differ...
    assert _diff("Factoriza 2x + 2", "Factoriza 2(x + 1)") == "numbers"
    # ... or only their places do: SymPy must not evaluate them away (both are 16).
    assert _diff("cuanto es 2^4", "cuanto es 4^2") == "math"
    assert _diff("cuanto es 2 - 7", "cuanto es 7 - 2") == "math"
    assert _diff("Resuelve 2x + 3 = 7", "Resuelve 3x + 2 = 7") == "math"
