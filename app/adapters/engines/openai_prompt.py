"""Prompt and strict JSON schema for language-model answers.

The schema is what OpenAI's structured outputs enforce, so every field is
required and optional canvas fields are nullable. Canvas commands are one flat
object with an `op` enum (strict mode handles that far better than `oneOf`);
the engine drops the nulls and `app.domain.explanation` sanitizes what remains.
`total_duration` comes first so it is known before the first step streams.
"""

from __future__ import annotations

import copy
from typing import Any

from app.adapters.engines.base import GenerationContext
from app.domain.explanation import (
    BOARD_HEIGHT,
    BOARD_WIDTH,
    MAX_STEPS,
    SIZE_RANGE,
    WIDTH_RANGE,
)

CANVAS_OPS = ["clear", "text", "math", "line", "arrow", "rect", "circle", "path", "highlight"]
_NUMBER_FIELDS = ("x", "y", "x1", "y1", "x2", "y2", "w", "h", "r", "size", "width")
_STRING_FIELDS = ("text", "latex", "color", "fill")

_COMMAND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "op": {"type": "string", "enum": CANVAS_OPS},
        **{k: {"type": ["number", "null"]} for k in _NUMBER_FIELDS},
        **{k: {"type": ["string", "null"]} for k in _STRING_FIELDS},
        "points": {
            "type": ["array", "null"],
            "items": {"type": "array", "items": {"type": "number"}},
        },
    },
    "required": ["op", *_NUMBER_FIELDS, *_STRING_FIELDS, "points"],
}

_STEP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "type": {"type": "string", "enum": ["text", "image", "math"]},
        "content": {"type": "string"},
        "canvas_commands": {"type": "array", "items": _COMMAND_SCHEMA},
    },
    "required": ["title", "type", "content", "canvas_commands"],
}

EXPLANATION_JSON_SCHEMA: dict[str, Any] = {
    "name": "explanation",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "total_duration": {"type": "number"},
            "steps": {"type": "array", "items": _STEP_SCHEMA},
        },
        "required": ["total_duration", "steps"],
    },
}


def response_format() -> dict[str, Any]:
    """The `response_format` argument of chat.completions.create (a fresh copy)."""
    return {"type": "json_schema", "json_schema": copy.deepcopy(EXPLANATION_JSON_SCHEMA)}


_SYSTEM_PROMPT = f"""Eres un tutor experto que prepara a estudiantes para el examen de admisión \
del IPN (Instituto Politécnico Nacional, México). Explicas paso a paso, con claridad, en \
español de México, como en una pizarra.

Responde SOLO con un objeto JSON con este formato:
{{"total_duration": segundos, "steps": [{{"title": "...", "type": "text|image|math", \
"content": "...", "canvas_commands": [...]}}]}}

Reglas:
- Entre 2 y 8 pasos (máximo {MAX_STEPS}). "total_duration" es la duración total de la \
explicación hablada en segundos (entre 30 y 600).
- El primer paso es breve (una o dos frases que plantean el problema, a lo más 2 \
comandos de pizarra) para que el estudiante empiece a leer cuanto antes.
- "title": texto plano corto, sin LaTeX, sin Markdown ni HTML.
- "type": "text" para explicación en palabras, "math" para un paso de cálculo, "image" \
para un paso que se apoya sobre todo en un dibujo.
- "content": en pasos "text" e "image", texto plano en frases cortas; en pasos "math", \
SOLO LaTeX (sin signos $), por ejemplo "x = \\\\frac{{-b \\\\pm \\\\sqrt{{b^2-4ac}}}}{{2a}}".
- LaTeX dentro de JSON: escribe cada barra invertida doble, como exige JSON: \
"\\\\frac", "\\\\theta", "\\\\beta", "\\\\nabla", "\\\\right)", y "\\\\\\\\" para un salto \
de renglón en una matriz.
- El último paso de un problema de matemáticas da el resultado final en la forma \
"x = 2" (o "x = 2, x = -3"), "f'(x) = ..." o "\\\\int ... = ... + C".

Pizarra ("canvas_commands"): un tablero lógico de {BOARD_WIDTH} x {BOARD_HEIGHT} unidades, \
origen arriba a la izquierda, y hacia abajo. Cada comando es un objeto con "op" y TODOS los \
campos; pon null en los que ese "op" no usa:
- "clear": borra la pizarra.
- "text": x, y, text (texto plano), size?, color?
- "math": x, y, latex, size?, color?
- "line" / "arrow": x1, y1, x2, y2, color?, width?
- "rect": x, y, w, h, color?, fill?
- "circle": x, y, r, color?, fill?
- "path": points [[x, y], ...], color?, width?
- "highlight": x, y, w, h, color?
Todo punto y extensión (x + w, y + h, x ± r) queda dentro del tablero. Colores en \
minúsculas con la forma "#rrggbb" (por ejemplo "#1f77b4"). size entre {SIZE_RANGE[0]} y \
{SIZE_RANGE[1]}, width entre {WIDTH_RANGE[0]} y {WIDTH_RANGE[1]}. A lo más 30 comandos por \
paso; usa la pizarra para fórmulas, diagramas y gráficas sencillas."""


def build_prompt(question: str, context: GenerationContext) -> list[dict[str, str]]:
    """System and user messages asking for one explanation in the protocol's format."""
    details = []
    if context.subject:
        details.append(f"Materia: {context.subject}")
    if context.topic:
        details.append(f"Tema: {context.topic}")
    if context.level:
        details.append(f"Nivel: {context.level}")
    if context.language == "en":
        details.append("Idioma de la explicación: inglés (el formato JSON no cambia).")
    user = "\n".join([*details, f"Pregunta del estudiante: {question.strip()}"])
    return [{"role": "system", "content": _SYSTEM_PROMPT}, {"role": "user", "content": user}]
