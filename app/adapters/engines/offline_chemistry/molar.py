"""Molar mass (atom by atom), grams <-> moles <-> particles, molarity and percent
composition, with units in every step; each result checked the other way round."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.decimals import is_exactly, show, significant
from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step

from .elements import AVOGADRO, ELEMENTS, atomic_mass
from .formulas import atom_counts, formula_tex
from .recognize import ChemistryTask


def _g(value: sp.Expr, unit: str) -> str:
    shown = significant(value, 5)
    return f"{shown}\\ \\mathrm{{{unit}}}"


def _molar_mass(formula: str) -> tuple[sp.Rational, list[Draft]]:
    counts = atom_counts(formula)
    rows = [(e, n, atomic_mass(e)) for e, n in counts.items()]
    total = sum(n * mass for _, n, mass in rows)
    ensure(abs(float(total) - sum(n * float(mass) for _, n, mass in rows)) < 1e-9, "molar mass")
    atoms = ",\\quad ".join(f"\\mathrm{{{e}}}: {n}" for e, n, _ in rows)
    products = " + ".join(f"{n} \\times {show(mass)}" for _, n, mass in rows)
    return total, [
        math_step(
            "Contamos los átomos",
            f"{formula_tex(formula)}:\\quad {atoms}",
            "El subíndice dice cuántos átomos hay de cada elemento; un paréntesis multiplica todo lo de adentro.",
        ),
        math_step(
            "Masas atómicas de la tabla periódica",
            ",\\quad ".join(
                f"\\mathrm{{{e}}} = {show(mass)}\\ \\mathrm{{g/mol}}" for e, _, mass in rows
            ),
        ),
        math_step(
            "Multiplicamos y sumamos",
            f"M = {products} = {_g(total, 'g/mol')}",
            "Cada elemento aporta su masa atómica por el número de átomos.",
        ),
    ]


def _named(task: ChemistryTask) -> str:
    return f"{formula_tex(task.formula)}" + (f" ({task.name})" if task.name != task.formula else "")


def molar_mass(task: ChemistryTask) -> list[Draft]:
    total, steps = _molar_mass(task.formula)
    return [
        math_step("Sustancia", _named(task), "La masa molar es la masa de un mol de la sustancia."),
        *steps,
        result_step(
            f"M = {_g(total, 'g/mol')}",
            "En unidades SI: " + f"{significant(total / 1000, 5)} kg/mol.",
        ),
    ]


def moles(task: ChemistryTask) -> list[Draft]:
    total, steps = _molar_mass(task.formula)
    mass = task.amount
    n = mass / total
    ensure(n * total == mass, "n · M gives back the mass")
    return [
        math_step(
            "Datos", f"m = {show(mass)}\\ \\mathrm{{g}},\\quad {_named(task)},\\quad n = \\;?"
        ),
        *steps,
        math_step("Fórmula", "n = \\frac{m}{M}", "Los moles son la masa entre la masa molar."),
        math_step(
            "Sustituimos",
            f"n = \\frac{{{show(mass)}\\ \\mathrm{{g}}}}{{{significant(total, 5)}\\ \\mathrm{{g/mol}}}}",
            "Los gramos se cancelan y quedan moles.",
        ),
        result_step(f"n {_rel(n)} {significant(n)}\\ \\mathrm{{mol}}"),
    ]


def grams(task: ChemistryTask) -> list[Draft]:
    total, steps = _molar_mass(task.formula)
    n = task.amount
    mass = n * total
    ensure(mass / total == n, "m / M gives back the moles")
    return [
        math_step(
            "Datos", f"n = {show(n)}\\ \\mathrm{{mol}},\\quad {_named(task)},\\quad m = \\;?"
        ),
        *steps,
        math_step("Fórmula", "m = n \\cdot M"),
        math_step(
            "Sustituimos",
            f"m = ({show(n)}\\ \\mathrm{{mol}})({significant(total, 5)}\\ \\mathrm{{g/mol}})",
            "Los moles se cancelan y quedan gramos.",
        ),
        result_step(
            f"m {_rel(mass)} {significant(mass, 5)}\\ \\mathrm{{g}}",
            f"En unidades SI: {significant(mass / 1000, 5)} kg.",
        ),
    ]


def _rel(value: sp.Expr, digits: int = 4) -> str:
    return "=" if is_exactly(value, significant(value, digits)) else "\\approx"


def particles(task: ChemistryTask) -> list[Draft]:
    steps: list[Draft] = [
        math_step(
            "Datos",
            f"{'n' if task.given == 'mol' else 'm'} = {show(task.amount)}\\ \\mathrm{{{task.given}}},\\quad {_named(task)}",
        )
    ]
    n = task.amount
    if task.given == "g":
        total, mass_steps = _molar_mass(task.formula)
        n = task.amount / total
        steps.extend(mass_steps)
        steps.append(
            math_step(
                "Pasamos a moles",
                f"n = \\frac{{{show(task.amount)}\\ \\mathrm{{g}}}}{{{significant(total, 5)}\\ \\mathrm{{g/mol}}}} \\approx {significant(n)}\\ \\mathrm{{mol}}",
            )
        )
    counts = atom_counts(task.formula)
    per_unit = sum(counts.values()) if task.particle == "atomos" else 1
    count = n * AVOGADRO * per_unit
    ensure(count / (AVOGADRO * per_unit) == n, "particles back to moles")
    word = {"moleculas": "moléculas", "atomos": "átomos", "particulas": "partículas"}[task.particle]
    steps.append(
        math_step(
            "Número de Avogadro",
            "N_A = 6.022 \\times 10^{23}\\ \\text{partículas/mol}",
            "Un mol de cualquier sustancia tiene ese número de partículas.",
        )
    )
    times = f" \\times {per_unit}" if per_unit > 1 else ""
    why = f"Cada unidad de {task.formula} tiene {per_unit} átomos." if per_unit > 1 else None
    steps.append(
        math_step(
            "Multiplicamos", f"N = {significant(n)} \\times 6.022 \\times 10^{{23}}{times}", why
        )
    )
    return [*steps, result_step(f"N {_rel(count)} {significant(count)}\\ \\text{{{word}}}")]


def molarity(task: ChemistryTask) -> list[Draft]:
    number, unit = task.volume_typed.split()
    amount = "n" if task.given == "mol" else "m"
    steps: list[Draft] = [
        math_step(
            "Datos",
            f"{amount} = {show(task.amount)}\\ \\mathrm{{{task.given}}},\\quad "
            f"V = {number}\\ \\mathrm{{{unit}}}",
            f"Soluto: {task.name}.",
        )
    ]
    n = task.amount
    if task.given == "g":
        total, mass_steps = _molar_mass(task.formula)
        n = task.amount / total
        steps.extend(mass_steps)
        steps.append(
            math_step(
                "Pasamos a moles",
                f"n = \\frac{{{show(task.amount)}\\ \\mathrm{{g}}}}{{{significant(total, 5)}\\ \\mathrm{{g/mol}}}} \\approx {significant(n)}\\ \\mathrm{{mol}}",
            )
        )
    if "mL" in task.volume_typed:
        steps.append(
            math_step(
                "Volumen en litros",
                f"V = {task.volume_typed.split()[0]}\\ \\mathrm{{mL}} \\cdot \\frac{{1\\ \\mathrm{{L}}}}{{1000\\ \\mathrm{{mL}}}} = {show(task.volume_l)}\\ \\mathrm{{L}}",
            )
        )
    value = n / task.volume_l
    ensure(value * task.volume_l == n, "M · V gives back the moles")
    steps.append(
        math_step("Fórmula", "M = \\frac{n}{V}", "Moles de soluto por litro de disolución.")
    )
    steps.append(
        math_step(
            "Sustituimos",
            f"M = \\frac{{{significant(n)}\\ \\mathrm{{mol}}}}{{{show(task.volume_l)}\\ \\mathrm{{L}}}}",
        )
    )
    return [*steps, result_step(f"M {_rel(value)} {significant(value)}\\ \\mathrm{{mol/L}}")]


def percent(task: ChemistryTask) -> list[Draft]:
    total, steps = _molar_mass(task.formula)
    counts = atom_counts(task.formula)
    shares = {e: n * atomic_mass(e) / total * 100 for e, n in counts.items()}
    ensure(abs(float(sum(shares.values())) - 100) < 1e-9, "percentages add up to 100")
    lines = ",\\quad ".join(
        f"\\%\\,\\mathrm{{{e}}} = \\frac{{{counts[e]} \\times {show(atomic_mass(e))}}}{{{significant(total, 5)}}} \\times 100 \\approx {significant(s)}\\%"
        for e, s in shares.items()
    )
    steps.append(
        math_step(
            "Porcentaje de cada elemento", lines, "Masa del elemento entre la masa molar, por 100."
        )
    )
    if task.element:
        name = ELEMENTS[task.element][0]
        share = shares[task.element]
        return [
            *steps,
            result_step(
                f"\\%\\,\\mathrm{{{task.element}}} \\approx {significant(share)}\\%",
                f"Porcentaje en masa de {name}.",
            ),
        ]
    final = ",\\quad ".join(
        f"\\%\\,\\mathrm{{{e}}} \\approx {significant(s)}\\%" for e, s in shares.items()
    )
    return [*steps, result_step(final)]
