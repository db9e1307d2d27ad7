"""What the student reads when no configured engine can take the question."""

from __future__ import annotations


def refusal_text(question: str) -> str:
    """The `ai_unavailable` message for a question the offline tutor cannot answer."""
    return (
        "Esta pregunta necesita el tutor en línea, que no está configurado en este "
        "servidor. Prueba con un problema de matemáticas (por ejemplo «resuelve "
        "2x + 3 = 7») o pide al administrador que configure OPENAI_API_KEY."
    )
