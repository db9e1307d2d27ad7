"""Every repository method, on Postgres and on SQLite: the same behaviour on both."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from app.domain.records import Interaction, Subscription, VoiceInteraction
from app.repositories.answer_bank import load_answer_bank
from app.repositories.interfaces import Database
from app.repositories.seed import ANSWER_BANK_DIR, seed_database
from app.utils.text_processing import question_key

pytestmark = pytest.mark.integration

DB_INTEGRITY = (psycopg.IntegrityError, sqlite3.IntegrityError)


def new_id() -> str:
    return str(uuid.uuid4())


def make_user(db: Database, credits: int = 20, email: str | None = "a@example.com") -> str:
    user_id = new_id()
    with db.unit_of_work() as uow:
        assert uow.credits.ensure_profile(user_id, email, credits) is True
        uow.commit()
    return user_id


def interaction(user_id: str, **overrides: Any) -> Interaction:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user_id,
        "session_id": "s-1",
        "question": "¿Cuánto es 2 + 2?",
        "question_hash": question_key("¿Cuánto es 2 + 2?")[1],
        "answer_id": None,
        "source": None,
        "status": "streaming",
        "input_type": "text",
        "credits_charged": 0,
    }
    values.update(overrides)
    return Interaction(**values)


# --------------------------------------------------------------------------- subscriptions


def test_subscriptions_seeded_upsert_and_get(database: Database) -> None:
    with database.unit_of_work() as uow:
        plans = {p.id: p for p in uow.subscriptions.list()}
        assert plans["free"].monthly_credits == 20
        assert plans["basic"].monthly_credits == 200
        assert plans["premium"].monthly_credits == 1000
        uow.subscriptions.upsert(Subscription("student", "Estudiante", 50, 49.5))
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.subscriptions.get("student") == Subscription("student", "Estudiante", 50, 49.5)
        uow.subscriptions.upsert(Subscription("student", "Estudiante+", 60, 59.0))
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.subscriptions.get("student") == Subscription("student", "Estudiante+", 60, 59.0)
        assert uow.subscriptions.get("nope") is None
        listed = uow.subscriptions.list()
        assert [p.monthly_credits for p in listed] == sorted(p.monthly_credits for p in listed)


# --------------------------------------------------------------------------- profiles


def test_profiles_ensure_get_and_subscription(database: Database) -> None:
    user_id = make_user(database, 20, "alumno@example.com")
    renews = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with database.unit_of_work() as uow:
        profile = uow.profiles.get(user_id)
        assert profile is not None
        assert profile.id == user_id
        assert profile.email == "alumno@example.com"
        assert profile.credits == 20
        assert profile.subscription_id == "free"
        assert profile.created_at is not None and profile.created_at.tzinfo is not None
        assert profile.created_at.utcoffset() == timedelta(0)
        uow.profiles.set_subscription(user_id, "premium", renews)
        uow.commit()
    with database.unit_of_work() as uow:
        profile = uow.profiles.get(user_id)
        assert profile is not None
        assert profile.subscription_id == "premium"
        assert profile.subscription_renews_at == renews
        assert user_id in uow.profiles.list_ids()
        uow.profiles.set_subscription(user_id, None, None)
        assert uow.profiles.get(user_id).subscription_id is None  # type: ignore[union-attr]
        with pytest.raises(LookupError):
            uow.profiles.set_subscription(new_id(), "basic", None)


def test_profiles_missing_or_malformed_ids(database: Database) -> None:
    with database.unit_of_work() as uow:
        assert uow.profiles.get(new_id()) is None
        assert uow.profiles.get("not-a-uuid") is None
        assert uow.answers.get("not-a-uuid") is None
        assert uow.interactions.get("123") is None
        assert uow.voices.get("") is None


def test_ensure_profile_is_idempotent_and_ledgered(database: Database) -> None:
    user_id = make_user(database, 20)
    with database.unit_of_work() as uow:
        assert uow.credits.ensure_profile(user_id, "x@example.com", 500) is False
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.profiles.get(user_id).credits == 20  # type: ignore[union-attr]
        rows = uow.credits.list_for_user(user_id, 10, None)
        assert [(r.credits, r.action_type, r.idempotency_key, r.balance_after) for r in rows] == [
            (-20, "grant", "signup", 20)
        ]
    zero = new_id()
    with database.unit_of_work() as uow:
        assert uow.credits.ensure_profile(zero, None, 0) is True
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.profiles.get(zero).credits == 0  # type: ignore[union-attr]
        assert uow.credits.list_for_user(zero, 10, None) == []
        with pytest.raises(ValueError):
            uow.credits.ensure_profile(new_id(), None, -1)


# --------------------------------------------------------------------------- answers


def test_answers_add_if_absent_keeps_the_first(database: Database) -> None:
    question = f"¿Qué es la energía potencial? {uuid.uuid4().hex}"
    normalized, digest = question_key(question)
    first = {
        "steps": [
            {
                "title": "Idea",
                "type": "math",
                "content": "E_p = m g h \\quad \\frac{1}{2}",
                "canvas_commands": [],
            }
        ],
        "total_duration": 30,
    }
    second = {"steps": [{"title": "Otra", "type": "text", "content": "x", "canvas_commands": []}]}
    with database.unit_of_work() as uow:
        before = uow.answers.count()
        stored = uow.answers.add_if_absent(digest, normalized, question, first, "offline")
        again = uow.answers.add_if_absent(digest, normalized, question, second, "openai")
        uow.commit()
    assert again == stored
    assert stored.answer == first
    assert stored.source == "offline"
    assert stored.question == question and stored.normalized_question == normalized
    uuid.UUID(stored.id)
    with database.unit_of_work() as uow:
        assert uow.answers.count() == before + 1
        assert uow.answers.get(stored.id) == stored
        assert uow.answers.get_by_hash(digest) == stored
        assert uow.answers.get_by_hash("0" * 64) is None
        assert uow.answers.get(new_id()) is None


def test_answers_reject_unknown_source(database: Database) -> None:
    with database.unit_of_work() as uow, pytest.raises(DB_INTEGRITY):
        uow.answers.add_if_absent("h" * 64, "q", "q", {"steps": []}, "scraped")


def _explanation(text: str) -> dict[str, Any]:
    step = {"title": "Idea", "type": "text", "content": text, "canvas_commands": [{"op": "clear"}]}
    return {"steps": [step], "total_duration": 30}


def test_answers_carry_area_and_topic(database: Database) -> None:
    question = f"¿Qué es la mitosis? {uuid.uuid4().hex}"
    normalized, digest = question_key(question)
    plain = f"¿Qué es un mol? {uuid.uuid4().hex}"
    plain_normalized, plain_digest = question_key(plain)
    with database.unit_of_work() as uow:
        tagged = uow.answers.add_if_absent(
            digest, normalized, question, _explanation("a"), "seed", "biologia", "mitosis"
        )
        untagged = uow.answers.add_if_absent(
            plain_digest, plain_normalized, plain, _explanation("b"), "openai"
        )
        uow.commit()
    assert (tagged.area, tagged.topic) == ("biologia", "mitosis")
    assert (untagged.area, untagged.topic) == (None, None)
    with database.unit_of_work() as uow:
        assert uow.answers.get(tagged.id) == tagged
        assert uow.answers.get_by_hash(digest) == tagged


def test_put_curated_adds_refreshes_and_keeps_admin_answers(database: Database) -> None:
    question = f"¿Qué es la meiosis? {uuid.uuid4().hex}"
    normalized, digest = question_key(question)
    first, corrected = _explanation("primera versión"), _explanation("versión corregida")

    def put(answer: dict[str, Any], topic: str = "meiosis") -> str:
        with database.unit_of_work() as uow:
            outcome = uow.answers.put_curated(
                digest, normalized, question, answer, "biologia", topic
            )
            uow.commit()
        return outcome

    def stored() -> Any:
        with database.unit_of_work() as uow:
            return uow.answers.get_by_hash(digest)

    assert put(first) == "added"
    row = stored()
    assert (row.source, row.area, row.topic, row.answer) == ("seed", "biologia", "meiosis", first)
    assert put(first) == "unchanged"
    assert put(corrected) == "updated"
    assert stored().answer == corrected and stored().id == row.id  # same row, new text
    assert put(corrected, "meiosis-fases") == "updated"
    assert stored().topic == "meiosis-fases"

    # An answer an engine stored first for the same question gives way to the bank ...
    engine_q = f"¿Qué es el ADN? {uuid.uuid4().hex}"
    engine_n, engine_h = question_key(engine_q)
    with database.unit_of_work() as uow:
        generated = uow.answers.add_if_absent(engine_h, engine_n, engine_q, first, "openai")
        assert (
            uow.answers.put_curated(engine_h, engine_n, engine_q, corrected, "biologia", "adn")
            == "updated"
        )
        uow.commit()
    with database.unit_of_work() as uow:
        replaced = uow.answers.get_by_hash(engine_h)
    assert replaced is not None and replaced.id == generated.id
    assert (replaced.source, replaced.topic, replaced.answer) == ("seed", "adn", corrected)

    # ... but an answer an administrator wrote is never replaced.
    admin_q = f"¿Qué es el ARN? {uuid.uuid4().hex}"
    admin_n, admin_h = question_key(admin_q)
    with database.unit_of_work() as uow:
        uow.answers.add_if_absent(admin_h, admin_n, admin_q, first, "admin")
        assert (
            uow.answers.put_curated(admin_h, admin_n, admin_q, corrected, "biologia", "arn")
            == "unchanged"
        )
        uow.commit()
    with database.unit_of_work() as uow:
        kept = uow.answers.get_by_hash(admin_h)
    assert kept is not None and (kept.source, kept.topic, kept.answer) == ("admin", None, first)


def test_seed_loads_the_answer_bank_tagged(database: Database) -> None:
    bank = load_answer_bank(ANSWER_BANK_DIR)
    seed_database(database)
    again = seed_database(database)
    assert again["answers"] == 0 and again["answers_updated"] == 0
    with database.unit_of_work() as uow:
        for entry in (bank[0], bank[len(bank) // 2], bank[-1]):
            row = uow.answers.get_by_hash(question_key(entry.question)[1])
            assert row is not None
            assert (row.area, row.topic, row.source) == (entry.area, entry.topic, "seed")
            assert row.answer == entry.answer


# --------------------------------------------------------------------------- interactions


def test_interaction_round_trip_and_update(database: Database) -> None:
    user_id = make_user(database)
    with database.unit_of_work() as uow:
        answer = uow.answers.add_if_absent(
            uuid.uuid4().hex, "n", "q", {"steps": [], "total_duration": 1}, "admin"
        )
        uow.commit()
    created = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    row = interaction(user_id, request_id="req-1", created_at=created)
    with database.unit_of_work() as uow:
        uow.interactions.add(row)
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.interactions.get(row.id) == row
    first_event = datetime(2026, 3, 4, 5, 6, 8, tzinfo=UTC)
    done = datetime(2026, 3, 4, 5, 7, 0, 1, tzinfo=UTC)
    with database.unit_of_work() as uow:
        uow.interactions.update(
            row.id,
            answer_id=answer.id,
            source="cache",
            status="completed",
            credits_charged=1,
            engine="cache",
            prompt_tokens=11,
            completion_tokens=22,
            first_event_at=first_event,
            completed_at=done,
        )
        uow.commit()
    with database.unit_of_work() as uow:
        got = uow.interactions.get(row.id)
    assert got is not None
    assert (got.answer_id, got.source, got.status, got.credits_charged) == (
        answer.id,
        "cache",
        "completed",
        1,
    )
    assert (got.engine, got.prompt_tokens, got.completion_tokens) == ("cache", 11, 22)
    assert got.first_event_at == first_event and got.completed_at == done
    assert got.created_at == created and got.request_id == "req-1"


def test_interaction_update_whitelists_columns(database: Database) -> None:
    user_id = make_user(database)
    row = interaction(user_id, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    with database.unit_of_work() as uow:
        uow.interactions.add(row)
        uow.commit()
    with database.unit_of_work() as uow:
        for bad in ({"user_id": new_id()}, {"id": new_id()}, {"status = 'x'; --": 1}, {"nope": 1}):
            with pytest.raises(ValueError):
                uow.interactions.update(row.id, status="failed", **bad)
        with pytest.raises(ValueError):
            uow.voices.update(new_id(), user_id=new_id())
        uow.interactions.update(row.id)  # nothing to set: a no-op
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.interactions.get(row.id) == row


def test_interaction_keyset_pagination(database: Database) -> None:
    user_id, other = make_user(database), make_user(database)
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    rows = [interaction(user_id, created_at=base + timedelta(seconds=i)) for i in range(7)]
    # Three rows share one timestamp: the id breaks the tie.
    rows += [interaction(user_id, created_at=base + timedelta(seconds=3)) for _ in range(3)]
    with database.unit_of_work() as uow:
        for r in rows:
            uow.interactions.add(r)
        uow.interactions.add(interaction(other, created_at=base + timedelta(seconds=100)))
        uow.commit()
    expected = sorted(rows, key=lambda r: (r.created_at, uuid.UUID(r.id)), reverse=True)
    seen: list[Interaction] = []
    before: tuple[datetime, str] | None = None
    with database.unit_of_work() as uow:
        while True:
            page = uow.interactions.list_for_user(user_id, 3, before)
            if not page:
                break
            assert len(page) <= 3
            seen += page
            last = page[-1]
            assert last.created_at is not None
            before = (last.created_at, last.id)
    assert [r.id for r in seen] == [r.id for r in expected]
    assert all(r.user_id == user_id for r in seen)


def test_interaction_list_unsettled(database: Database) -> None:
    user_id = make_user(database)
    now = datetime.now(UTC)
    old_streaming = interaction(user_id, created_at=now - timedelta(hours=2))
    old_done = interaction(user_id, status="completed", created_at=now - timedelta(hours=2))
    new_streaming = interaction(user_id, created_at=now)
    with database.unit_of_work() as uow:
        for r in (old_streaming, old_done, new_streaming):
            uow.interactions.add(r)
        uow.commit()
    with database.unit_of_work() as uow:
        ids = [r.id for r in uow.interactions.list_unsettled(now - timedelta(hours=1))]
    assert old_streaming.id in ids
    assert old_done.id not in ids and new_streaming.id not in ids


def test_unit_of_work_rolls_back_unless_committed(database: Database) -> None:
    user_id = make_user(database)
    row = interaction(user_id)
    with database.unit_of_work() as uow:
        uow.interactions.add(row)
        assert uow.credits.apply_change(user_id, 1, "question_cached", "rb-1").applied
    with database.unit_of_work() as uow:
        assert uow.interactions.get(row.id) is None
        assert uow.credits.find(user_id, "rb-1") is None
        assert uow.profiles.get(user_id).credits == 20  # type: ignore[union-attr]
        uow.interactions.add(row)
        uow.rollback()
        assert uow.interactions.get(row.id) is None


# --------------------------------------------------------------------------- voice


def test_voice_round_trip_and_update(database: Database) -> None:
    user_id = make_user(database)
    linked = interaction(user_id, input_type="voice")
    voice = VoiceInteraction(
        id=new_id(),
        user_id=user_id,
        interaction_id=None,
        format="webm",
        bytes=0,
        duration_s=None,
        transcript=None,
        status="received",
    )
    with database.unit_of_work() as uow:
        uow.interactions.add(linked)
        uow.voices.add(voice)
        uow.commit()
    with database.unit_of_work() as uow:
        got = uow.voices.get(voice.id)
        assert got is not None and got.created_at is not None
        assert got == VoiceInteraction(**{**voice.__dict__, "created_at": got.created_at})
        uow.voices.update(
            voice.id,
            interaction_id=linked.id,
            bytes=32000,
            duration_s=2.5,
            transcript="¿Qué es un átomo?",
            status="transcribed",
        )
        with pytest.raises(ValueError):
            uow.voices.update(voice.id, created_at=datetime.now(UTC))
        uow.commit()
    with database.unit_of_work() as uow:
        got = uow.voices.get(voice.id)
    assert got is not None
    assert (got.interaction_id, got.bytes, got.duration_s, got.transcript, got.status) == (
        linked.id,
        32000,
        2.5,
        "¿Qué es un átomo?",
        "transcribed",
    )
    with database.unit_of_work() as uow, pytest.raises(DB_INTEGRITY):
        uow.voices.update(voice.id, format="flac")


# --------------------------------------------------------------------------- credits


def test_credit_find_and_pagination(database: Database) -> None:
    user_id = make_user(database, 100)
    ref = new_id()
    with database.unit_of_work() as uow:
        for i in range(6):
            assert uow.credits.apply_change(user_id, 2, "question_generated", f"q-{i}", ref).applied
        uow.commit()
    with database.unit_of_work() as uow:
        movement = uow.credits.find(user_id, "q-3")
        assert movement is not None
        assert (movement.user_id, movement.credits, movement.action_type) == (
            user_id,
            2,
            "question_generated",
        )
        assert movement.interaction_id == ref and movement.balance_after == 100 - 8
        assert movement.created_at is not None and movement.created_at.tzinfo is not None
        assert uow.credits.find(user_id, "missing") is None
        assert uow.credits.find(new_id(), "q-3") is None
        pages, before = [], None
        while page := uow.credits.list_for_user(user_id, 4, before):
            pages.append(page)
            before = page[-1].id
    ids = [m.id for page in pages for m in page]
    assert [len(p) for p in pages] == [4, 3]
    assert ids == sorted(ids, reverse=True)
    assert [m.idempotency_key for page in pages for m in page] == [
        "q-5", "q-4", "q-3", "q-2", "q-1", "q-0", "signup"
    ]  # fmt: skip
    assert [m.balance_after for page in pages for m in page] == [88, 90, 92, 94, 96, 98, 100]


def test_credit_change_validation(database: Database) -> None:
    user_id = make_user(database)
    with database.unit_of_work() as uow:
        with pytest.raises(ValueError):
            uow.credits.apply_change(user_id, 0, "question_cached", "zero")
        with pytest.raises(ValueError):
            uow.credits.apply_change(user_id, 1, "bribe", "k")
        with pytest.raises(ValueError):
            uow.credits.apply_change(user_id, 1, "question_cached", "")
        with pytest.raises(ValueError):
            uow.credits.apply_change("not-a-uuid", 1, "question_cached", "k")
        missing = uow.credits.apply_change(new_id(), 1, "question_cached", "k")
        assert (missing.status, missing.balance, missing.ledger_id) == ("no_profile", None, None)


def test_ledger_mismatch_detection(database: Database) -> None:
    user_id = make_user(database, 20)
    with database.unit_of_work() as uow:
        assert user_id not in [m[0] for m in uow.credits.ledger_mismatches()]
        conn: Any = uow.connection  # type: ignore[attr-defined]
        # Tamper behind the ledger's back, the way a manual UPDATE would.
        conn.execute(f"UPDATE profiles SET credits = credits + 5 WHERE id = '{user_id}'")
        assert (user_id, 25, 20) in uow.credits.ledger_mismatches()
        conn.execute(f"UPDATE profiles SET credits = credits - 5 WHERE id = '{user_id}'")
        assert user_id not in [m[0] for m in uow.credits.ledger_mismatches()]
        uow.commit()
