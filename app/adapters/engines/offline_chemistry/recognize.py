"""Recognize chemistry problems with numbers: molar mass, grams <-> moles <-> particles,
molarity, percent composition and balancing an equation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.engine import NotRecognized
from app.adapters.engines.offline_core.wording import fix_typos, normalize

from .compounds import named_formula
from .elements import ELEMENTS
from .formulas import FORMULA, NotAFormula, atom_counts

MAX_QUESTION_CHARS = 500
_NUM = r"(\d+(?:[.,]\d+)?)"
_WORD_STOP = {
    "La",
    "Si",
    "Se",
    "No",
    "Es",
    "En",
    "Un",
    "Una",
    "El",
    "Al",
    "Y",
    "O",
    "I",
    "A",
    "Cual",
    "Que",
}
_ARROW = re.compile(r"\s*(?:->|=>|=|⟶|produce[n]?|da[n]?)\s*")
_BALANCE = re.compile(r"\b(?:balancea\w*|balanceo|ajusta\w*|iguala\w*|equilibra\w*)\b")
_MOLAR_MASS = re.compile(r"\b(?:masa|peso)\s+(?:molar|molecular|formula)\b")
_MOLES_OF_MASS = re.compile(rf"\bcuant[oa]s\s+moles\b.*?{_NUM}\s*(?:g|gr|gramos?|kg|kilogramos?)\b")
_MASS_OF_MOLES = re.compile(
    rf"(?:\bcuant[oa]s\s+gramos\b|\bque\s+masa\b|\bmasa\s+de\b|\bcuanto\s+pesa\w*\b).*?{_NUM}\s*moles?\b"
)
_PARTICLES = re.compile(r"\bcuant[oa]s\s+(moleculas|atomos|particulas)\b")
_MOLARITY = re.compile(r"\bmolaridad\b|\bconcentracion\s+molar\b")
_PERCENT = re.compile(r"\bporcentaje\b|\bcomposicion\s+porcentual\b|%")


@dataclass
class ChemistryTask:
    kind: str  # molar_mass | moles | grams | particles | molarity | percent | balance
    formula: str = ""
    name: str = ""
    amount: sp.Rational | None = None  # grams or moles given
    given: str = ""  # "g" | "mol"
    volume_l: sp.Rational | None = None
    volume_typed: str = ""
    element: str = ""
    particle: str = ""
    reactants: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


class NotChemistry(NotRecognized):
    """Not a chemistry problem these solvers handle."""


def _number(text: str) -> sp.Rational:
    return sp.Rational(text.replace(",", "."))


def _formulas_in(cased: str) -> list[str]:
    found = []
    for match in re.finditer(rf"(?<![\w(]){FORMULA}(?![\w)])", cased):
        token = match.group(0)
        if token in _WORD_STOP or token.isdigit():
            continue
        if not re.search(r"\d|[A-Z].*[A-Z]", token):  # "Fe", "Na": only after "de"
            if not re.search(r"\bde(?:l)?\s+$", cased[: match.start()]):
                continue
        try:
            atom_counts(token.lstrip("0123456789"))
        except NotAFormula:
            continue
        found.append(token)
    return found


def _substance(text: str, cased: str) -> tuple[str, str]:
    formulas = _formulas_in(cased)
    if formulas:
        return formulas[0], formulas[0]
    named = named_formula(text)
    if named is None:
        raise NotChemistry("no substance")
    return named[1], named[0]


def _balance(cased: str) -> ChemistryTask:
    body = cased.split(":", 1)[-1]
    body = re.sub(r"^.*?(?=\d*[A-Z(])", "", body, count=1)
    body = re.sub(r"\s+[a-z].*$", "", body)  # a word after the equation ("... balancear")
    sides = _ARROW.split(body.strip(" .?"), maxsplit=1)
    if len(sides) != 2:
        raise NotChemistry("an equation needs reactants and products")
    species: list[list[str]] = []
    for side in sides:
        items = [re.sub(r"^\d+\s*", "", s.strip()) for s in side.split("+")]
        if not all(re.fullmatch(FORMULA, item) for item in items):
            raise NotChemistry("not a chemical equation")
        species.append(items)
    return ChemistryTask("balance", reactants=tuple(species[0]), products=tuple(species[1]))


def recognize(question: str) -> ChemistryTask:
    if not isinstance(question, str) or len(question) > MAX_QUESTION_CHARS:
        raise NotChemistry("not a question we take")
    cased = normalize(question, lower=False)
    text = fix_typos(cased.lower())
    if _BALANCE.search(text) or (re.search(r"->", cased) and "+" in cased):
        return _balance(cased)
    if _MOLARITY.search(text):
        return _molarity(text, cased)
    particles = _PARTICLES.search(text)
    if particles:
        return _particles(text, cased, particles.group(1))
    moles = _MOLES_OF_MASS.search(text)
    if moles:
        formula, name = _substance(text, cased)
        grams = _number(moles.group(1)) * (1000 if re.search(r"\d\s*(?:kg|kilo)", text) else 1)
        return ChemistryTask("moles", formula, name, grams, "g")
    mass = _MASS_OF_MOLES.search(text)
    if mass:
        formula, name = _substance(text, cased)
        return ChemistryTask("grams", formula, name, _number(mass.group(1)), "mol")
    if _MOLAR_MASS.search(text):
        formula, name = _substance(text, cased)
        return ChemistryTask("molar_mass", formula, name)
    if _PERCENT.search(text) and re.search(
        r"\bmasa\b|composicion|porcentaje\s+de\s+\w+\s+(?:en|del?)\b", text
    ):
        return _percent(text, cased)
    raise NotChemistry("not a recognized chemistry problem")


def _particles(text: str, cased: str, particle: str) -> ChemistryTask:
    formula, name = _substance(text, cased)
    moles = re.search(rf"{_NUM}\s*moles?\b", text)
    grams = re.search(rf"{_NUM}\s*(?:g|gr|gramos?)\b", text)
    if moles:
        return ChemistryTask(
            "particles", formula, name, _number(moles.group(1)), "mol", particle=particle
        )
    if grams:
        return ChemistryTask(
            "particles", formula, name, _number(grams.group(1)), "g", particle=particle
        )
    raise NotChemistry("no amount")


def _molarity(text: str, cased: str) -> ChemistryTask:
    formula, name = _substance(text, cased)
    volume = re.search(rf"{_NUM}\s*(ml|mililitros?|l|litros?)\b", text)
    moles = re.search(rf"{_NUM}\s*moles?\b", text)
    grams = re.search(rf"{_NUM}\s*(?:g|gr|gramos?)\b", text)
    if not volume or not (moles or grams):
        raise NotChemistry("molarity needs an amount and a volume")
    liters = _number(volume.group(1)) / (1000 if volume.group(2).startswith("m") else 1)
    typed = f"{volume.group(1)} {'mL' if volume.group(2).startswith('m') else 'L'}"
    if moles:
        return ChemistryTask(
            "molarity", formula, name, _number(moles.group(1)), "mol", liters, typed
        )
    return ChemistryTask("molarity", formula, name, _number(grams.group(1)), "g", liters, typed)


def _percent(text: str, cased: str) -> ChemistryTask:
    where = re.search(r"\b(?:en|del)\s+(?:el\s+|la\s+|los\s+|las\s+|un\s+|una\s+)?(?=\S)", text)
    at = where.end() if where else 0
    formula, name = _substance(text[at:], cased[at:])
    counts = atom_counts(formula.lstrip("0123456789"))
    element = ""
    match = re.search(r"porcentaje\s+(?:en\s+masa\s+)?de(?:l)?\s+(\w+)", text)
    if match:
        wanted = match.group(1)
        element = next((s for s, (n, _) in ELEMENTS.items() if n == wanted), "")
        if not element:
            symbol = re.search(r"porcentaje\s+(?:en\s+masa\s+)?de(?:l)?\s+([A-Z][a-z]?)\b", cased)
            element = symbol.group(1) if symbol else ""
    if element and element not in counts:
        raise NotChemistry("the element is not in the compound")
    return ChemistryTask("percent", formula, name, element=element)
