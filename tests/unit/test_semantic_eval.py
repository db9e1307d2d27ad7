"""The semantic cache on its evaluation set: ≥ 0.85 of the paraphrases hit and no near
miss (nor any other question) ever gets an answer that is not its own, for the embedded
model and for the OpenAI path (the real `openai` client against the fake server)."""

from __future__ import annotations

import socket

import pytest

from app.answer_cache.embedders import OpenAIEmbedder, WordLlamaEmbedder
from tests.support.cache_eval import load_eval_set, run_eval
from tests.support.fake_openai import FakeOpenAI


def test_the_set_is_large_enough() -> None:
    data = load_eval_set()
    assert len(data["groups"]) >= 20
    assert all(len(group) >= 4 for group in data["groups"])
    assert len(data["near_misses"]) >= 40
    changed = {m["changed"] for m in data["near_misses"]}
    assert {"number", "sign", "exponent", "variable", "unit", "task", "function"} <= changed


def test_embedded_model_hits_paraphrases_and_never_a_near_miss() -> None:
    result = run_eval(WordLlamaEmbedder())
    print(result.summary())
    assert result.false_hits == 0, result.wrong
    assert result.hit_rate >= 0.85, result.missed


def test_openai_path_hits_paraphrases_and_never_a_near_miss() -> None:
    with FakeOpenAI() as fake:
        result = run_eval(OpenAIEmbedder("sk-test", fake.base_url))
        assert any(r.path.endswith("/embeddings") for r in fake.requests)
    assert result.false_hits == 0, result.wrong
    assert result.hit_rate >= 0.85, result.missed


def test_wordllama_loads_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedder tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    embedder = WordLlamaEmbedder()
    vectors = embedder.embed(["derive x^3", "solve 2x+3=7"])
    assert vectors.shape == (2, 256)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
