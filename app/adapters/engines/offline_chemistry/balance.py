"""Balancing a chemical equation by linear algebra: one unknown coefficient per
substance, one equation per element (atoms in = atoms out), the smallest whole
solution; checked by counting atoms on both sides."""

from __future__ import annotations

from collections import Counter
from functools import reduce
from math import gcd

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
    text_step,
)

from .formulas import atom_counts, formula_tex
from .recognize import ChemistryTask

LETTERS = "abcdefgh"


def _side_tex(species: tuple[str, ...], coefficients: list[int] | None = None) -> str:
    parts = []
    for i, formula in enumerate(species):
        k = coefficients[i] if coefficients else 1
        parts.append(("" if k == 1 else f"{k}\\,") + formula_tex(formula))
    return " + ".join(parts)


def _tally(species: tuple[str, ...], coefficients: list[int]) -> Counter[str]:
    total: Counter[str] = Counter()
    for formula, k in zip(species, coefficients, strict=True):
        for element, n in atom_counts(formula).items():
            total[element] += k * n
    return total


def balance(task: ChemistryTask) -> list[Draft]:
    reactants, products = task.reactants, task.products
    species = [*reactants, *products]
    if len(species) > len(LETTERS):
        raise Unsupported("too many substances")
    counts = [atom_counts(f) for f in species]
    elements = sorted(
        {e for c in counts for e in c}, key=lambda e: [e in c for c in counts].index(True)
    )
    ensure(
        set().union(*counts[: len(reactants)]) == set().union(*counts[len(reactants) :]),
        "the same elements on both sides",
    )
    signs = [1] * len(reactants) + [-1] * len(products)
    matrix = sp.Matrix([[s * c[e] for s, c in zip(signs, counts, strict=True)] for e in elements])
    space = matrix.nullspace()
    if len(space) != 1:
        raise Unsupported("the equation has no single balance")
    vector = space[0]
    lcm = reduce(sp.ilcm, (v.q for v in vector), 1)
    whole = [int(v * lcm) for v in vector]
    divisor = reduce(gcd, whole)
    whole = [w // divisor for w in whole]
    if all(w < 0 for w in whole):
        whole = [-w for w in whole]
    if any(w <= 0 for w in whole):
        raise Unsupported("no positive coefficients")
    left, right = whole[: len(reactants)], whole[len(reactants) :]
    ensure(_tally(reactants, left) == _tally(products, right), "atoms are conserved")
    ensure(reduce(gcd, whole) == 1, "smallest whole coefficients")
    unknowns = LETTERS[: len(species)]
    unbalanced = f"{_side_tex(reactants)} \\rightarrow {_side_tex(products)}"
    before_in, before_out = _tally(reactants, [1] * len(reactants)), _tally(
        products, [1] * len(products)
    )
    table = ",\\quad ".join(
        f"\\mathrm{{{e}}}: {before_in[e]} \\text{{ vs }} {before_out[e]}" for e in elements
    )
    rows = []
    for row, element in zip(matrix.tolist(), elements, strict=True):
        left_terms = " + ".join(
            f"{n if n != 1 else ''}{unknowns[i]}" for i, n in enumerate(row) if n > 0
        )
        right_terms = " + ".join(
            f"{-n if n != -1 else ''}{unknowns[i]}" for i, n in enumerate(row) if n < 0
        )
        rows.append(f"\\mathrm{{{element}}}:\\; {left_terms} = {right_terms}")
    first = {unknowns[i]: sp.Rational(w, whole[0]) for i, w in enumerate(whole)}
    relative = ",\\; ".join(f"{k} = {sp.latex(v)}" for k, v in first.items())
    balanced = f"{_side_tex(reactants, left)} \\rightarrow {_side_tex(products, right)}"
    after = ",\\quad ".join(
        f"\\mathrm{{{e}}}: {_tally(reactants, left)[e]} = {_tally(products, right)[e]}"
        for e in elements
    )
    return [
        math_step("Ecuación sin balancear", unbalanced, "Contamos los átomos de cada lado."),
        math_step("Átomos de cada lado", table),
        math_step(
            "Ponemos un coeficiente a cada sustancia",
            " + ".join(f"{unknowns[i]}\\,{formula_tex(f)}" for i, f in enumerate(reactants))
            + " \\rightarrow "
            + " + ".join(
                f"{unknowns[len(reactants) + i]}\\,{formula_tex(f)}" for i, f in enumerate(products)
            ),
        ),
        math_step(
            "Una ecuación por elemento",
            (
                " \\\\ ".join(rows)
                if len(rows) < 2
                else "\\begin{cases} " + " \\\\ ".join(rows) + " \\end{cases}"
            ),
            "Los átomos de cada elemento deben ser los mismos antes y después de la reacción.",
        ),
        math_step(
            f"Resolvemos con {unknowns[0]} = 1",
            relative,
            "El sistema tiene infinitas soluciones proporcionales; fijamos una y despejamos las demás.",
        ),
        text_step(
            "Coeficientes enteros más pequeños",
            (
                f"Multiplicamos todo por {whole[0]} para quitar las fracciones: "
                if whole[0] > 1
                else "Ya son números enteros: "
            )
            + ", ".join(f"{k} = {w}" for k, w in zip(unknowns, whole, strict=True))
            + ".",
        ),
        math_step("Comprobamos", after, "Mismo número de átomos de cada elemento en ambos lados."),
        result_step(balanced),
    ]
