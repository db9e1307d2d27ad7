"""How many store round trips one cached ask makes, on the real Postgres and Redis.

Counted on the client libraries themselves (every Redis command or pipeline, every
SQL statement and commit, the pool's connection check included), through the app's
own Socket.IO handlers. Before the core-flow rework one cached ask with a request
id made 8 Redis and 6 SQL round trips before its ack and 19 / 13 in all (a
four-step answer); after it 5 / 4 before the ack and 10 / 8 in all; with the exact
hit remembered (ANSWER_MEMO_S) the answer's row is not read again: 5 / 3 and 10 / 7.
Until then psycopg's implicit BEGIN was not counted: one more per transaction (5 / 4
and 10 / 10 counted with it). With the interaction row and its hold one statement run
alone in autocommit (migrations/007), and the first event's time and the completion
each one statement alone: 5 / 1 and 10 / 3. The hold then went back inside its
transaction (BEGIN, the statement, COMMIT), so that a hold cut at the deadline is
never committed behind the student's back: 5 / 3 and 10 / 5. With the hold alone
again, carrying the time it must be done by (migrations/008), and both rate-limit
windows one script: 3 / 1 and 8 / 3.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.auth.dev_tokens import issue_dev_token
from app.domain.explanation import Explanation
from app.domain.questions import Question
from app.extensions import socketio
from tests.support.round_trips import RoundTrips, counting
from tests.support.server import PgDatabase, RedisDb

pytestmark = pytest.mark.integration

QUESTION = "¿Qué es una derivada? (conteo de viajes)"
STEPS = 4


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    pg, rds = PgDatabase(), RedisDb()
    flask_app = create_app(
        APP_ENV="test",
        DATABASE_URL=pg.url,
        REDIS_URL=rds.url,
        STREAM_PACE=0,
        SOCKETIO_ASYNC_MODE="threading",
        # One pooled connection: the one used moments ago, never pinged. (With the whole
        # pool open, connections are taken in turn and one idle over 5 s is pinged first:
        # one round trip more at light load.)
        DATABASE_POOL_SIZE=1,
    )
    container = flask_app.extensions["guia"]
    explanation = Explanation.model_validate(
        {"steps": [{"title": f"Paso {i}", "content": f"texto {i}"} for i in range(STEPS)]}
    )
    with container.uow() as uow:
        container.rules.cache.store(uow.answers, Question.of(QUESTION), explanation, "seed")
        uow.commit()
    yield flask_app
    container.worker.drain(5)
    container.db.close()
    rds.close()
    pg.close()


def one_cached_ask(app: Flask, trips: RoundTrips, client: Any) -> tuple[dict[str, int], int]:
    trips.reset()
    ack = client.emit(
        "ask_question", {"question": QUESTION, "request_id": str(uuid.uuid4())}, callback=True
    )
    at_ack = trips.snapshot()
    assert ack["ok"] is True, ack
    events, deadline = 0, time.monotonic() + 10
    while time.monotonic() < deadline:
        received = client.get_received()
        events += len(received)
        if any(m["name"] == "explanation_complete" for m in received):
            break
        time.sleep(0.01)
    else:
        pytest.fail("the explanation did not complete")
    app.extensions["guia"].worker.drain(5)  # the completion's writes happen off the stream
    return at_ack, events


def test_one_cached_ask_makes_few_round_trips(
    app: Flask, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    container = app.extensions["guia"]
    token = issue_dev_token(container.settings, str(uuid.uuid4()))
    client = socketio.test_client(app, auth={"token": token})
    client.get_received()
    with counting(monkeypatch) as trips:
        one_cached_ask(app, trips, client)  # warm: scripts loaded, answer prepared
        at_ack, events = one_cached_ask(app, trips, client)
        total = trips.snapshot()
        log = list(trips.log)
    client.disconnect()
    with capsys.disabled():
        print(f"\none cached ask ({events} events): before the ack {at_ack}, in all {total}")
        print("\n".join(f"  {line}" for line in log))
    # Before the ack: request id (1), both rate-limit windows (1, one script), the
    # session's new active stream (1); the interaction row with its hold, one statement
    # alone (the answer was remembered by the warm ask; a connection used moments ago
    # is not checked again).
    assert at_ack == {"redis": 3, "sql": 1}
    sql = [line for line in log if line.startswith("sql")]
    assert "public.add_interactio" in sql[0]
    assert not any(word in " ".join(sql) for word in ("BEGIN", "COMMIT"))  # all alone
    # Then a position per step boundary and the end in Redis; the first event's time
    # and the completion in SQL (an update each, alone). None per streamed event.
    assert total == {"redis": 3 + STEPS + 1, "sql": 1 + 1 + 1}
    assert events > 4 * STEPS
