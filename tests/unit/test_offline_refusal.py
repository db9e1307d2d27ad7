"""The `ai_unavailable` text names what the offline tutor solves, with two examples close
to the question, and every example it offers is answered offline."""

from __future__ import annotations

import pytest

from app.adapters.engines.base import GenerationContext, GenerationResult
from app.adapters.engines.offline import offline_engines
from app.adapters.engines.refusal import GENERAL_EXAMPLES, TOPICS, closest_topic, refusal_text

ENGINES = offline_engines()
EXAMPLES = sorted({e for _, _, pair in TOPICS.values() for e in pair} | set(GENERAL_EXAMPLES))


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_offered_is_answered_offline(example: str) -> None:
    engine = next(e for e in ENGINES if e.can_answer(example))
    steps = list(engine.generate(example, GenerationContext(), GenerationResult()))
    assert steps[-1].title == "Resultado"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("explica la ley de la inercia", "fisica"),
        ("que es un enlace covalente", "quimica"),
        ("integral de e^(x^2)", "calculo"),
        ("como se calcula el area de un trapecio isosceles", "geometria"),
        ("que es un circuito en paralelo", "electricidad"),
        ("¿Quién fue Benito Juárez?", None),
    ],
)
def test_examples_follow_the_topic_of_the_question(question: str, topic: str | None) -> None:
    assert closest_topic(question) == topic
    text = refusal_text(question)
    first, second = TOPICS[topic][2] if topic else GENERAL_EXAMPLES
    assert f"«{first}»" in text and f"«{second}»" in text
    assert text.startswith("Sin el tutor en línea")
