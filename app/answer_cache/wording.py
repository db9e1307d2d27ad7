"""Canonical wording of a normalized question: the same question typed another way
reads the same here.

Pure text rules, no SymPy: math said in words becomes symbols ("x al cubo" → "x^3",
"dos mas tres" → "2+3"), units get one spelling ("metros" → "m"), typos in task words
are corrected, and task words become one name per kind of task ("deriva",
"derivada de", "derivame" → `derive`). The guard reads its features from this text
and the embedder embeds it.
"""

from __future__ import annotations

import re

from app.adapters.engines.offline_core.wording import fix_typos

NUMBER_WORDS = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18,
    "diecinueve": 19, "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50,
    "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90, "cien": 100, "mil": 1000,
}  # fmt: skip
_POWERS = {"cuadrado": 2, "cuadrada": 2, "cubo": 3, "cubica": 3, "cuarta": 4, "quinta": 5}
# Unit spellings → one symbol. Only read right after a number.
UNITS = {
    "m": "m", "metro": "m", "metros": "m", "cm": "cm", "centimetros": "cm", "mm": "mm",
    "km": "km", "kilometros": "km", "s": "s", "seg": "s", "segundo": "s", "segundos": "s",
    "min": "min", "minutos": "min", "h": "h", "hr": "h", "hora": "h", "horas": "h",
    "kg": "kg", "kilo": "kg", "kilos": "kg", "kilogramos": "kg", "g": "g", "gramos": "g",
    "mg": "mg", "n": "N", "newton": "N", "newtons": "N", "j": "J", "joule": "J",
    "joules": "J", "w": "W", "watts": "W", "l": "L", "litro": "L", "litros": "L",
    "ml": "mL", "mol": "mol", "moles": "mol", "km/h": "km/h", "m/s": "m/s",
    "m/s^2": "m/s^2", "grados": "deg", "°": "deg", "°c": "degC", "k": "K", "kelvin": "K",
    "pa": "Pa", "pascales": "Pa", "v": "V", "volts": "V", "ohms": "ohm", "hz": "Hz",
}  # fmt: skip
_UNIT_PATTERN = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_NUMBER_UNIT = re.compile(rf"(\d+(?:\.\d+)?)\s*({_UNIT_PATTERN})(?=\s|$|[,;])")

# Words that name the kind of task → that kind. Checked on whole words.
TASKS: dict[str, str] = {}
for _kind, _words in {
    "solve": "resuelve resolver resuelvan resolverlo resuelvelo resuelvo resuelveme soluciona solucionar despeja "
    "despejar despejame halla hallar encuentra encontrar ecuacion solucion soluciones",
    "derive": "deriva derivar derivada derivadas derivame derivando derivacion",
    "integrate": "integra integrar integral integrales integrame antiderivada primitiva "
    "integracion",
    "factor": "factoriza factorizar factorizacion factorizame factoriza factores",
    "simplify": "simplifica simplificar simplificame simplificacion reduce reducir",
    "expand": "desarrolla desarrollar expande expandir",
    "limit": "limite limites lim",
    "graph": "grafica graficar graficame dibuja traza grafico",
    "evaluate": "calcula calcular calculame evalua evaluar cuanto cuanta resultado efectua",
}.items():
    for _w in _words.split():
        TASKS[_w] = _kind

