"""The credit ledger (`credit_usage`) and the one atomic, idempotent balance change.

Postgres calls `public.apply_credit_change` / `public.ensure_profile` (migrations/004)
and, for the two writes a student waits for, `public.open_profile` /
`public.add_interaction_with_hold` (migrations/007, 008), one statement each, run
alone in autocommit: one round trip each. The profile may be committed late or
twice: it is the same profile. The hold must never be committed late: a statement
cut at the deadline (a frozen database) that the server runs once it thaws would
charge a student who was told nothing was charged. So it carries the time it must
be done by (`SqlSession.not_after`), and past it the database rolls it back.
SQLite runs the same steps in Python inside one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.domain.records import (
    CreditChange,
    CreditMovement,
    Interaction,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    KIND_UUID,
    utc_now,
)
from app.repositories.sql.interactions import SqlInteractionRepository

ACTION_TYPES = frozenset(
    {"question_cached", "question_generated", "voice", "refund", "grant", "subscription_renewal"}
)
SIGNUP_KEY = "signup"


class SqlCreditRepository(SqlRepository):
    """The ledger. Validation and reads are shared; the change itself is per dialect."""

    table = "credit_usage"
    _COLUMNS = ", ".join(f.name for f in fields(CreditMovement))

    def ensure_profile(self, user_id: str, email: str | None, opening_credits: int) -> bool:
        if opening_credits < 0:
            raise ValueError("opening_credits must be >= 0")
        return self._ensure(self._in("user_id", user_id), email, int(opening_credits))

    def open_profile(self, user_id: str, email: str | None, opening_credits: int) -> int:
        """`ensure_profile`, then the balance."""
        if opening_credits < 0:
            raise ValueError("opening_credits must be >= 0")
        return self._open(self._in("user_id", user_id), email, int(opening_credits))

    def hold_new(
        self, interaction: Interaction, credits: int, action_type: str, idempotency_key: str
    ) -> CreditChange:
        """Add `interaction` and apply a charge of `credits` for it, atomically: unless
        the change is applied (or a duplicate), the interaction is not added either."""
        _check_change(credits, action_type, idempotency_key)
        if credits < 0:
            raise ValueError("a hold spends credits: credits must be positive")
        return self._hold_new(interaction, credits, action_type, idempotency_key)

    def apply_change(
        self,
        user_id: str,
        credits: int,
        action_type: str,
        idempotency_key: str,
        interaction_id: str | None = None,
    ) -> CreditChange:
        _check_change(credits, action_type, idempotency_key)
        return self._apply(
            self._in("user_id", user_id),
            credits,
            action_type,
            idempotency_key,
            self._in("interaction_id", interaction_id),
        )

    def find(self, user_id: str, idempotency_key: str) -> CreditMovement | None:
        key = self._id_or_none(user_id)
        if key is None:
            return None
        row = self._one(
            f"SELECT {self._COLUMNS} FROM credit_usage WHERE user_id = %s AND idempotency_key = %s",
            (key, idempotency_key),
        )
        return self._record(CreditMovement, row)

    def list_for_user(
        self, user_id: str, limit: int, before_id: int | None
    ) -> list[CreditMovement]:
        query = f"SELECT {self._COLUMNS} FROM credit_usage WHERE user_id = %s"
        params: list[Any] = [self._in("user_id", user_id)]
        if before_id is not None:
            query += " AND id < %s"
            params.append(int(before_id))
        query += " ORDER BY id DESC LIMIT %s"
        params.append(int(limit))
        return self._records(CreditMovement, self._all(query, params))

    def ledger_mismatches(self) -> list[tuple[str, int, int]]:
        rows = self._all(
            "SELECT p.id AS user_id, p.credits AS credits, "
            "COALESCE(-SUM(c.credits), 0) AS ledger "
            "FROM profiles p LEFT JOIN credit_usage c ON c.user_id = p.id "
            "GROUP BY p.id, p.credits HAVING p.credits <> COALESCE(-SUM(c.credits), 0) "
            "UNION ALL "
            "SELECT c.user_id AS user_id, 0 AS credits, -SUM(c.credits) AS ledger "
            "FROM credit_usage c WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = c.user_id) "
            "GROUP BY c.user_id HAVING SUM(c.credits) <> 0 "
            "ORDER BY user_id"
        )
        return [
            (self.d.from_db(KIND_UUID, r["user_id"]), int(r["credits"]), int(r["ledger"]))
            for r in rows
        ]

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        raise NotImplementedError

    def _open(self, user_id: Any, email: str | None, opening_credits: int) -> int:
        raise NotImplementedError

    def _hold_new(
        self, interaction: Interaction, credits: int, action_type: str, key: str
    ) -> CreditChange:
        raise NotImplementedError

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        raise NotImplementedError


def _check_change(credits: int, action_type: str, idempotency_key: str) -> None:
    if isinstance(credits, bool) or not isinstance(credits, int) or credits == 0:
        raise ValueError("credits must be a non-zero integer")
    if action_type not in ACTION_TYPES:
        raise ValueError(f"unknown action_type {action_type!r}")
    if not idempotency_key:
        raise ValueError("idempotency_key is required")


def _change(row: dict[str, Any] | None) -> CreditChange:
    assert row is not None
    return CreditChange(status=row["status"], balance=row["balance"], ledger_id=row["ledger_id"])


class PostgresCreditRepository(SqlCreditRepository):
    """Delegates to the SQL functions of migrations/004, in the unit of work's transaction."""

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        row = self._one(
            "SELECT public.ensure_profile(%s::uuid, %s::text, %s::integer, %s::text) AS made",
            (user_id, email, opening_credits, SIGNUP_KEY),
        )
        return bool(row and row["made"])

    def _open(self, user_id: Any, email: str | None, opening_credits: int) -> int:
        row = self.s.run(
            "SELECT credits FROM public.open_profile(%s::uuid, %s::text, %s::integer, %s::text)",
            (user_id, email, opening_credits, SIGNUP_KEY),
            alone=True,
        ).fetchone()
        return int(row["credits"]) if row else 0

    def _hold_new(
        self, interaction: Interaction, credits: int, action_type: str, key: str
    ) -> CreditChange:
        rows = SqlInteractionRepository(self.s)
        values = {c: _json_value(v) for c, v in rows.db_values(interaction).items()}
        return _change(
            self.s.run(
                "SELECT status, balance, ledger_id FROM public.add_interaction_with_hold("
                "%s::jsonb, %s::integer, %s::text, %s::text, %s::timestamptz)",
                (Jsonb(values), credits, action_type, key, self.s.not_after()),
                alone=True,  # never committed late: see the module's docstring
            ).fetchone()
        )

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        return _change(
            self._one(
                "SELECT status, balance, ledger_id FROM public.apply_credit_change("
                "%s::uuid, %s::integer, %s::text, %s::text, %s::uuid)",
                (user_id, credits, action_type, key, interaction_id),
            )
        )


