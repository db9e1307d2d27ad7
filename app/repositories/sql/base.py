"""The shared base of every SQL repository: conversions, records, insert, update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from app.repositories.sql.dialect import (
    COLUMN_KINDS,
    SqlSession,
)

R = TypeVar("R")


class SqlRepository:
    table = ""

    def __init__(self, session: SqlSession) -> None:
        self.s = session
        self.d = session.dialect
        self.kinds = COLUMN_KINDS[self.table]

    def _in(self, column: str, value: Any) -> Any:
        return self.d.to_db(self.kinds.get(column, ""), value)

    def _record(self, cls: type[R], row: Mapping[str, Any] | None) -> R | None:
        if row is None:
            return None
        values = {
            f.name: self.d.from_db(self.kinds.get(f.name, ""), row[f.name]) for f in fields(cls)  # type: ignore[arg-type]
        }
        return cls(**values)

    def _records(self, cls: type[R], rows: list[Mapping[str, Any]]) -> list[R]:
        return [r for r in (self._record(cls, row) for row in rows) if r is not None]

    def _one(self, query: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self.s.run(query, params).fetchone()
        return row

    def _all(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.s.run(query, params).fetchall()
        return rows

    def _insert(self, values: Mapping[str, Any]) -> None:
        columns = list(values)
        self.s.run(
            f"INSERT INTO {self.table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [self._in(c, values[c]) for c in columns],
            write=True,
        )

    def _update(
        self,
        row_id: str,
        values: Mapping[str, Any],
        allowed: frozenset[str],
        where: Mapping[str, Any] | None = None,
        alone: bool = False,
    ) -> int:
        """Set columns of one row (only when `where`'s columns hold those values);
        `alone`: the unit's only write (see `SqlSession.run`)."""
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"{self.table}: cannot update {', '.join(unknown)}")
        if not values:
            return 0
        columns = sorted(values)
        assignments = ", ".join(f"{c} = %s" for c in columns)
        params = [self._in(c, values[c]) for c in columns] + [self._in("id", row_id)]
        condition = "id = %s"
        for column, value in (where or {}).items():
            condition += f" AND {column} = %s"
            params.append(self._in(column, value))
        cur = self.s.run(
            f"UPDATE {self.table} SET {assignments} WHERE {condition}",
            params,
            write=True,
            alone=alone,
        )
        return int(cur.rowcount)

    def _id_or_none(self, row_id: Any) -> Any:
        """The id as the database wants it, or None when it is not a valid id."""
        try:
            return self._in("id", row_id)
        except ValueError:
            return None
