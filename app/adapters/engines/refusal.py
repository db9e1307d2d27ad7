"""What the student reads when no configured engine can take the question: what the
offline tutor does solve, with two examples close to the question (chosen by the topic
words it contains). Every example is a question the offline engines answer (tested)."""

from __future__ import annotations

import re

from app.adapters.engines.offline_core.wording import fix_typos, normalize

# topic: (words that point to it, what the offline tutor does there, two examples)
TOPICS: dict[str, tuple[str, str, tuple[str, str]]] = {
    "calculo": (
        r"deriv\w*|integra\w*|limite\w*|\blim\b|calculo",
        "derivadas, integrales y límites",
        ("deriva x^3 sen(x)", "límite de sin(x)/x cuando x tiende a 0"),
    ),
    "trigonometria": (
        r"\bsen\w*|\bseno\b|coseno|\bcos\b|tangente|\btan\b|trigonometr\w*|radian\w*|identidad",
        "valores de ángulos notables y ecuaciones trigonométricas",
        ("cuánto vale sen 30°", "resuelve sen(x) = 1/2"),
    ),
    "funciones": (
        r"funcion\w*|dominio|rango|vertice|parabola|grafica|pendiente|\brecta\b",
        "dominio, evaluación, vértice, cortes con los ejes y rectas",
        ("dominio de f(x) = 1/(x - 2)", "vértice de y = x^2 - 4x + 3"),
    ),
    "geometria": (
        r"\barea\b|perimetro|volumen|triangulo|circulo|circunferencia|angulo\w*|hipotenusa|"
        r"cuadrado|rectangulo|cilindro|esfera|cono|cubo|poligono|geometr\w*",
        "áreas, perímetros, volúmenes, Pitágoras y ángulos",
        ("área de un círculo de radio 5 cm", "hipotenusa de un triángulo con catetos 3 y 4"),
    ),
    "algebra": (
        r"ecuacion\w*|resuelve|despej\w*|sistema|factoriz\w*|simplific\w*|desarroll\w*|"
        r"incognita|polinomio|algebra\w*|edad\w*|numeros?\b",
        "ecuaciones, sistemas, factorización y problemas con palabras",
        ("resuelve 2x + 3 = 7", "la suma de dos números es 50 y su diferencia es 10"),
    ),
    "aritmetica": (
        r"porcentaje|%|descuento|fraccion\w*|decimal\w*|suma\w*|resta\w*|multiplica\w*|"
        r"divi\w*|cuanto\s+es|aritmetica",
        "operaciones con fracciones y decimales, porcentajes y descuentos",
        ("cuánto es el 15% de 240", "cuánto es 3/4 + 5/6"),
    ),
    "electricidad": (
        r"corriente|voltaje|resistencia|circuito|ohm\w*|electric\w*|amper\w*|volt\w*",
        "la ley de Ohm y la potencia eléctrica",
        ("qué corriente pasa por una resistencia de 10 ohms conectada a 120 V",
         "un foco de 60 W se conecta a 120 V, qué corriente circula"),
    ),
    "fisica": (
        r"velocidad|aceleracion|fuerza|energia|trabajo|potencia|newton|movimiento|caida|cae\b|"
        r"inercia|friccion|gravedad|\bmasa\b|\bpeso\b|fisica|mru\w*|tiro\b",
        "movimiento (MRU, MRUA, caída libre), fuerzas, trabajo, energía y potencia",
        ("qué fuerza se necesita para acelerar 10 kg a 2 m/s^2",
         "se deja caer una piedra desde 20 m, con qué velocidad llega al suelo"),
    ),
    "quimica": (
        r"\bmol\w*|reaccion\w*|elemento\w*|atomo\w*|compuesto\w*|enlace\w*|periodica|acido\w*|"
        r"\bph\b|balance\w*|quimic\w*|sustancia\w*|disolucion|solucion\s+quimica",
        "masa molar, moles, molaridad y balanceo de ecuaciones",
        ("masa molar del H2SO4", "balancea H2 + O2 -> H2O"),
    ),
}  # fmt: skip
GENERAL_EXAMPLES = (
    "cuánto es el 15% de 240",
    "qué fuerza se necesita para acelerar 10 kg a 2 m/s^2",
)


def closest_topic(question: str) -> str | None:
    """The topic whose words appear most in the question (None when none does)."""
    text = fix_typos(normalize(question))
    scores = {name: len(re.findall(words, text)) for name, (words, _, _) in TOPICS.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] else None


def refusal_text(question: str) -> str:
    """The `ai_unavailable` message for a question the offline tutor cannot answer."""
    topic = closest_topic(question)
    if topic is None:
        scope = "matemáticas, física y química con números"
        first, second = GENERAL_EXAMPLES
    else:
        _, scope, (first, second) = TOPICS[topic]
    return (
        "Sin el tutor en línea no puedo responder esta pregunta. Sin conexión resuelvo paso a "
        f"paso problemas de {scope}. Prueba, por ejemplo: «{first}» o «{second}»."
    )
