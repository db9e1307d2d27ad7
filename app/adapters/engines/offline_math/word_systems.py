"""Story problems with two unknowns, the kinds the exam asks: ages, heads and legs,
tickets or coins of two prices, two purchases, and a rectangle's sides."""

from __future__ import annotations

import re

import sympy as sp

from .quantities import NUMBER, number, spell_out_numbers
from .word_problem import Statement, WordProblem

N = NUMBER
_TIMES = {"doble": 2, "triple": 3, "cuadruple": 4, "quintuple": 5}
_TIMES_RE = "|".join(_TIMES)
_WHO = r"(?:el\s+|la\s+|mi\s+|su\s+)?([a-z]+)"
_AGE_TIMES = re.compile(
    rf"(?:la\s+edad\s+de\s+)?{_WHO}\s+(?:tiene|es)\s+(?:el\s+)?({_TIMES_RE})\s+"
    rf"(?:de\s+la\s+(?:edad\s+)?(?:de\s+)?|de\s+(?:la\s+)?edad\s+(?:que|de)\s+|(?:de\s+)?que\s+){_WHO}"
)
_AGE_MORE = re.compile(
    rf"(?:la\s+edad\s+de\s+)?{_WHO}\s+(?:tiene|es)\s+{N}\s+anos\s+(mas|mayor|menos|menor)\s+"
    rf"(?:que|de\s+la\s+edad\s+de)\s+{_WHO}"
)
_AGE_SUM = re.compile(
    rf"(?:juntos|juntas|entre\s+(?:los\s+|las\s+)?(?:dos|ambos|ambas|2)|la\s+suma\s+de\s+sus\s+edades|"
    rf"sus\s+edades)\s*(?:suman|tienen|es|son|dan|da)?\s*(?:de\s+)?{N}"
)
_TWO_LEGS = "gallinas|gallina|patos|pollos|aves|pajaros|gansos|palomas"
_FOUR_LEGS = "conejos|conejo|cerdos|vacas|perros|gatos|borregos|ovejas|caballos|chivos|cabras"
_HEADS = re.compile(rf"{N}\s+(?:cabezas|animales)")
_LEGS = re.compile(rf"{N}\s+patas")
_ITEMS = r"boletos|entradas|monedas|billetes|articulos|paquetes|libros|pasajes"
_COUNT = re.compile(rf"{N}\s+({_ITEMS})")
_TOTAL = re.compile(
    rf"(?:recaudaron|recaudo|recaudando|un\s+total\s+de|en\s+total|suman|sumando|obtuvo|"
    rf"reunieron|reunio|ingresaron|cobro|cobraron|juntaron|junto|valen|tiene\s+un\s+valor\s+de)"
    rf"\s*\$?\s*{N}"
)
_BUY = re.compile(
    rf"(\d+|un|una)\s+([a-z]+)\s+y\s+(\d+|un|una)\s+([a-z]+)\s+(?:cuestan|valen|cuesta|por|"
    rf"se\s+pagan|pague|pagaron|pago|son|en)\s+(?:un\s+total\s+de\s+)?\$?\s*{N}"
)
_LONG = r"largo(?:\s+de\s+un\s+rectangulo)?\s+(?:mide|es)"
_LONG_TIMES = re.compile(rf"{_LONG}\s+(?:el\s+)?({_TIMES_RE})\s+(?:de|del)\s+(?:su\s+|el\s+)?ancho")
_LONG_MORE = re.compile(
    rf"{_LONG}\s+{N}\s*(?:cm|m|metros|centimetros)?\s+mas\s+que\s+(?:su\s+|el\s+)?ancho"
)
_PERIMETER = re.compile(
    rf"perimetro\s+(?:es\s+|mide\s+)?(?:de\s+)?{N}\s*(cm|m|metros|centimetros)?"
)
_AREA = re.compile(rf"area\s+(?:es\s+|mide\s+)?(?:de\s+)?{N}\s*(cm|m|metros|centimetros)?")


def _letters(first: str, second: str) -> tuple[sp.Symbol, sp.Symbol]:
    a, b = first[0], second[0]
    if a == b or a in "eio" or b in "eio":
        return sp.symbols("x y")
    return sp.Symbol(a), sp.Symbol(b)


_AGES_SUM_GAP = re.compile(
    rf"suma\s+de\s+(?:las\s+|sus\s+)?edades(?:\s+de\s+(?:dos|2)\s+\w+)?\s+es\s+(?:de\s+)?{N}"
    rf".*?\buno\s+(?:tiene|es)\s+{N}\s+anos\s+(?:mas|mayor)\s+(?:que|de)\s+(?:el|la)\s+otr[oa]"
)


def _ages(text: str) -> WordProblem | None:
    unnamed = _AGES_SUM_GAP.search(text)
    if unnamed:
        older, younger = sp.symbols("x y")
        return WordProblem(
            {older: "edad del mayor", younger: "edad del menor"},
            [
                Statement(older + younger, number(unnamed.group(1)), "la suma de las edades"),
                Statement(older, younger + number(unnamed.group(2)), "uno tiene más años"),
            ],
            [("mayor", older), ("menor", younger)],
        )
    total = _AGE_SUM.search(text)
    relation = _AGE_TIMES.search(text) or _AGE_MORE.search(text)
    if not total or not relation:
        return None
    first, second = relation.group(1), relation.groups()[-1]
    if first == second:
        return None
    a, b = _letters(first, second)
    if relation.re is _AGE_TIMES:
        rule = Statement(a, _TIMES[relation.group(2)] * b, relation.group(0))
    else:
        gap = number(relation.group(2))
        sign = 1 if relation.group(3) in ("mas", "mayor") else -1
        rule = Statement(a, b + sign * gap, relation.group(0))
    summed = Statement(a + b, number(total.group(1)), total.group(0))
    return WordProblem(
        {a: f"edad de {first}", b: f"edad de {second}"},
        [rule, summed],
        [(f"edad de {first}", a), (f"edad de {second}", b)],
    )


