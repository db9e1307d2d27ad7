"""Element symbols, Spanish names and atomic weights in g/mol: the IUPAC standard values
rounded to one decimal, as the exam's periodic table gives them (H 1.0, O 16.0, Cl 35.5),
so answers match the ones students compute by hand."""

from __future__ import annotations

import sympy as sp

_TABLE = """
H hidrogeno 1.008; He helio 4.0026; Li litio 6.94; Be berilio 9.0122; B boro 10.81;
C carbono 12.011; N nitrogeno 14.007; O oxigeno 15.999; F fluor 18.998; Ne neon 20.180;
Na sodio 22.990; Mg magnesio 24.305; Al aluminio 26.982; Si silicio 28.085; P fosforo 30.974;
S azufre 32.06; Cl cloro 35.45; Ar argon 39.948; K potasio 39.098; Ca calcio 40.078;
Sc escandio 44.956; Ti titanio 47.867; V vanadio 50.942; Cr cromo 51.996; Mn manganeso 54.938;
Fe hierro 55.845; Co cobalto 58.933; Ni niquel 58.693; Cu cobre 63.546; Zn zinc 65.38;
Ga galio 69.723; Ge germanio 72.630; As arsenico 74.922; Se selenio 78.971; Br bromo 79.904;
Kr kripton 83.798; Rb rubidio 85.468; Sr estroncio 87.62; Zr circonio 91.224; Mo molibdeno 95.95;
Pd paladio 106.42; Ag plata 107.87; Cd cadmio 112.41; Sn estano 118.71; Sb antimonio 121.76;
I yodo 126.90; Xe xenon 131.29; Cs cesio 132.91; Ba bario 137.33; W wolframio 183.84;
Pt platino 195.08; Au oro 196.97; Hg mercurio 200.59; Pb plomo 207.2; Bi bismuto 208.98;
U uranio 238.03
"""

ELEMENTS: dict[str, tuple[str, sp.Rational]] = {}
for _entry in _TABLE.replace("\n", " ").split(";"):
    _symbol, _name, _mass = _entry.split()
    ELEMENTS[_symbol] = (_name, sp.Rational(f"{float(_mass):.1f}"))

AVOGADRO = sp.Rational("6.022e23")


def atomic_mass(symbol: str) -> sp.Rational:
    return ELEMENTS[symbol][1]
