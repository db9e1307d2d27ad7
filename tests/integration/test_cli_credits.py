"""Operator commands on both backends: db upgrade, seed, dev-token, credits grant,
verify and reconcile (recovery of holds a crash left behind)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from psycopg.conninfo import conninfo_to_dict

from app import create_app
from app.config import Settings
from app.domain.pricing import QUESTION
from app.domain.records import Interaction
from app.repositories.answer_bank import load_answer_bank
from app.repositories.seed import ANSWER_BANK_DIR, load_seed_data
from app.use_cases import credits, settlement
from app.use_cases.reconcile import reconcile
from app.utils.text_processing import question_key
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.integration


@pytest.fixture(params=["postgres", "sqlite"])
def app(request: pytest.FixtureRequest, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    if request.param == "postgres":
        dbname = conninfo_to_dict(request.getfixturevalue("pg_url"))["dbname"]
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{dbname}"
    else:
        url = f"sqlite:///{tmp_path / 'cli.db'}"
    settings = Settings(
        APP_ENV="test", DATABASE_URL=url, REDIS_URL="memory://cli", DEV_JWT_SECRET="s" * 32
    )
    application = create_app(settings)
    yield application
    application.extensions["guia"].db.close()


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_grant_makes_the_profile_with_exactly_the_amount(app: Flask) -> None:
    user = str(uuid.uuid4())
    code, out = run(app, "credits", "grant", "--user-id", user, "--amount", "7")
    assert code == 0, out
    with app.extensions["guia"].db.unit_of_work() as uow:
        assert uow.profiles.get(user).credits == 7
        rows = uow.credits.list_for_user(user, 10, None)
    assert [(r.credits, r.action_type) for r in rows] == [(-7, "grant")]
    assert user not in run(app, "credits", "verify")[1]


def test_grant_refuses_amounts_below_one_and_bad_ids(app: Flask) -> None:
    user = str(uuid.uuid4())
    assert run(app, "credits", "grant", "--user-id", user, "--amount", "0")[0] != 0
    assert run(app, "credits", "grant", "--user-id", "nope", "--amount", "3")[0] != 0
    with app.extensions["guia"].db.unit_of_work() as uow:
        assert uow.profiles.get(user) is None


def test_grant_with_the_same_key_moves_credits_once(app: Flask) -> None:
    user = str(uuid.uuid4())
    for _ in range(2):
        assert (
            run(app, "credits", "grant", "--user-id", user, "--amount", "5", "--key", "k1")[0] == 0
        )
    with app.extensions["guia"].db.unit_of_work() as uow:
        assert uow.profiles.get(user).credits == 5


def test_verify_reports_a_balance_that_left_its_ledger(app: Flask) -> None:
    user = str(uuid.uuid4())
    run(app, "credits", "grant", "--user-id", user, "--amount", "4")
    with app.extensions["guia"].db.unit_of_work() as uow:
        uow.connection.execute(  # type: ignore[attr-defined]
            "UPDATE profiles SET credits = 99 WHERE id = "
            + (
                "%s" if app.extensions["guia"].settings.DATABASE_URL.startswith("postgres") else "?"
            ),
            (user,),
        )
        uow.commit()
    code, out = run(app, "credits", "verify")
    assert code == 1 and user in out


def test_reconcile_refunds_holds_that_never_streamed_and_keeps_interrupted_charges(
    app: Flask,
) -> None:
    db = app.extensions["guia"].db
    user = str(uuid.uuid4())
    run(app, "credits", "grant", "--user-id", user, "--amount", "10")

    def open_one(started: bool) -> str:
        interaction = Interaction(
            id=str(uuid.uuid4()),
            user_id=user,
            session_id="s",
            question="q",
            question_hash="h",
            answer_id=None,
            source="generated",
            status="streaming",
            input_type="text",
            credits_charged=2,
        )
        with db.unit_of_work() as uow:
            uow.interactions.add(interaction)
            credits.hold(uow, user, interaction.id, 2, "question_generated", QUESTION)
            if started:
                uow.interactions.update(interaction.id, first_event_at=settlement.now())
            uow.commit()
        return interaction.id

    never_streamed, interrupted = open_one(False), open_one(True)
    with db.unit_of_work() as uow:
        assert uow.profiles.get(user).credits == 6
    # Nothing is younger than the cut-off yet: a fresh hold is left alone.
    assert "refunded: 0" in run(app, "credits", "reconcile", "--older-than", "3600")[1]
    later = datetime.now(UTC) + timedelta(seconds=5)
    report = reconcile(db.unit_of_work, later)
    assert (report.refunded, report.stopped) == (1, 1)
    assert reconcile(db.unit_of_work, later) == type(report)(0, 0)  # idempotent
    with db.unit_of_work() as uow:
        assert uow.profiles.get(user).credits == 8
        assert uow.interactions.get(never_streamed).status == "failed"
        assert uow.interactions.get(interrupted).status == "stopped"
    assert user not in run(app, "credits", "verify")[1]


def test_dev_token_prints_a_token_the_verifier_accepts(app: Flask) -> None:
    user = str(uuid.uuid4())
    code, out = run(app, "dev-token", "--user-id", user, "--email", "a@b.mx")
    assert code == 0
    claims = app.extensions["guia"].verifier.verify(out.strip())
    assert claims is not None and claims["sub"] == user


def test_seed_and_upgrade_are_idempotent(app: Flask) -> None:
    assert run(app, "db", "upgrade")[0] == 0
    first = run(app, "seed")
    second = run(app, "seed")
    assert first[0] == second[0] == 0
    assert second[1].strip() == "subscriptions: 0, answers: 0, answers_updated: 0"
    bank = load_answer_bank(ANSWER_BANK_DIR)
    with app.extensions["guia"].db.unit_of_work() as uow:
        assert uow.answers.count() >= len(load_seed_data()["answers"]) + len(bank)
        assert uow.answers.get_by_hash(question_key(bank[0].question)[1]).topic == bank[0].topic  # type: ignore[union-attr]
