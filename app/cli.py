"""Operator commands: migrations, seed, development tokens, credits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.use_cases import credits, reconcile

db_cli = AppGroup("db", help="Database migrations.")
credits_cli = AppGroup("credits", help="Credits: grants and ledger checks.")


def _container():  # type: ignore[no-untyped-def]
    return current_app.extensions["guia"]


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise click.BadParameter("must be a UUID") from None


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the SQL migrations in order, once each (Postgres); make the schema (SQLite)."""
    url = _container().settings.DATABASE_URL
    if url.startswith("sqlite"):
        click.echo("SQLite: schema is created at start-up; nothing to apply.")
        return
    from app.repositories.sql.migrations import upgrade

    applied = upgrade(url)
    click.echo(f"applied: {', '.join(applied)}" if applied else "up to date")


@click.command("seed")
@with_appcontext
def seed() -> None:
    """Load plans, example answers and the answer bank idempotently."""
    from app.repositories.seed import seed_database

    counts = seed_database(_container().db)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@click.command("dev-token")
@click.option("--user-id", required=True, help="UUID of the user")
@click.option("--email", default=None)
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(1, 30 * 86400))
@with_appcontext
def dev_token(user_id: str, email: str | None, ttl: int) -> None:
    """Print a development access token (refused in production)."""
    from app.auth.dev_tokens import issue_dev_token

    settings = _container().settings
    if settings.is_production:
        raise click.ClickException("development tokens are refused in production")
    click.echo(issue_dev_token(settings, _uuid(user_id), email, ttl))


@credits_cli.command("grant")
@click.option("--user-id", required=True)
@click.option("--amount", required=True, type=int)
@click.option("--key", default=None, help="Idempotency key (default: a new one)")
@click.option("--email", default=None)
def credits_grant(user_id: str, amount: int, key: str | None, email: str | None) -> None:
    """Add credits, ledgered; makes the profile if missing."""
    if amount < 1:
        raise click.BadParameter("amount must be at least 1", param_hint="--amount")
    uid = _uuid(user_id)
    c = _container()
    with c.db.unit_of_work() as uow:
        change = credits.grant(uow, uid, amount, key or f"grant:{uuid.uuid4()}", email=email)
        uow.commit()
    if change.applied and change.balance is not None:
        c.transport.notify_credits(uid, credits.CreditNote(change.balance, amount, "grant"))
    click.echo(f"{change.status}: balance {change.balance}")


@credits_cli.command("verify")
def credits_verify() -> None:
    """Report every user whose balance differs from -SUM(ledger)."""
    with _container().db.unit_of_work() as uow:
        mismatches = uow.credits.ledger_mismatches()
    for user_id, balance, ledger in mismatches:
        click.echo(f"MISMATCH {user_id}: profile {balance}, ledger {ledger}")
    if mismatches:
        raise SystemExit(1)
    click.echo("ok: every balance equals its ledger")


@credits_cli.command("reconcile")
@click.option("--older-than", default=3600, show_default=True, help="seconds")
def credits_reconcile(older_than: int) -> None:
    """Settle interactions a crash left open: refund those that never streamed."""
    c = _container()
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    report = reconcile.reconcile(c.db.unit_of_work, cutoff)
    click.echo(f"refunded: {report.refunded}, closed as stopped: {report.stopped}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(credits_cli)
    app.cli.add_command(seed)
    app.cli.add_command(dev_token)
