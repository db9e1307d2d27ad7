"""The offline chemistry engine: formulas, names, molar masses, conversions, balancing."""

from __future__ import annotations

import pytest

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.adapters.engines.offline_chemistry import OfflineChemistryEngine
from app.adapters.engines.offline_chemistry.formulas import NotAFormula, atom_counts, formula_tex
from app.adapters.engines.offline_chemistry.recognize import recognize

ENGINE = OfflineChemistryEngine(isolate=False)


def run(question: str) -> list:
    return list(ENGINE.generate(question, GenerationContext(), GenerationResult()))


def test_formulas_count_atoms_with_groups_and_hydrates() -> None:
    assert atom_counts("Ca(OH)2") == {"Ca": 1, "O": 2, "H": 2}
    assert atom_counts("Fe2(SO4)3") == {"Fe": 2, "S": 3, "O": 12}
    assert atom_counts("CuSO4·5H2O") == {"Cu": 1, "S": 1, "O": 9, "H": 10}
    assert formula_tex("H2SO4") == "\\mathrm{H_{2}SO_{4}}"
    for bad in ("Xy2", "H2(O", "h2o"):
        with pytest.raises(NotAFormula):
            atom_counts(bad)


def test_substances_by_formula_or_by_name() -> None:
    assert recognize("masa molar del H2SO4").formula == "H2SO4"
    assert recognize("cuantos moles hay en 36 g de agua").formula == "H2O"
    assert recognize("cuantos atomos hay en 3 moles de Fe").formula == "Fe"
    # Sentence words that are also element symbols are not formulas.
    assert recognize("La masa molar del agua").formula == "H2O"


def test_balancing_conserves_atoms_with_the_smallest_whole_coefficients() -> None:
    steps = run("balancea C3H8 + O2 -> CO2 + H2O")
    assert steps[-1].content == (
        "\\mathrm{C_{3}H_{8}} + 5\\,\\mathrm{O_{2}} \\rightarrow "
        "3\\,\\mathrm{CO_{2}} + 4\\,\\mathrm{H_{2}O}"
    )
    assert any(s.title == "Una ecuación por elemento" for s in steps)


def test_an_equation_that_cannot_balance_is_refused() -> None:
    with pytest.raises(CannotAnswer):
        run("balancea H2 + O2 -> NaCl")  # different elements on each side


def test_conversions_show_the_molar_mass_and_the_units() -> None:
    steps = run("cuantos gramos hay en 2 moles de NaCl")
    assert steps[-1].content == "m = 117\\ \\mathrm{g}"
    assert any("\\mathrm{g/mol}" in s.content for s in steps)


@pytest.mark.parametrize(
    "question", ["que es un enlace covalente", "explica la tabla periodica", "Si llueve, No salgo"]
)
def test_questions_without_a_computation_are_refused(question: str) -> None:
    assert not ENGINE.can_answer(question)
