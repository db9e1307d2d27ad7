"""The exam fixture set through the real offline engines, with no key: at least 90 %
answered correctly, no wrong result, and the coverage per area printed (run with -s).

Every computable fixture goes through `offline_engines()` exactly as the flow uses them
(the cheap `can_answer`, then `generate` in the forked sandbox), and the closing step is
judged against the expected result by tests/support/exam_check.py. Fixtures of the curated
answer bank (`expect.topic`) are judged by the bank's own tests.
"""

from __future__ import annotations

from collections import Counter

import pytest

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.adapters.engines.offline import offline_engines
from tests.support.exam_check import Item, judge, load_items

ITEMS = [item for item in load_items() if item.computable]
AREAS = ("aritmetica", "algebra", "funciones", "geometria", "trigonometria", "calculo",
         "fisica", "quimica")  # fmt: skip
ENGINES = offline_engines()


def answer(item: Item) -> str | None:
    """The closing step's content, or None when no offline engine answers."""
    for engine in ENGINES:
        if not engine.can_answer(item.question):
            continue
        try:
            steps = list(engine.generate(item.question, GenerationContext(), GenerationResult()))
        except CannotAnswer:
            continue
        assert len(steps) >= 3 and steps[-1].title == "Resultado"
        return steps[-1].content
    return None


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[Item, str]]:
    results = []
    for item in ITEMS:
        final = answer(item)
        verdict = "correct" if final is not None and judge(item.expect, final) else "wrong"
        results.append((item, "unanswered" if final is None else verdict + f": {final}"))
    return results


def test_the_fixture_set_is_large_and_covers_every_area() -> None:
    assert len(ITEMS) >= 100
    counts = Counter(item.area for item in ITEMS)
    assert set(counts) == set(AREAS)
    assert min(counts.values()) >= 12


def test_no_wrong_results(outcomes: list[tuple[Item, str]]) -> None:
    wrong = {item.question: outcome for item, outcome in outcomes if outcome.startswith("wrong")}
    assert wrong == {}


def test_at_least_90_percent_answered_correctly(outcomes: list[tuple[Item, str]]) -> None:
    table = []
    for area in AREAS:
        mine = [o for item, o in outcomes if item.area == area]
        correct = sum(o.startswith("correct") for o in mine)
        table.append(f"{area:14} {correct:3}/{len(mine):<3} answered correctly")
    total = sum(o.startswith("correct") for _, o in outcomes)
    table.append(f"{'total':14} {total:3}/{len(outcomes):<3} ({100 * total / len(outcomes):.1f} %)")
    print("\nexam coverage, offline engines, no key:\n" + "\n".join(table))
    missed = [item.question for item, outcome in outcomes if outcome == "unanswered"]
    assert total >= 0.9 * len(outcomes), missed


@pytest.mark.parametrize(
    ("expect", "final", "verdict"),
    [
        ({"value": 36}, "15\\% \\text{ de } 240 = 36", True),
        ({"value": 36}, "15\\% \\text{ de } 240 = 37", False),
        ({"value": 78.54}, "A = 25 \\pi\\ \\mathrm{cm}^2 \\approx 78.54\\ \\mathrm{cm}^2", True),
        ({"quantity": 78.54, "unit": "cm^2"}, "A = 25 \\pi\\ \\mathrm{m}^2", False),
        ({"quantity": 20, "unit": "N"}, "F = 20\\ \\mathrm{N}", True),
        ({"quantity": 20, "unit": "N"}, "F = 20\\ \\mathrm{J}", False),
        ({"solutions": ["2", "3"]}, "x_{1} = 3,\\quad x_{2} = 2", True),
        ({"solutions": ["2", "3"]}, "x = 2", False),
        ({"solutions": ["2", "3"]}, "x_{1} = 2,\\quad x_{2} = -3", False),
        (
            {"solutions": ["pi/6 + 2*pi*k"]},
            "x = \\frac{\\pi}{6} + \\pi k,\\quad k \\in \\mathbb{Z}",
            False,
        ),
        (
            {"values": {"gallinas": 12, "conejos": 8}},
            "\\text{gallinas} = 12,\\quad \\text{conejos} = 8",
            True,
        ),
        (
            {"values": {"gallinas": 12, "conejos": 8}},
            "\\text{gallinas} = 8,\\quad \\text{conejos} = 12",
            False,
        ),
        ({"expr": "3*x**2"}, "\\frac{d}{dx}\\left[x^{3}\\right] = 3 x^{2}", True),
        ({"expr": "3*x**2"}, "\\frac{d}{dx}\\left[x^{3}\\right] = 3 x", False),
        ({"expr": "x**3", "up_to_constant": True}, "\\int 3 x^{2}\\,dx = x^{3} + C", True),
        ({"point": [2, -1]}, "V = \\left(2, -1\\right)", True),
        ({"point": [2, -1]}, "V = \\left(-1, 2\\right)", False),
        (
            {"coefficients": [2, 1, 2]},
            "2\\,\\mathrm{H_{2}} + \\mathrm{O_{2}} \\rightarrow 2\\,\\mathrm{H_{2}O}",
            True,
        ),
        (
            {"coefficients": [2, 1, 2]},
            "\\mathrm{H_{2}} + \\mathrm{O_{2}} \\rightarrow \\mathrm{H_{2}O}",
            False,
        ),
        ({"set": "Interval(3, oo)"}, "D_{f} = \\left[3, \\infty\\right)", True),
        ({"set": "Interval(3, oo)"}, "D_{f} = \\left(3, \\infty\\right)", False),
    ],
)
def test_the_judge_accepts_the_result_and_nothing_else(
    expect: dict, final: str, verdict: bool
) -> None:
    assert judge(expect, final) is verdict


@pytest.mark.parametrize(
    "question",
    [
        "¿Quién fue Benito Juárez?", "que es la fotosintesis", "cuales son las partes de la celula",
        "en que año inicio la revolucion mexicana 1910 o 1920", "que es un sustantivo",
        "explica la ley de la inercia", "que es una ecuacion", "que es el pH",
        "resume el texto en 3 ideas", "cuantos lados tiene un hexagono",
        "que significa la palabra resiliencia", "quien escribio Pedro Paramo en 1955",
        "cual es la capital de Francia", "la Independencia de Mexico fue en 1810, por que",
    ],
)  # fmt: skip
def test_questions_without_a_computation_are_left_to_other_engines(question: str) -> None:
    assert not any(engine.can_answer(question) for engine in ENGINES)
