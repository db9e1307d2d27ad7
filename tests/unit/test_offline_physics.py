"""The offline physics engine: reading quantities and roles, SI conversions, law choice,
units carried through, and refusing what it cannot read."""

from __future__ import annotations

import pytest
import sympy as sp

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.adapters.engines.offline_core.drafts import Unsupported
from app.adapters.engines.offline_physics import OfflinePhysicsEngine
from app.adapters.engines.offline_physics.engine import recognize
from app.adapters.engines.offline_physics.explain import dimension
from app.adapters.engines.offline_physics.laws import F, a, d, g, m, t, v, v0, vf
from app.adapters.engines.offline_physics.units import SPEED, find_quantities

ENGINE = OfflinePhysicsEngine(isolate=False)


def run(question: str) -> list:
    return list(ENGINE.generate(question, GenerationContext(), GenerationResult()))


def test_quantities_are_read_with_their_units_and_converted_exactly() -> None:
    found = find_quantities("un auto a 72 km/h durante 2 min recorre 1,5 km con 500 g")
    assert [(q.unit, q.si) for q in found] == [
        ("km/h", 20),
        ("min", 120),
        ("km", 1500),
        ("g", sp.Rational(1, 2)),
    ]
    assert found[0].dim == SPEED


def test_roles_come_from_the_words_around_each_quantity() -> None:
    braking = recognize("un auto que va a 20 m/s frena y se detiene en 4 s, cual es su aceleracion")
    assert braking.reading.unknown == a
    assert set(braking.reading.knowns) == {v0, t}
    assert braking.reading.implied[vf][0] == 0
    speeding = recognize("un tren pasa de 10 m/s a 30 m/s en 8 s, cual es su aceleracion")
    assert speeding.reading.knowns[v0].si == 10 and speeding.reading.knowns[vf].si == 30
    uniform = recognize("un ciclista recorre 3 km en 10 minutos, cual es su velocidad")
    assert uniform.reading.unknown == v and set(uniform.reading.knowns) == {d, t}
    falling = recognize("una piedra cae durante 3 s, desde que altura cayo")
    assert g in falling.reading.implied


def test_every_step_carries_units_and_the_result_is_in_si() -> None:
    steps = run("un auto viaja a 72 km/h durante 2 horas, que distancia recorre")
    text = " ".join(s.content for s in steps)
    assert "\\frac{1000\\ \\mathrm{m}}{1\\ \\mathrm{km}}" in text  # conversion shown
    substituted = next(s for s in steps if s.title == "Sustituimos con unidades").content
    assert "\\mathrm{m/s}" in substituted and "\\mathrm{s}" in substituted
    assert next(s for s in steps if s.title == "Unidades del resultado").content.endswith(
        "\\mathrm{m}"
    )
    assert steps[-1].content == "d = 144000\\ \\mathrm{m}"


def test_a_two_law_chain_is_explained_law_by_law() -> None:
    steps = run(
        "se deja caer una piedra de 2 kg desde 20 m, con que energia cinetica llega al suelo"
    )
    assert steps[-1].content == "E_c = 392\\ \\mathrm{J}"
    assert any("Conservación de la energía" in s.title for s in steps)


def test_dimensional_analysis_refuses_a_formula_with_mixed_units() -> None:
    assert dimension(m * a) == dimension(F)
    with pytest.raises(Unsupported):
        dimension(v + t)
    assert dimension(sp.sqrt(2 * g * d)) == SPEED


@pytest.mark.parametrize(
    "question",
    [
        "explica la ley de la inercia",
        "un auto viaja a 72 km/h, que color tiene",
        "un auto de 3 puertas viaja a 20 m/s durante 5 s, que distancia recorre",  # stray number
        "cuanto es 2 + 2",
        "que fuerza se necesita",
    ],
)
def test_what_it_cannot_read_is_refused(question: str) -> None:
    assert not ENGINE.can_answer(question)
    with pytest.raises(CannotAnswer):
        run(question)
