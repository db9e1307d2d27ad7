"""Common substances by their Spanish names, as students write them."""

from __future__ import annotations

import re

NAMES: dict[str, str] = {
    "agua oxigenada": "H2O2", "peroxido de hidrogeno": "H2O2", "agua": "H2O",
    "dioxido de carbono": "CO2", "monoxido de carbono": "CO", "cloruro de sodio": "NaCl",
    "sal de mesa": "NaCl", "sal comun": "NaCl", "glucosa": "C6H12O6", "sacarosa": "C12H22O11",
    "metano": "CH4", "etano": "C2H6", "propano": "C3H8", "butano": "C4H10", "etanol": "C2H6O",
    "amoniaco": "NH3", "acido sulfurico": "H2SO4", "acido clorhidrico": "HCl",
    "acido nitrico": "HNO3", "acido fosforico": "H3PO4", "carbonato de calcio": "CaCO3",
    "hidroxido de sodio": "NaOH", "hidroxido de calcio": "Ca(OH)2", "oxido de calcio": "CaO",
    "bicarbonato de sodio": "NaHCO3", "cloruro de potasio": "KCl", "sulfato de cobre": "CuSO4",
    "oxido de hierro": "Fe2O3", "ozono": "O3", "oxigeno": "O2", "hidrogeno": "H2",
    "nitrogeno": "N2", "cloro": "Cl2", "hierro": "Fe", "cobre": "Cu", "oro": "Au",
    "plata": "Ag", "aluminio": "Al", "calcio": "Ca", "sodio": "Na", "carbono": "C",
    "magnesio": "Mg", "zinc": "Zn", "azufre": "S", "plomo": "Pb", "mercurio": "Hg",
    "potasio": "K", "helio": "He",
}  # fmt: skip
_BY_LENGTH = sorted(NAMES, key=len, reverse=True)


def named_formula(text: str) -> tuple[str, str] | None:
    """(name, formula) of the first substance named in normalized text."""
    best: tuple[int, str] | None = None
    for name in _BY_LENGTH:
        match = re.search(rf"\b{name}\b", text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return (best[1], NAMES[best[1]]) if best else None
