"""Task words misspelled the way students type them are corrected; ordinary words are not."""

from __future__ import annotations

import pytest

from app.adapters.engines.offline_core.wording import fix_typos, normalize


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Resulve 2x+3=7", "resuelve 2x+3=7"),
        ("resuleve la ecuasion", "resuelve la ecuacion"),
        ("intregral de x", "integral de x"),
        ("factorisa x^2-1", "factoriza x^2-1"),
        ("la hipotenuza", "la hipotenusa"),
        ("su velosidad", "su velocidad"),
        ("¿Cuál es el perímtro?", "cual es el perimetro"),
    ],
)
def test_misspelled_task_words_are_corrected(typed: str, meant: str) -> None:
    assert fix_typos(normalize(typed)) == meant


@pytest.mark.parametrize(
    "text",
    ["cuando x tiende a 0", "un rectangulo tiene", "cuesta 350 pesos", "que corriente circula",
     "la educacion en mexico", "benito juarez", "la fotosintesis"],
)  # fmt: skip
def test_ordinary_words_are_left_alone(text: str) -> None:
    assert fix_typos(text) == text