# Words that change nothing of the answer: articles, question words, politeness,
# "explain", "the function". Anything not here (and not a task word) is content.
FILLERS = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "lo",
        "un",
        "una",
        "unos",
        "unas",
        "de",
        "del",
        "al",
        "a",
        "en",
        "y",
        "o",
        "e",
        "u",
        "que",
        "q",
        "k",
        "qe",
        "como",
        "cmo",
        "se",
        "me",
        "te",
        "le",
        "nos",
        "es",
        "son",
        "esta",
        "este",
        "esto",
        "eso",
        "ese",
        "esa",
        "cual",
        "cuales",
        "cuanto",
        "por",
        "para",
        "pa",
        "con",
        "sobre",
        "mi",
        "tu",
        "su",
        "sus",
        "porfa",
        "porfavor",
        "favor",
        "plis",
        "pls",
        "gracias",
        "ayuda",
        "ayudame",
        "ayudas",
        "puedes",
        "podrias",
        "explica",
        "explicame",
        "explicar",
        "explicacion",
        "explique",
        "dime",
        "decir",
        "di",
        "quiero",
        "kiero",
        "necesito",
        "saber",
        "entender",
        "paso",
        "pasos",
        "facil",
        "rapido",
        "bien",
        "hola",
        "oye",
        "profe",
        "profesor",
        "xfa",
        "fa",
        "porfis",
        "funcion",
        "f",
        "significa",
        "significado",
        "define",
        "definicion",
        "concepto",
        "consiste",
        "hay",
        "tiene",
        "tienen",
        "sirve",
        "ser",
        "hace",
        "hacen",
        "va",
        "vale",
        "da",
        "sale",
        "queda",
        "seria",
        "siguiente",
        "siguientes",
        "dado",
        "dada",
        "expresion",
        "operacion",
        "valor",
        "si",
        "entonces",
        "unidad",
        "dice",
        "dicen",
        "explicas",
        "explican",
        "fue",
        "fueron",
        "era",
    ]
)
# Fillers only next to math: "deriva la funcion f(x) = x^3" names no topic, but
# "¿Qué es una función?" asks about functions.
MATH_FILLERS = frozenset({"funcion", "expresion", "operacion", "valor", "f"})
NEGATIONS = frozenset({"no", "nunca", "jamas", "ningun", "ninguna", "ninguno", "tampoco", "sin"})
FUNCTION_WORDS = {
    "seno": "sin", "sen": "sin", "coseno": "cos", "cos": "cos", "tangente": "tan",
    "tan": "tan", "logaritmo": "log", "log": "log", "ln": "ln", "exponencial": "exp",
}  # fmt: skip
_OPERATOR_WORDS = {"mas": "+", "menos": "-", "por": "*", "entre": "/", "sobre": "/", "igual": "="}
_SPACE_AROUND_OPS = re.compile(r"\s*([+\-*/^=<>])\s*|(?<=\()\s+|\s+(?=\))")
_MATHY = re.compile(r"[\d()^+\-*/=<>]|^[bcdfghjlmnprstvwxz]$")  # digits, operators, a lone variable


_FUNCTION_NAMES = "sqrt|sin|sen|cos|tan|log|ln|exp|abs"
_WORD_BEFORE_OP = re.compile(rf"\b(?!(?:{_FUNCTION_NAMES})\b)([a-z]{{2,}})(?=[+\-*/^=<>])")
_WORD_AFTER_OP = re.compile(rf"(?<=[+\-*/^=<>])(?!(?:{_FUNCTION_NAMES})\b)([a-z]{{2,}})\b")
_ORDINALS = {"1": "primera", "2": "segunda", "3": "tercera"}