class SqliteCreditRepository(SqlCreditRepository):
    """The steps of public.apply_credit_change, under SQLite's single write lock."""

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        now = self._in("created_at", utc_now())
        cur = self.s.run(
            "INSERT INTO profiles (id, email, credits, created_at, updated_at) "
            "VALUES (%s, %s, 0, %s, %s) ON CONFLICT (id) DO NOTHING",
            (user_id, email, now, now),
            write=True,
        )
        made = cur.rowcount == 1
        if made and opening_credits > 0:
            self._apply(user_id, -opening_credits, "grant", SIGNUP_KEY, None)
        return made

    def _open(self, user_id: Any, email: str | None, opening_credits: int) -> int:
        self._ensure(user_id, email, opening_credits)
        row = self._one("SELECT credits FROM profiles WHERE id = %s", (user_id,))
        return int(row["credits"]) if row else 0

    def _hold_new(
        self, interaction: Interaction, credits: int, action_type: str, key: str
    ) -> CreditChange:
        rows = SqlInteractionRepository(self.s)
        rows.add(interaction)
        change = self._apply(
            self._in("user_id", interaction.user_id),
            credits,
            action_type,
            key,
            self._in("interaction_id", interaction.id),
        )
        if change.status not in ("applied", "duplicate"):
            rows.remove(interaction.id)
        return change

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        self.s.begin_write()  # BEGIN IMMEDIATE: nobody else writes until we commit
        existing = self._one(
            "SELECT id FROM credit_usage WHERE user_id = %s AND idempotency_key = %s",
            (user_id, key),
        )
        profile = self._one("SELECT credits FROM profiles WHERE id = %s", (user_id,))
        if existing is not None:
            balance = profile["credits"] if profile else None
            return CreditChange(status="duplicate", balance=balance, ledger_id=existing["id"])
        if profile is None:
            return CreditChange(status="no_profile", balance=None, ledger_id=None)
        balance = int(profile["credits"]) - credits
        if balance < 0:
            return CreditChange(status="insufficient", balance=profile["credits"], ledger_id=None)
        now = self._in("created_at", utc_now())
        self.s.run(
            "UPDATE profiles SET credits = %s, updated_at = %s WHERE id = %s",
            (balance, now, user_id),
            write=True,
        )
        cur = self.s.run(
            "INSERT INTO credit_usage (user_id, credits, action_type, interaction_id, "
            "idempotency_key, balance_after, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (user_id, credits, action_type, interaction_id, key, balance, now),
            write=True,
        )
        return CreditChange(status="applied", balance=balance, ledger_id=int(cur.lastrowid))


def _json_value(value: Any) -> Any:
    """A column value as `jsonb_populate_record` reads it back."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
