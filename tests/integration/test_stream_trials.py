"""Randomized trials of pause / resume / disconnect / reconnect-and-resume.

Every trial asks a small cached question and interrupts it at random moments;
the client resumes after a reconnect with `after_seq` = the last seq it got
(the Last-Event-ID pattern). Across all connections of a trial the grammar
checker must see every event exactly once. The op sequence is replayable:
the seed is printed, and GUIA_TRIAL_SEED=<seed> reruns the same trials.
GUIA_TRIALS sets how many (default 200), run by a few workers in parallel.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.grammar import GrammarError, check_interaction
from tests.support.server import (
    PgDatabase,
    Received,
    RecordingClient,
    RedisDb,
    ServerProcess,
    dev_token,
    is_terminal,
)

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("GUIA_TRIALS", "200"))
WORKERS = 4
PACE = 0.03  # 120 ms minimum unit × 0.03 = 3.6 ms per word: a trial's stream lasts ~0.2 s


def small_answer() -> dict[str, Any]:
    words = "primero despejamos la variable y luego comprobamos el resultado obtenido"
    return {
        "total_duration": 5,
        "steps": [
            {
                "title": f"Paso {i + 1}",
                "type": "text" if i % 2 == 0 else "math",
                "content": words if i % 2 == 0 else "x = 4 \\quad \\Rightarrow \\quad 2x = 8",
                "canvas_commands": [
                    {"op": "clear"},
                    {"op": "text", "x": 40, "y": 60 + 40 * i, "text": f"Paso {i + 1}"},
                ],
            }
            for i in range(3)
        ],
    }


@dataclass
class TrialStats:
    trials: int = 0
    events: int = 0
    pauses: int = 0
    reconnects: int = 0
    lost: int = 0
    duplicated: int = 0
    ended_in_flight: int = 0  # completed on the server while the client was away
    failures: list[str] = field(default_factory=list)


def _last_seq(events: list[Received], iid: str) -> int:
    seqs = [
        r.data["seq"]
        for r in events
        if isinstance(r.data, dict) and r.data.get("interaction_id") == iid and "seq" in r.data
    ]
    return max(seqs) if seqs else -1


def _finished(items: list[Received], iid: str) -> bool:
    return any(is_terminal(r, iid) for r in items)


def run_trial(
    rng: random.Random,
    server: ServerProcess,
    token: str,
    client: RecordingClient,
    question: str,
    total_events: int,
    stats: TrialStats,
) -> RecordingClient:
    """One interaction with random interruptions; returns the client to keep using."""
    received: list[Received] = []  # everything of this trial, across connections
    start = client.mark()
    ack = client.call("ask_question", {"question": question})
    assert ack["ok"] is True, ack
    iid = ack["interaction_id"]
    for _ in range(rng.randint(1, 4)):
        time.sleep(rng.uniform(0, 0.06))
        current = client.events(start=start)
        if _finished(current, iid) or _last_seq(current, iid) >= total_events - 6:
            break
        if rng.random() < 0.5:
            ack = client.call("pause_explanation", {})
            if not ack["ok"]:
                break  # it completed meanwhile
            stats.pauses += 1
            time.sleep(rng.uniform(0, 0.03))
            client.call("resume_explanation", {})
        else:
            client.disconnect()
            received += client.received[start:]
            session_id = client.session_id
            time.sleep(rng.uniform(0, 0.03))
            client = RecordingClient(server.url, token, session_id)
            ready = client.connect()
            start = 1  # after session_ready
            stats.reconnects += 1
            assert ready is not None and ready["session_id"] == session_id
            active = ready["active_interaction"]
            if active is None:
                stats.ended_in_flight += 1
                return client
            assert active["interaction_id"] == iid and active["paused"] is True
            after = _last_seq(received, iid)
            ack = client.call("resume_explanation", {"after_seq": after})
            assert ack["ok"] is True and ack["next_seq"] == after + 1, ack
    client.wait_until(lambda rs: _finished(rs[start:], iid), timeout=15)
    received += client.received[start:]
    try:
        checked = check_interaction(received, iid, allow_resume_without_pause=True)
        stats.events += len(checked.events)
    except GrammarError as exc:
        text = str(exc)
        stats.lost += "(lost)" in text
        stats.duplicated += "(duplicated)" in text
        stats.failures.append(text)
    stats.trials += 1
    return client


def test_randomized_interruptions_lose_and_duplicate_nothing(
    stores: tuple[PgDatabase, RedisDb],
    server_factory: Callable[..., ServerProcess],
) -> None:
    pg, _ = stores
    seed = int(os.environ.get("GUIA_TRIAL_SEED", random.randrange(1 << 30)))
    print(f"\nstream trials: GUIA_TRIAL_SEED={seed} GUIA_TRIALS={TRIALS}")
    server = server_factory(STREAM_PACE=PACE, NEW_USER_CREDITS=100000)
    question = f"Pregunta de prueba de flujo {uuid.uuid4().hex[:8]}"
    pg.insert_answer(question, small_answer())
    from app.domain.event_plan import EventPlan
    from app.domain.explanation import Explanation

    explanation = Explanation.model_validate(small_answer())
    plan = EventPlan(header={}, unit_ms=1)
    for step in explanation.steps:
        plan.add_step(step)
    plan.finish()
    total_events = len(plan)

    results: list[TrialStats] = []
    errors: list[BaseException] = []

    def worker(index: int, count: int) -> None:
        stats = TrialStats()
        results.append(stats)
        rng = random.Random(f"{seed}-{index}")
        token = dev_token(str(uuid.uuid4()))
        client = RecordingClient(server.url, token)
        client.connect()
        try:
            for _ in range(count):
                client = run_trial(rng, server, token, client, question, total_events, stats)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            client.disconnect()

    per_worker = [TRIALS // WORKERS + (i < TRIALS % WORKERS) for i in range(WORKERS)]
    threads = [threading.Thread(target=worker, args=(i, n)) for i, n in enumerate(per_worker)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - started
    total = TrialStats()
    for s in results:
        for name in ("trials", "events", "pauses", "reconnects", "lost", "duplicated"):
            setattr(total, name, getattr(total, name) + getattr(s, name))
        total.ended_in_flight += s.ended_in_flight
        total.failures += s.failures
    print(
        f"stream trials: {total.trials} trials in {elapsed:.1f}s, {total.events} events, "
        f"{total.pauses} pauses, {total.reconnects} reconnects, lost {total.lost}, "
        f"duplicated {total.duplicated}, ended while away {total.ended_in_flight}"
    )
    assert not errors, f"seed {seed}: {errors[0]!r}"
    assert total.failures == [], f"seed {seed}: {total.failures[:3]}"
    assert total.lost == 0 and total.duplicated == 0
    assert total.trials + total.ended_in_flight >= TRIALS
    assert total.reconnects >= TRIALS // 4 and total.pauses >= TRIALS // 4
