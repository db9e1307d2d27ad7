"""The semantic cache end to end: a real server (`python run.py`, wordllama embedder,
real Postgres and Redis) and a real Socket.IO client. A paraphrase of a stored question
streams from the cache with `explanation_start.source == "cache"` and its interaction
records the matched question and similarity; a near miss (another exponent) does not;
`SEMANTIC_CACHE=off` serves only exact hits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.grammar import check_interaction
from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    wait_finished,
)

pytestmark = pytest.mark.integration

STORED = "¿Cómo se deriva x al cubo?"
ANSWER = {
    "steps": [
        {"title": "Regla de la potencia", "type": "math", "content": "\\frac{d}{dx}x^3 = 3x^2"}
    ],
    "total_duration": 4,
}
Connect = Callable[..., RecordingClient]


@pytest.fixture(scope="module")
def answer_id(stores: tuple[PgDatabase, RedisDb]) -> str:
    pg, _ = stores
    return pg.insert_answer(STORED, ANSWER)


@pytest.fixture(scope="module")
def server(answer_id: str, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    # Started after the answer is stored: its index is rebuilt from the table at start.
    return server_factory(STREAM_PACE=0.01, SOCKETIO_MESSAGE_QUEUE=None, SEMANTIC_CACHE="on")


def _ask(client: RecordingClient, question: str) -> tuple[str, dict[str, Any]]:
    ack = client.call("ask_question", {"question": question})
    assert isinstance(ack, dict) and ack["ok"] is True, ack
    iid = ack["interaction_id"]
    wait_finished(client, iid)
    checked = check_interaction(client.received, iid)
    return iid, checked.events[0][1]


def test_a_paraphrase_streams_from_the_cache_and_records_the_match(
    stores: tuple[PgDatabase, RedisDb],
    server: ServerProcess,
    answer_id: str,
    clients: Connect,
) -> None:
    pg, _ = stores
    _, token = new_user()
    client = clients(server, token)
    iid, start = _ask(client, "derivame x^3 porfa")
    assert start["source"] == "cache"
    assert start["credits_charged"] == 1
    assert start["question"] == "derivame x^3 porfa"
    [(source, found, matched, similarity)] = pg.query(
        "SELECT source, answer_id::text, matched_question, similarity "
        "FROM public.interaction_history WHERE id = %s",
        iid,
    )
    assert (source, found, matched) == ("cache", answer_id, STORED)
    assert 0.8 <= similarity <= 1.0
    items = server.get("/api/v1/history", token, limit=5).json()["items"]
    mine = next(i for i in items if i["interaction_id"] == iid)
    assert mine["matched_question"] == STORED and mine["similarity"] == pytest.approx(similarity)


def test_a_near_miss_is_generated_not_served_the_stored_answer(
    stores: tuple[PgDatabase, RedisDb],
    server: ServerProcess,
    answer_id: str,
    clients: Connect,
) -> None:
    pg, _ = stores
    client = clients(server)
    iid, start = _ask(client, "derivame x^2 porfa")
    assert start["source"] == "generated"
    [(found, matched)] = pg.query(
        "SELECT answer_id::text, matched_question FROM public.interaction_history WHERE id = %s",
        iid,
    )
    assert found != answer_id and matched is None


def test_semantic_cache_off_serves_only_exact_hits(
    server: ServerProcess,
    server_factory: Callable[..., ServerProcess],
    clients: Connect,
) -> None:
    exact_only = server_factory(STREAM_PACE=0.01, SOCKETIO_MESSAGE_QUEUE=None, SEMANTIC_CACHE="off")
    client = clients(exact_only)
    _, start = _ask(client, "derivame x^3 porfa")
    assert start["source"] == "generated"
    _, start = _ask(client, STORED)
    assert start["source"] == "cache"