def _heads_and_legs(text: str) -> WordProblem | None:
    two = re.search(rf"\b({_TWO_LEGS})\b", text)
    four = re.search(rf"\b({_FOUR_LEGS})\b", text)
    heads, legs = _HEADS.search(text), _LEGS.search(text)
    if not (two and four and heads and legs):
        return None
    birds, beasts = two.group(1), four.group(1)
    a, b = _letters(birds, beasts)
    return WordProblem(
        {a: f"número de {birds}", b: f"número de {beasts}"},
        [
            Statement(a + b, number(heads.group(1)), "cada animal tiene una cabeza"),
            Statement(2 * a + 4 * b, number(legs.group(1)), f"{birds}: 2 patas; {beasts}: 4 patas"),
        ],
        [(birds, a), (beasts, b)],
    )


def _count_and_value(text: str) -> WordProblem | None:
    count, total = _COUNT.search(text), list(_TOTAL.finditer(text))
    if not count or not total:
        return None
    total_value = total[-1]
    spans = {count.span(1), total_value.span(1)}
    prices = [m for m in re.finditer(N, text) if m.span(1) not in spans]
    if len(prices) != 2:
        return None
    items = count.group(2)
    p, q = (number(m.group(1)) for m in prices)
    if "adult" in text and ("nino" in text or "menor" in text):
        names = (f"{items} de adulto", f"{items} de niño")
    else:
        names = (f"{items} de {p}", f"{items} de {q}")
    a, b = (sp.Symbol("a"), sp.Symbol("n")) if "adult" in text else sp.symbols("x y")
    return WordProblem(
        {a: f"número de {names[0]}", b: f"número de {names[1]}"},
        [
            Statement(a + b, number(count.group(1)), f"son {count.group(1)} {items}"),
            Statement(p * a + q * b, number(total_value.group(1)), "lo que se pagó en total"),
        ],
        [(names[0], a), (names[1], b)],
    )


def _singular(word: str) -> str:
    if word.endswith("ces"):
        return word[:-3] + "z"
    return word[:-1] if word.endswith("s") else word


def _stem(word: str) -> str:
    return word[:4]


def _purchases(text: str) -> WordProblem | None:
    buys = list(_BUY.finditer(text))
    if len(buys) != 2:
        return None
    items = [(_stem(m.group(2)), _stem(m.group(4))) for m in buys]
    if items[0] != items[1] or items[0][0] == items[0][1]:
        return None
    first, second = (_singular(buys[0].group(i)) for i in (2, 4))
    a, b = _letters(first, second)

    def qty(text: str) -> sp.Integer:
        return sp.Integer(1) if text in ("un", "una") else sp.Integer(text)

    equations = [
        Statement(qty(m.group(1)) * a + qty(m.group(3)) * b, number(m.group(5)), m.group(0))
        for m in buys
    ]
    return WordProblem(
        {a: f"precio de cada {first}", b: f"precio de cada {second}"},
        equations,
        [(f"precio de un {first}", a), (f"precio de un {second}", b)],
    )


def _rectangle(text: str) -> WordProblem | None:
    if "rectangul" not in text:
        return None
    relation = _LONG_TIMES.search(text) or _LONG_MORE.search(text)
    size = _PERIMETER.search(text) or _AREA.search(text)
    if not relation or not size:
        return None
    long, wide = sp.symbols("l a")
    if relation.re is _LONG_TIMES:
        rule = Statement(long, _TIMES[relation.group(1)] * wide, relation.group(0))
    else:
        rule = Statement(long, wide + number(relation.group(1)), relation.group(0))
    value = number(size.group(1))
    unit = f" ({size.group(2)})" if size.group(2) else ""
    if size.re is _PERIMETER:
        measure = Statement(2 * long + 2 * wide, value, "el perímetro suma los cuatro lados")
        return WordProblem(
            {long: f"largo{unit}", wide: f"ancho{unit}"},
            [rule, measure],
            [("largo", long), ("ancho", wide)],
        )
    # Area: put the largo in terms of the ancho, one (quadratic) equation in the ancho.
    x = sp.Symbol("x")
    longer = rule.rhs.subs(wide, x)
    area = Statement(longer * x, value, "el área es largo por ancho")
    return WordProblem({x: f"ancho{unit}"}, [area], [("largo", longer), ("ancho", x)])


def _reads_every_number(text: str, problem: WordProblem) -> bool:
    """Every number of the story is in some equation; one left out means a misreading."""
    constants = {
        abs(node)
        for statement in problem.equations
        for side in (statement.lhs, statement.rhs)
        for node in sp.preorder_traversal(side)
        if node.is_Rational
    }
    return all(number(n) in constants for n in re.findall(NUMBER, text))


def match(text: str) -> WordProblem | None:
    spelled = spell_out_numbers(text)
    for recognizer in (_ages, _heads_and_legs, _rectangle, _purchases, _count_and_value):
        problem = recognizer(spelled)
        if problem is not None:
            # digits the student typed must all be used ("dos hermanos" is not data)
            return problem if _reads_every_number(text, problem) else None
    return None