def _spell_math(text: str) -> tuple[str, list[str]]:
    """Math said in words → symbols, before the words are read; and the units read."""
    text = re.sub(r"\bequis\b", "x", text)
    # Words that look like negation or math and are neither: "sin embargo", "... o no".
    text = re.sub(r"\bsin\s+embargo\b|\bo\s+no$", " ", text)
    text = re.sub(r"\(([a-z]{2,})\)", r" \1 ", text)  # "(mru)": a word, not math
    # normalize_text glues words to parentheses: "limite(x^2-4)/(x-2)cuando".
    text = re.sub(rf"\b(?!(?:{_FUNCTION_NAMES})\()([a-z]{{2,}})\(", r"\1 (", text)
    text = re.sub(r"\)([a-z]{2,})", r") \1", text)
    text = re.sub(r"\bsen\b", "sin", text)
    text = re.sub(rf"\b({_FUNCTION_NAMES})(\d+)\b", r"\1(\2)", text)  # "sqrt144"
    text = re.sub(r"\b(sin|cos|tan|ln|log|sqrt)\s+(\d+|[a-z])\b(?!\s*[+\-*/^])", r"\1(\2)", text)
    text = re.sub(r"\b([123])(?:ra|ro|er|da|do|a|o)\b", lambda m: _ORDINALS[m.group(1)], text)
    text = re.sub(r"\b(?:es\s+)?igual\s+(?:a\s+)?", "igual ", text)
    text = re.sub(
        r"\b(\d+|[a-z])\s+(?:elevad[oa]\s+)?(?:al|a\s+la)\s+(\d+|[a-z]|"
        + "|".join(_POWERS)
        + r")\b",
        lambda m: f"{m.group(1)}^{_POWERS.get(m.group(2), m.group(2))}",
        text,
    )
    text = re.sub(
        r"\b(\d+|[a-z])\s+(cuadrad[oa]|cubo)\b",
        lambda m: f"{m.group(1)}^{_POWERS[m.group(2)]}",
        text,
    )
    text = re.sub(r"\braiz\s+(cuadrad[ao]\s+)?de\s+(\S+)", r"sqrt(\2)", text)
    text = re.sub(r"\braiz\s+cubica\s+de\s+(\S+)", r"(\1)^(1/3)", text)
    text = re.sub(r"\braiz\s+cuadrad[ao]\b", "sqrt", text)
    text = re.sub(
        r"\b(seno|sen|coseno|cos|tangente|tan|logaritmo(?:\s+natural)?|ln|log)\s+de\s+(\S+)",
        lambda m: _function_call(m.group(1), m.group(2)),
        text,
    )
    text = re.sub(r"(?<=[\w)])\s*\bd([xyzt])\b", " integra", text)  # the "dx" of an integral
    text, units = units_of(" ".join(str(NUMBER_WORDS.get(t, t)) for t in text.split()))
    tokens = text.split()
    for i, token in enumerate(tokens):
        symbol = _OPERATOR_WORDS.get(token)
        if token == "x" and 0 < i < len(tokens) - 1:  # noqa: S105 - a word, not a secret
            if tokens[i - 1].isdigit() and tokens[i + 1].isdigit():
                tokens[i] = "*"  # "15 x 4": times, not a variable
            continue
        if symbol and 0 < i < len(tokens) - 1:
            before, after = tokens[i - 1], tokens[i + 1]
            if _MATHY.search(before) and (_MATHY.search(after) or after in FUNCTION_WORDS):
                tokens[i] = symbol
    text = _SPACE_AROUND_OPS.sub(lambda m: m.group(1) or "", " ".join(tokens))
    # normalize_text glues words to operators too ("cuanto es -3+x" → "es-3+x").
    text = _WORD_BEFORE_OP.sub(r"\1 ", text)
    return _WORD_AFTER_OP.sub(r" \1", text), units


def _function_call(name: str, argument: str) -> str:
    if name.startswith("logaritmo"):
        return f"ln({argument})" if name.endswith("natural") else f"log({argument})"
    return f"{FUNCTION_WORDS[name]}({argument})"


def canonical_wording(normalized: str) -> tuple[str, list[str]]:
    """The normalized question with typos of task words fixed and math spelled as
    symbols, and the units it names (one spelling each)."""
    return _spell_math(fix_typos(normalized))


def units_of(text: str) -> tuple[str, list[str]]:
    """The text with each "number unit" pair marked, and the units read (one spelling)."""
    units: list[str] = []

    def mark(match: re.Match[str]) -> str:
        units.append(UNITS[match.group(2)])
        return f"{match.group(1)} unidad"  # a filler word: "60 km/h por 2 h" is no product

    return _NUMBER_UNIT.sub(mark, text), units


def is_mathy(token: str) -> bool:
    return bool(_MATHY.search(token))
