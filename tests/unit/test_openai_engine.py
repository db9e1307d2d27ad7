"""The OpenAI engine with the real SDK against a local OpenAI-compatible server."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from app.adapters.engines.base import EngineError, GenerationContext, GenerationResult
from app.adapters.engines.openai_engine import OpenAIEngine, StepScanner
from app.adapters.engines.openai_prompt import EXPLANATION_JSON_SCHEMA, build_prompt
from tests.support.fake_openai import (
    Behaviour,
    FakeOpenAI,
    model_json,
    sample_explanation,
    strict_nulls,
)

QUESTION = "Resuelve 2x + 3 = 7"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.chat_script.clear()
    server.requests.clear()
    server.default_chat = Behaviour.answer()
    return server


def engine(fake: FakeOpenAI, **kw: Any) -> OpenAIEngine:
    kw.setdefault("timeout_s", 10)
    return OpenAIEngine("sk-test", fake.base_url, "gpt-test", backoff_s=0.01, **kw)


def run(eng: OpenAIEngine, result: GenerationResult | None = None) -> list[Any]:
    return list(eng.generate(QUESTION, GenerationContext(), result or GenerationResult()))


def first_step_end(content: str) -> int:
    """Index just after the first step object closes in a model's JSON text."""
    return content.index(', {"title": "Restamos 3"') + 1


# -- schema and prompt ------------------------------------------------------


