"""`interaction_history`: one row per question asked."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from app.domain.records import (
    Interaction,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    utc_now,
)

INTERACTION_UPDATABLE = frozenset(
    {
        "session_id",
        "question",
        "question_hash",
        "answer_id",
        "source",
        "status",
        "input_type",
        "credits_charged",
        "request_id",
        "engine",
        "prompt_tokens",
        "completion_tokens",
        "error_code",
        "first_event_at",
        "completed_at",
    }
)


class SqlInteractionRepository(SqlRepository):
    table = "interaction_history"
    _COLUMNS = ", ".join(f.name for f in fields(Interaction))

    def add(self, interaction: Interaction) -> None:
        self._insert(_values(interaction))

    def db_values(self, interaction: Interaction) -> dict[str, Any]:
        """Every column of the row `add` writes, converted as the database takes them."""
        return {c: self._in(c, v) for c, v in _values(interaction).items()}

    def remove(self, interaction_id: str) -> None:
        """Take back a row just added in this unit (its hold was refused)."""
        self.s.run(
            "DELETE FROM interaction_history WHERE id = %s",
            (self._in("id", interaction_id),),
            write=True,
        )

    def get(self, interaction_id: str) -> Interaction | None:
        key = self._id_or_none(interaction_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM interaction_history WHERE id = %s", (key,))
        return self._record(Interaction, row)

    def update(self, interaction_id: str, *, alone: bool = False, **fields_: Any) -> None:
        self._update(interaction_id, fields_, INTERACTION_UPDATABLE, alone=alone)

    def settle(
        self, interaction_id: str, status: str, *, alone: bool = False, **fields_: Any
    ) -> bool:
        key = self._id_or_none(interaction_id)
        if key is None:
            return False
        values = {"status": status, **fields_}
        streaming = {"status": "streaming"}
        return self._update(interaction_id, values, INTERACTION_UPDATABLE, streaming, alone) == 1

    def list_for_user(
        self, user_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[Interaction]:
        query = f"SELECT {self._COLUMNS} FROM interaction_history WHERE user_id = %s"
        params: list[Any] = [self._in("user_id", user_id)]
        if before is not None:
            query += " AND (created_at, id) < (%s, %s)"
            params += [self._in("created_at", before[0]), self._in("id", before[1])]
        query += " ORDER BY created_at DESC, id DESC LIMIT %s"
        params.append(int(limit))
        return self._records(Interaction, self._all(query, params))

    def list_unsettled(self, older_than: datetime) -> list[Interaction]:
        rows = self._all(
            f"SELECT {self._COLUMNS} FROM interaction_history "
            "WHERE status = 'streaming' AND created_at < %s ORDER BY created_at, id",
            (self._in("created_at", older_than),),
        )
        return self._records(Interaction, rows)


def _values(interaction: Interaction) -> dict[str, Any]:
    values = {f.name: getattr(interaction, f.name) for f in fields(Interaction)}
    values["created_at"] = values["created_at"] or utc_now()
    return values
