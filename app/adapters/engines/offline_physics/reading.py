"""Reading a physics problem: what situation it describes, what each given quantity is
(the same speed can be initial or final), what is implied ("parte del reposo": v₀ = 0)
and what is asked."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from . import units as u
from .laws import (
    GRAVITY,
    Ec,
    Ep,
    F,
    P,
    R,
    V,
    W,
    a,
    current,
    d,
    g,
    h,
    m,
    p,
    t,
    theta,
    v,
    v0,
    vf,
    w,
)

KINEMATIC = ("up", "fall", "mrua", "mru")
_SITUATIONS = (
    ("up", r"hacia\s+arriba|verticalmente\s+hacia\s+arriba|tiro\s+vertical|altura\s+maxima"),
    ("fall", r"caida\s+libre|se\s+deja\s+caer|dejan?\s+caer|\bcae\b|se\s+suelta|sueltan?\b|desde\s+(?:lo\s+alto|la\s+azotea|una\s+altura)"),
    ("mrua", r"aceler|reposo|fren|detiene|detenerse|\bpara\b\s+en"),
)  # fmt: skip
_REST = re.compile(
    r"reposo|se\s+deja\s+caer|dejan?\s+caer|se\s+suelta|sueltan?\b|caida\s+libre|\bcae\b"
)
_STOPS = re.compile(
    r"se\s+detiene|hasta\s+detenerse|hasta\s+que\s+se\s+detiene|hasta\s+parar|se\s+para\b|hasta\s+el\s+reposo|lo\s+detiene"
)
_QUESTION = re.compile(
    r"(?:cual(?:es)?|que|cuanto|cuanta|cuantos|calcula|calcular|determina|encuentra|halla|obten|"
    r"con\s+que|a\s+que|en\s+que|desde\s+que)\b"
)
_ASKED = (
    (r"energia\s+cinetica", Ec), (r"energia\s+potencial", Ep), (r"\btrabajo\b", W),
    (r"\bpotencia\b", P), (r"\bpeso\b|\bpesa\b|\bpesaria\b", w), (r"\bfuerza\b", F), (r"aceleracion|desaceleracion", a),
    (r"velocidad\s+inicial|rapidez\s+inicial", v0),
    (r"velocidad\s+final|rapidez\s+final|con\s+que\s+velocidad\s+(?:llega|choca|cae|impacta|toca)|"
     r"velocidad\s+(?:alcanza|lleva|tendra|adquiere)|velocidad\s+(?:con\s+la\s+que|al)\s+(?:llega|llegar|choca|tocar)", vf),
    (r"velocidad|rapidez|que\s+tan\s+rapido", v), (r"altura|que\s+tan\s+alto", h),
    (r"distancia|recorre|recorrio|recorrera|desplaza|que\s+tan\s+lejos|espacio", d),
    (r"tiempo|cuanto\s+tarda|tarda|en\s+cuanto|cuantos\s+segundos", t), (r"\bmasa\b", m),
    (r"corriente|intensidad", current), (r"resistencia", R),
    (r"voltaje|tension|diferencia\s+de\s+potencial", V),
    (r"cantidad\s+de\s+movimiento|momento\s+lineal|momentum", p),
)  # fmt: skip


@dataclass
class Reading:
    situation: str | None
    knowns: dict[sp.Symbol, u.Quantity | None]  # None: implied (v₀ = 0, g = 9.8 m/s²)
    implied: dict[sp.Symbol, tuple[sp.Rational, str]]  # value in SI, why
    unknown: sp.Symbol


def situation_of(text: str) -> str | None:
    return next((name for name, pattern in _SITUATIONS if re.search(pattern, text)), None)


def _role(
    q: u.Quantity, text: str, situation: str | None, speeds: list[u.Quantity]
) -> sp.Symbol | None:
    before = text[max(0, q.start - 45) : q.start]
    around = before + text[q.end : q.end + 25]
    dim = q.dim
    if dim == u.LENGTH:
        if re.search(
            r"altura|alto|desde|caer|cae\b|eleva|sube|levanta|edificio|torre|puente|azotea", around
        ):
            return h
        return d
    if dim == u.TIME:
        return t
    if dim == u.ACCELERATION:
        return g if re.search(r"gravedad|\bg\s*=", before[-35:]) else a
    if dim == u.SPEED:
        if situation not in ("mrua", "fall", "up"):
            return v
        if re.search(
            r"inicial|parte\s+con|sale\s+con|lanza\w*\s+(?:\w+\s+){0,3}(?:con|a)\b|arroja\w*",
            before,
        ):
            return v0
        if re.search(r"final|alcanza\w*|llega\w*|hasta|adquiere", before):
            return vf
        if len(speeds) == 2:
            return v0 if q is speeds[0] else vf
        if situation == "up":
            return v0
        if _REST.search(text):
            return vf
        return v0
    by_dim = {
        u.MASS: m,
        u.POWER: P,
        u.VOLTAGE: V,
        u.CURRENT: current,
        u.RESISTANCE: R,
        u.ANGLE: theta,
    }
    if dim == u.FORCE:
        return w if re.search(r"\bpeso\b|pesa", before[-20:]) else F
    if dim == u.ENERGY:
        if re.search(r"cinetica", around):
            return Ec
        if re.search(r"potencial", around):
            return Ep
        return W
    return by_dim.get(dim)


def asked(text: str) -> list[sp.Symbol]:
    """What the question asks for, nearest to its question word first."""
    starts = [m.start() for m in _QUESTION.finditer(text)]
    if not starts:
        return []
    question = text[starts[0] :]
    found = []
    for order, (pattern, symbol) in enumerate(_ASKED):
        match = re.search(pattern, question)
        if match:
            found.append((match.start(), order, symbol))
    return [symbol for _, _, symbol in sorted(found)]


def read(text: str, cased: str) -> Reading | None:
    """`text` is the normalized question, `cased` the same with its capitals."""
    quantities = u.find_quantities(cased)
    if not quantities:
        return None
    spans = [(q.start, q.end) for q in quantities]
    for number in re.finditer(r"\d+(?:[.,]\d+)?", cased):
        if not any(start <= number.start() < end for start, end in spans):
            return None  # a number without a unit we can place: better refuse than guess
    situation = situation_of(text)
    candidates = asked(text)
    speeds = [q for q in quantities if q.dim == u.SPEED]
    knowns: dict[sp.Symbol, u.Quantity | None] = {}
    context = cased.lower()  # same positions as the quantities
    for quantity in quantities:
        role = _role(quantity, context, situation, speeds)
        if role is None or role in knowns:
            return None  # a quantity we cannot place, or two for one role
        knowns[role] = quantity
    implied: dict[sp.Symbol, tuple[sp.Rational, str]] = {}
    if g not in knowns:
        implied[g] = (GRAVITY, "aceleración de la gravedad")
    if situation in ("mrua", "fall") and v0 not in knowns and _REST.search(text):
        implied[v0] = (sp.Integer(0), "parte del reposo")
    if situation == "mrua" and vf not in knowns and _STOPS.search(text):
        implied[vf] = (sp.Integer(0), "se detiene")
    for unknown in candidates:
        if unknown == v and situation in ("mrua", "fall"):
            unknown = vf
        if unknown == d and situation == "fall":
            unknown = h
        if unknown not in knowns and unknown not in implied:
            return Reading(situation, knowns, implied, unknown)
    return None