def _walk(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from _walk(sub)
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"])


def test_schema_is_strict_mode_compatible() -> None:
    assert EXPLANATION_JSON_SCHEMA["strict"] is True
    objects = [s for s in _walk(EXPLANATION_JSON_SCHEMA["schema"]) if s.get("type") == "object"]
    assert len(objects) == 3
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    schema_text = json.dumps(EXPLANATION_JSON_SCHEMA)
    assert "oneOf" not in schema_text and "anyOf" not in schema_text


def test_strict_model_output_validates_against_schema() -> None:
    jsonschema.validate(strict_nulls(sample_explanation(5)), EXPLANATION_JSON_SCHEMA["schema"])


def test_prompt_is_spanish_and_names_the_format() -> None:
    messages = build_prompt(QUESTION, GenerationContext(subject="Matemáticas", level="medio"))
    assert [m["role"] for m in messages] == ["system", "user"]
    system = messages[0]["content"]
    for needle in ("1280 x 720", "#rrggbb", "minúsculas", "\\\\frac", "texto plano", "highlight"):
        assert needle in system
    assert QUESTION in messages[1]["content"] and "Matemáticas" in messages[1]["content"]


# -- the happy path -----------------------------------------------------------


def test_valid_answer_streams_all_steps_and_records_usage(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.answer(sample_explanation(5, total_duration=95), prompt_tokens=500))
    result = GenerationResult()
    steps = run(engine(fake), result)
    assert [s.title for s in steps] == [s["title"] for s in sample_explanation(5)["steps"]]
    assert steps[0].canvas_commands[2] == {
        "op": "math",
        "x": 40,
        "y": 120,
        "latex": "2x + 3 = 7",
        "color": "#1f77b4",
    }
    assert all(None not in c.values() for s in steps for c in s.canvas_commands)
    content = fake.chat_requests()[0]
    assert result.engine == "openai"
    assert result.prompt_tokens == 500
    assert result.completion_tokens > 100
    assert result.total_duration == 95
    assert result.extra["retries"] == 0 and result.extra["repairs"] == 0
    body = content.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["model"] == "gpt-test"
    assert content.headers["authorization"] == "Bearer sk-test"


def test_steps_are_yielded_before_the_stream_ends(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.answer(sample_explanation(5), tokens_per_s=600))
    stamps: list[float] = []
    start = time.monotonic()
    for _ in engine(fake).generate(QUESTION, GenerationContext(), GenerationResult()):
        stamps.append(time.monotonic() - start)
    total = time.monotonic() - start
    assert len(stamps) == 5
    assert total > 1.0  # ~800 tokens at 600 tok/s
    assert stamps[0] < 0.5 * total
    assert all(b - a > 0.05 for a, b in zip(stamps, stamps[1:], strict=False))


def test_total_duration_is_clamped(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.answer(sample_explanation(2, total_duration=99999)))
    result = GenerationResult()
    run(engine(fake), result)
    assert result.total_duration == 3600
    fake.push(Behaviour.answer(sample_explanation(2, total_duration=1)))
    run(engine(fake), result)
    assert result.total_duration == 10


# -- repairs ------------------------------------------------------------------


def test_invalid_json_is_repaired_by_asking_again(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.invalid_json(), Behaviour.answer())
    result = GenerationResult()
    steps = run(engine(fake), result)
    assert len(steps) == 3
    assert result.extra["repairs"] == 1
    requests = fake.chat_requests()
    assert len(requests) == 2
    last = requests[1].body["messages"][-1]
    assert last["role"] == "user" and "no es válida" in last["content"]
    assert requests[1].body["messages"][-2]["role"] == "assistant"


def test_invalid_explanation_is_repaired(fake: FakeOpenAI) -> None:
    empty = json.dumps({"total_duration": 60, "steps": []})
    fake.push(Behaviour.answer(empty), Behaviour.answer())
    result = GenerationResult()
    assert len(run(engine(fake), result)) == 3
    assert result.extra["repairs"] == 1


def test_repairs_are_limited(fake: FakeOpenAI) -> None:
    fake.push(*(Behaviour.invalid_json() for _ in range(5)))
    with pytest.raises(EngineError) as err:
        run(engine(fake, max_repairs=2))
    assert err.value.code == "generation_failed"
    assert len(fake.chat_requests()) == 3


def test_truncation_before_any_step_is_repaired(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.truncated(at=60), Behaviour.answer())
    result = GenerationResult()
    assert len(run(engine(fake), result)) == 3
    assert result.extra["repairs"] == 1


def test_truncation_after_a_step_fails_without_repair(fake: FakeOpenAI) -> None:
    good = Behaviour.answer()
    cut = first_step_end(good.content) + 30
    fake.push(Behaviour.truncated(at=cut), Behaviour.answer())
    got: list[Any] = []
    with pytest.raises(EngineError) as err:
        for step in engine(fake).generate(QUESTION, GenerationContext(), GenerationResult()):
            got.append(step)
    assert err.value.code == "generation_failed"
    assert [s.title for s in got] == ["Planteamiento"]
    assert len(fake.chat_requests()) == 1


def test_invalid_step_after_a_yielded_step_is_not_repaired(fake: FakeOpenAI) -> None:
    bad = sample_explanation(3)
    bad["steps"][1]["content"] = ""
    fake.push(Behaviour.answer(bad), Behaviour.answer())
    got: list[Any] = []
    with pytest.raises(EngineError) as err:
        for step in engine(fake).generate(QUESTION, GenerationContext(), GenerationResult()):
            got.append(step)
    assert err.value.code == "generation_failed"
    assert len(got) == 1 and len(fake.chat_requests()) == 1


def test_refusal_fails_without_repair(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.refused(), Behaviour.answer())
    with pytest.raises(EngineError) as err:
        run(engine(fake))
    assert err.value.code == "generation_failed"
    assert len(fake.chat_requests()) == 1


# -- retries and availability ------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried(fake: FakeOpenAI, status: int) -> None:
    fake.push(Behaviour.error(status, retry_after=0), Behaviour.answer())
    result = GenerationResult()
    assert len(run(engine(fake), result)) == 3
    assert result.extra["retries"] == 1
    assert len(fake.chat_requests()) == 2


def test_retries_are_limited_with_backoff(fake: FakeOpenAI) -> None:
    fake.push(*(Behaviour.error(429) for _ in range(5)))
    result = GenerationResult()
    start = time.monotonic()
    with pytest.raises(EngineError) as err:
        run(OpenAIEngine("k", fake.base_url, "m", 10, max_retries=2, backoff_s=0.1), result)
    assert err.value.code == "ai_unavailable"
    assert result.extra["retries"] == 2
    assert len(fake.chat_requests()) == 3
    assert time.monotonic() - start >= 0.3  # 0.1 + 0.2 of exponential backoff


def test_bad_request_is_not_retried(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.error(400), Behaviour.answer())
    with pytest.raises(EngineError) as err:
        run(engine(fake))
    assert err.value.code == "generation_failed"
    assert len(fake.chat_requests()) == 1


def test_timeout_before_first_step_is_retried(fake: FakeOpenAI) -> None:
    fake.push(Behaviour.answer(first_byte_delay_s=1.5), Behaviour.answer())
    result = GenerationResult()
    assert len(run(engine(fake, timeout_s=0.5), result)) == 3
    assert result.extra["retries"] == 1


def test_slow_generation_over_the_limit_fails_after_a_step(fake: FakeOpenAI) -> None:
    good = Behaviour.answer()
    fake.push(
        Behaviour.answer(stall_after_chars=first_step_end(good.content) + 8, stall_s=1.5),
        Behaviour.answer(),
    )
    got: list[Any] = []
    with pytest.raises(EngineError) as err:
        for step in engine(fake, timeout_s=0.6).generate(
            QUESTION, GenerationContext(), GenerationResult()
        ):
            got.append(step)
    assert err.value.code == "generation_failed"
    assert len(got) == 1 and len(fake.chat_requests()) == 1


def test_dropped_connection_after_a_step_fails(fake: FakeOpenAI) -> None:
    good = Behaviour.answer()
    fake.push(Behaviour.dropped(after_chars=first_step_end(good.content) + 20))
    got: list[Any] = []
    with pytest.raises(EngineError) as err:
        for step in engine(fake).generate(QUESTION, GenerationContext(), GenerationResult()):
            got.append(step)
    assert err.value.code == "generation_failed"
    assert len(got) == 1


def test_unreachable_server_is_ai_unavailable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    eng = OpenAIEngine("k", f"http://127.0.0.1:{port}/v1", "m", 2, backoff_s=0.01)
    with pytest.raises(EngineError) as err:
        run(eng)
    assert err.value.code == "ai_unavailable"


# -- LaTeX ---------------------------------------------------------------------

LATEX_STEPS = [
    r"\frac{-b \pm \sqrt{b^2 - 4ac}}{2a}",
    r"\begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}",
    r"\nabla \cdot \vec{F} = \beta \left( x + 1 \right)",
    r"\tau = \rho \nu \times \alpha",
]


def latex_explanation() -> dict[str, Any]:
    steps = [
        {
            "title": f"Fórmula {i + 1}",
            "type": "math",
            "content": latex,
            "canvas_commands": [{"op": "math", "x": 40, "y": 80, "latex": latex}],
        }
        for i, latex in enumerate(LATEX_STEPS)
    ]
    return {"total_duration": 60, "steps": steps}


@pytest.mark.parametrize("single_backslash", [True, False])
def test_latex_survives_json(fake: FakeOpenAI, single_backslash: bool) -> None:
    text = model_json(strict_nulls(latex_explanation()), single_backslash=single_backslash)
    if single_backslash:
        assert "\\frac" in text and "\\\\frac" not in text
    fake.push(Behaviour.answer(text))
    steps = run(engine(fake))
    assert [s.content for s in steps] == LATEX_STEPS
    assert [s.canvas_commands[0]["latex"] for s in steps] == LATEX_STEPS


# -- the structure scanner -----------------------------------------------------


def test_scanner_counts_closed_steps_across_chunk_boundaries() -> None:
    text = model_json(strict_nulls(sample_explanation(3)))
    scanner = StepScanner()
    closed_at = []
    for i in range(0, len(text), 3):
        scanner.feed(text[i : i + 3])
        closed_at.append(scanner.steps_closed)
    assert scanner.steps_closed == 3 and scanner.array_closed
    assert closed_at[len(closed_at) // 2] in (1, 2)


def test_scanner_ignores_braces_inside_strings() -> None:
    scanner = StepScanner()
    scanner.feed('{"steps": [{"title": "a}]\\"}", "content": "\\\\frac{1}{2}"}')
    assert scanner.steps_closed == 1 and not scanner.array_closed
    scanner.feed("]}")
    assert scanner.array_closed
