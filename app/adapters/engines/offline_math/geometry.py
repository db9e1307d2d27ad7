"""Areas, perimeters and volumes of the exam's figures: name the formula, substitute
with units, compute exactly (π kept) and approximately, with a sketch of the figure."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import approx_tex, show
from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step

from .measures import Length, common_unit, find_by, find_length, find_lengths, unit_tex
from .sketches import sketch_for

r, d, side, b, h, B, bm, D, dm, a, L, w, c = sp.symbols(
    "r d l b h B b_m D d_m a L w c", positive=True
)

_NEEDS = {
    r: "radio|radios", d: "diametro|diametros", side: "lado|lados|arista|aristas", b: "base|largo",
    h: "altura|alto|ancho", B: "base mayor", bm: "base menor", D: "diagonal mayor",
    dm: "diagonal menor", a: "apotema", L: "largo|longitud", w: "ancho", c: "lado",
}  # fmt: skip
_NAMES = {r: "radio", d: "diámetro", side: "lado", b: "base", h: "altura", B: "base mayor",
          bm: "base menor", D: "diagonal mayor", dm: "diagonal menor", a: "apotema",
          L: "largo", w: "ancho"}  # fmt: skip


@dataclass(frozen=True)
class Formula:
    """`written` is the formula as a teacher writes it, each quantity as @name."""

    figure: str
    measure: str
    title: str
    symbol: str
    expr: sp.Expr
    power: int
    written: str

    def latex(self, names: dict[sp.Symbol, str]) -> str:
        text = self.written
        for symbol in sorted(self.expr.free_symbols, key=lambda s: -len(s.name)):
            text = text.replace(f"@{symbol.name}", names[symbol])
        return text


def _f(
    fig: str, measure: str, title: str, sym: str, expr: sp.Expr, power: int, written: str
) -> Formula:
    return Formula(fig, measure, title, sym, expr, power, written)


PI = "\\pi \\cdot "
FORMULAS = (
    _f("circulo", "area", "Área del círculo", "A", sp.pi * r**2, 2, PI + "@r^{2}"),
    _f("circulo", "perimetro", "Longitud de la circunferencia", "P", 2 * sp.pi * r, 1,
       "2 \\cdot " + PI + "@r"),
    _f("cuadrado", "area", "Área del cuadrado", "A", side**2, 2, "@l^{2}"),
    _f("cuadrado", "perimetro", "Perímetro del cuadrado", "P", 4 * side, 1, "4 \\cdot @l"),
    _f("cuadrado", "diagonal", "Diagonal del cuadrado", "d", sp.sqrt(2) * side, 1,
       "\\sqrt{2} \\cdot @l"),
    _f("rectangulo", "area", "Área del rectángulo", "A", b * h, 2, "@b \\cdot @h"),
    _f("rectangulo", "perimetro", "Perímetro del rectángulo", "P", 2 * b + 2 * h, 1,
       "2 \\cdot @b + 2 \\cdot @h"),
    _f("rectangulo", "diagonal", "Diagonal del rectángulo", "d", sp.sqrt(b**2 + h**2), 1,
       "\\sqrt{@b^{2} + @h^{2}}"),
    _f("triangulo", "area", "Área del triángulo", "A", b * h / 2, 2, "\\frac{@b \\cdot @h}{2}"),
    _f("equilatero", "perimetro", "Perímetro del triángulo equilátero", "P", 3 * side, 1,
       "3 \\cdot @l"),
    _f("equilatero", "area", "Área del triángulo equilátero", "A", sp.sqrt(3) / 4 * side**2, 2,
       "\\frac{\\sqrt{3}}{4} \\cdot @l^{2}"),
    _f("trapecio", "area", "Área del trapecio", "A", (B + bm) * h / 2, 2,
       "\\frac{(@B + @b_m) \\cdot @h}{2}"),
    _f("rombo", "area", "Área del rombo", "A", D * dm / 2, 2, "\\frac{@D \\cdot @d_m}{2}"),
    _f("rombo", "perimetro", "Perímetro del rombo", "P", 4 * side, 1, "4 \\cdot @l"),
    _f("cubo", "volumen", "Volumen del cubo", "V", side**3, 3, "@l^{3}"),
    _f("cubo", "area", "Área total del cubo", "A", 6 * side**2, 2, "6 \\cdot @l^{2}"),
    _f("prisma", "volumen", "Volumen del prisma rectangular", "V", L * w * h, 3,
       "@L \\cdot @w \\cdot @h"),
    _f("cilindro", "volumen", "Volumen del cilindro", "V", sp.pi * r**2 * h, 3,
       PI + "@r^{2} \\cdot @h"),
    _f("cilindro", "area", "Área total del cilindro", "A", 2 * sp.pi * r * (r + h), 2,
       "2 \\cdot " + PI + "@r \\cdot (@r + @h)"),
    _f("esfera", "volumen", "Volumen de la esfera", "V", sp.Rational(4, 3) * sp.pi * r**3, 3,
       "\\frac{4}{3} \\cdot " + PI + "@r^{3}"),
    _f("esfera", "area", "Área de la esfera", "A", 4 * sp.pi * r**2, 2, "4 \\cdot " + PI + "@r^{2}"),
    _f("cono", "volumen", "Volumen del cono", "V", sp.pi * r**2 * h / 3, 3,
       "\\frac{" + PI + "@r^{2} \\cdot @h}{3}"),
    _f("piramide", "volumen", "Volumen de la pirámide de base cuadrada", "V", side**2 * h / 3, 3,
       "\\frac{@l^{2} \\cdot @h}{3}"),
)  # fmt: skip
_POLYGONS = {"pentagono": 5, "hexagono": 6, "heptagono": 7, "octagono": 8, "decagono": 10}
_ACCENTED = {"pentagono": "pentágono", "hexagono": "hexágono", "heptagono": "heptágono",
             "octagono": "octágono", "decagono": "decágono"}  # fmt: skip

_FIGURES = (
    ("esfera", r"\besferas?\b|\bpelota\b|\bbalon\b"),
    ("cilindro", r"\bcilindros?\b|\btinaco\b|\blata\b"),
    ("cono", r"\bconos?\b"),
    ("cubo", r"\bcubos?\b"),
    ("prisma", r"\bprisma\s+rectangular\b|\bcaja\b|\bortoedro\b|\bparalelepipedo\b|\balberca\b"),
    ("piramide", r"\bpiramide\b"),
    ("trapecio", r"\btrapecio\b"),
    ("rombo", r"\brombo\b"),
    ("poligono", r"\b(?:" + "|".join(_POLYGONS) + r")\b"),
    ("equilatero", r"\btriangulo\s+equilatero\b"),
    ("triangulo", r"\btriangulo\b(?!\s+rectangulo)"),
    ("circulo", r"\bcirculo\b|\bcircunferencia\b|\bcircular\b"),
    ("cuadrado", r"\b(?:un|el|del|de\s+un|cada)\s+cuadrado\b|\bcuadrado\s+de\s+lado\b"),
    ("rectangulo", r"(?<!triangulo )\brectangulo\b|\bterreno\s+rectangular\b"),
)
_MEASURES = (
    ("volumen", r"\bvolumen\b|\bcapacidad\b|\bcabe\b"),
    ("area", r"\barea\b|\bsuperficie\b"),
    ("diagonal", r"\bdiagonal\b(?!\s+(?:mayor|menor))"),
    ("perimetro", r"\bperimetro\b|\bcontorno\b|\blongitud\s+de\s+la\s+circunferencia\b|"
                  r"\bcircunferencia\s+de\s+un\s+circulo\b|\bcerca\b|\bbarda\b"),
)  # fmt: skip


@dataclass
class GeometryTask:
    formula: Formula
    values: dict[sp.Symbol, Length]
    derived: list[tuple[sp.Symbol, sp.Expr, str]]  # (symbol, its value, how it was found)
    kind: str = "geometry"


def _first(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for name, pattern in table if re.search(pattern, text)), None)


def _values(formula: Formula, text: str) -> tuple[dict, list] | None:
    needed = sorted(formula.expr.free_symbols, key=lambda s: s.name)
    values: dict[sp.Symbol, Length] = {}
    derived: list[tuple[sp.Symbol, sp.Expr, str]] = []
    for symbol in needed:
        words = _NEEDS[symbol]
        if symbol == h and w in needed:  # a box: its "ancho" is not its height
            words = "altura|alto|profundidad"
        found = find_length(text, words)
        if found is None and symbol == r:
            diameter = find_length(text, _NEEDS[d])
            if diameter is not None:
                values[d] = diameter
                derived.append((r, diameter[0] / 2, "El radio es la mitad del diámetro."))
                continue
        if found is None:
            return None
        values[symbol] = found
    return values, derived


def _rectangle_by(formula: Formula, text: str) -> tuple[dict, list] | None:
    pair = find_by(text)
    if pair is None or formula.expr.free_symbols != {b, h}:
        return None
    return {b: pair[0], h: pair[1]}, []


def _polygon(text: str, measure: str) -> GeometryTask | None:
    name = next(p for p in _POLYGONS if p in text)
    sides = _POLYGONS[name]
    length = find_length(text, _NEEDS[side])
    if length is None:
        return None
    perimeter = sides * side
    if measure == "perimetro":
        formula = _f(
            "poligono", "perimetro", f"Perímetro del {_ACCENTED[name]} regular", "P", perimeter, 1,
            f"{sides} \\cdot @l",
        )  # fmt: skip
        return GeometryTask(formula, {side: length}, [])
    apothem = find_length(text, _NEEDS[a])
    if measure != "area" or apothem is None:
        return None
    formula = _f(
        "poligono", "area", f"Área del {_ACCENTED[name]} regular", "A", perimeter * a / 2, 2,
        f"\\frac{{{sides} \\cdot @l \\cdot @a}}{{2}}",
    )  # fmt: skip
    return GeometryTask(formula, {side: length, a: apothem}, [])


def match(text: str) -> GeometryTask | None:
    figure, measure = _first(text, _FIGURES), _first(text, _MEASURES)
    if figure is None or measure is None:
        return None
    if figure == "poligono":
        return _polygon(text, measure)
    if figure == "triangulo" and measure == "perimetro":
        sides = find_lengths(text, "lados|miden|mide", 3)
        if sides:
            expr = side + b + c
            formula = _f(
                "triangulo", "perimetro", "Perímetro del triángulo", "P", expr, 1, "@l + @b + @c"
            )
            return GeometryTask(formula, dict(zip((side, b, c), sides, strict=True)), [])
    for formula in FORMULAS:
        if (formula.figure, formula.measure) != (figure, measure):
            continue
        found = _values(formula, text) or _rectangle_by(formula, text)
        if found is not None and _uses_every_number(text, found[0]):
            return GeometryTask(formula, *found)
    return None


def _uses_every_number(text: str, values: dict[sp.Symbol, Length]) -> bool:
    """Each number of the question was read exactly once: a number left over (or one read
    twice) means the question was not understood, and it is refused rather than guessed."""
    typed = sorted(sp.Rational(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", text))
    return typed == sorted(v for v, _ in values.values())


def solve(task: GeometryTask) -> list[Draft]:
    formula = task.formula
    unit = common_unit(list(task.values.values()))
    given = {s: v for s, (v, _) in task.values.items()}
    for symbol, value, _ in task.derived:
        given[symbol] = value
    data = ",\\quad ".join(
        f"{_symbol_tex(s)} = {show(v)}{unit_tex(u)}" for s, (v, u) in task.values.items()
    )
    steps = [math_step("Datos", data, _names(task))]
    for symbol, value, why in task.derived:
        steps.append(
            math_step(
                f"Calculamos el {_NAMES[symbol]}",
                f"{_symbol_tex(symbol)} = \\frac{{{show(given[d])}}}{{2}} = {show(value)}{unit_tex(unit)}",
                why,
            )
        )
    steps[0].sketch = sketch_for(
        formula.figure, {_NAMES.get(s, "lado"): v for s, v in given.items()}, unit
    )
    letters = {s: sp.latex(s) for s in formula.expr.free_symbols}
    written = formula.latex(letters).replace(" \\cdot ", " ")
    steps.append(math_step(formula.title, f"{formula.symbol} = {written}"))
    shown = {
        s: f"\\left({show(given[s])}{unit_tex(unit)}\\right)" if unit else show(given[s])
        for s in formula.expr.free_symbols
    }
    steps.append(
        math_step(
            "Sustituimos los datos",
            f"{formula.symbol} = {formula.latex(shown)}",
            "Cada letra de la fórmula se cambia por su valor, con sus unidades.",
        )
    )
    value = sp.nsimplify(formula.expr.subs(given))
    numeric = float(sp.lambdify(list(given), formula.expr, "math")(*given.values()))
    ensure(abs(float(value) - numeric) <= 1e-9 * max(1.0, abs(numeric)), "exact and float agree")
    units = unit_tex(unit, formula.power)
    exact = sp.latex(value)
    calc = f"{formula.symbol} = {exact}{units}"
    closing = approx_tex(value, 2)
    if closing.startswith("\\approx"):
        calc += f" {closing}{units}"
    steps.append(math_step("Calculamos", calc, _unit_note(unit, formula.power)))
    return [*steps, result_step(calc)]


def _symbol_tex(symbol: sp.Symbol) -> str:
    return sp.latex(symbol)


def _names(task: GeometryTask) -> str:
    return "; ".join(f"{sp.latex(s)}: {_NAMES.get(s, 'lado')}" for s in task.values) + "."


def _unit_note(unit: str | None, power: int) -> str | None:
    if power == 1:
        return None
    what = {2: "cuadrados (área)", 3: "cúbicos (volumen)"}[power]
    return f"Las unidades quedan al {'cuadrado' if power == 2 else 'cubo'}: {unit or 'unidades'} {what}."
