"""The laws the exam uses, each an equation between named quantities, grouped by the
situation they describe."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import units as u

# Internal names sort in the order a teacher writes products (F = m a, d = v t, Ep = m g h);
# DISPLAY holds how each one is printed.
_ORDER = [
    "E_c",
    "E_p",
    "W",
    "w",
    "p",
    "P",
    "F",
    "m",
    "V",
    "I",
    "R",
    "v_0",
    "v",
    "v_f",
    "a",
    "g",
    "d",
    "h",
    "t",
    "theta",
]
Ec, Ep, W, w, p, P, F, m, V, current, R, v0, v, vf, a, g, d, h, t, theta = (
    sp.Symbol(f"q{i:02d}", real=True) for i in range(len(_ORDER))
)
DISPLAY = {
    sp.Symbol(f"q{i:02d}", real=True): ("\\theta" if name == "theta" else name)
    for i, name in enumerate(_ORDER)
}


def tex(expr: sp.Basic, names: dict[sp.Symbol, str] | None = None) -> str:
    """LaTeX with the quantities' own letters (or `names`, e.g. values with units)."""
    return sp.latex(expr, symbol_names={**DISPLAY, **(names or {})})


DIMENSIONS: dict[sp.Symbol, u.Dim] = {
    d: u.LENGTH, h: u.LENGTH, t: u.TIME, v: u.SPEED, v0: u.SPEED, vf: u.SPEED,
    a: u.ACCELERATION, g: u.ACCELERATION, m: u.MASS, F: u.FORCE, w: u.FORCE, W: u.ENERGY,
    Ec: u.ENERGY, Ep: u.ENERGY, P: u.POWER, V: u.VOLTAGE, current: u.CURRENT, R: u.RESISTANCE,
    p: u.MOMENTUM, theta: u.ANGLE,
}  # fmt: skip
NAMES: dict[sp.Symbol, str] = {
    d: "distancia", h: "altura", t: "tiempo", v: "velocidad", v0: "velocidad inicial",
    vf: "velocidad final", a: "aceleración", g: "gravedad", m: "masa", F: "fuerza", w: "peso",
    W: "trabajo", Ec: "energía cinética", Ep: "energía potencial", P: "potencia",
    V: "voltaje", current: "corriente", R: "resistencia", p: "cantidad de movimiento",
    theta: "ángulo",
}  # fmt: skip
POSITIVE = {d, h, t, m, R, v, Ec}  # a negative value of these is not an answer
GRAVITY = sp.Rational(98, 10)


@dataclass(frozen=True)
class Law:
    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    situations: frozenset[str]
    note: str = ""

    @property
    def symbols(self) -> set[sp.Symbol]:
        return (self.lhs - self.rhs).free_symbols

    @property
    def latex(self) -> str:
        return f"{tex(self.lhs)} = {tex(self.rhs)}"


def _law(name: str, lhs: sp.Expr, rhs: sp.Expr, situations: str, note: str = "") -> Law:
    return Law(name, lhs, rhs, frozenset(situations.split()), note)


LAWS = (
    _law("Movimiento rectilíneo uniforme (MRU)", d, v * t, "mru",
         "La velocidad es constante: distancia = velocidad × tiempo."),
    _law("MRUA: velocidad final", vf, v0 + a * t, "mrua",
         "La velocidad cambia lo mismo cada segundo."),
    _law("MRUA: distancia recorrida", d, v0 * t + a * t**2 / 2, "mrua"),
    _law("MRUA: velocidad y distancia", vf**2, v0**2 + 2 * a * d, "mrua",
         "Relaciona velocidades y distancia sin usar el tiempo."),
    _law("MRUA: distancia con la velocidad media", d, (v0 + vf) * t / 2, "mrua"),
    _law("Caída libre: altura", h, g * t**2 / 2, "fall", "Parte del reposo y acelera con g."),
    _law("Caída libre: velocidad", vf, g * t, "fall"),
    _law("Caída libre: velocidad y altura", vf**2, 2 * g * h, "fall"),
    _law("Conservación de la energía", Ec, m * g * h, "fall",
         "Al caer, la energía potencial m·g·h se convierte en cinética."),
    _law("Tiro vertical: altura máxima", h, v0**2 / (2 * g), "up",
         "En la altura máxima la velocidad es cero."),
    _law("Tiro vertical: tiempo de subida", t, v0 / g, "up"),
    _law("Segunda ley de Newton", F, m * a, "dynamics",
         "La fuerza neta es masa por aceleración."),
    _law("Peso", w, m * g, "dynamics", "El peso es la fuerza con que la Tierra atrae la masa."),
    _law("Trabajo de una fuerza", W, F * d * sp.cos(theta), "work",
         "Solo cuenta la parte de la fuerza en la dirección del movimiento."),
    _law("Trabajo de una fuerza", W, F * d, "work", "La fuerza va en la dirección del movimiento."),
    _law("Trabajo para levantar un cuerpo", W, m * g * h, "work",
         "Para subirlo a velocidad constante hay que vencer su peso m·g a lo largo de la altura h."),
    _law("Energía cinética", Ec, m * v**2 / 2, "energy"),
    _law("Energía potencial gravitatoria", Ep, m * g * h, "energy"),
    _law("Potencia", P, W / t, "power", "Trabajo realizado por unidad de tiempo."),
    _law("Potencia mecánica", P, F * v, "power"),
    _law("Ley de Ohm", V, current * R, "electric"),
    _law("Potencia eléctrica", P, V * current, "electric"),
    _law("Cantidad de movimiento", p, m * v, "momentum"),
)  # fmt: skip
