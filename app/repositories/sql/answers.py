"""`predefined_answers`: the answer cache's rows."""

from __future__ import annotations

import uuid
from typing import Any

from app.domain.records import (
    PredefinedAnswer,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    utc_now,
)


class SqlAnswerRepository(SqlRepository):
    table = "predefined_answers"
    _COLUMNS = "id, question_hash, normalized_question, question, answer, source, created_at"

    def get(self, answer_id: str) -> PredefinedAnswer | None:
        key = self._id_or_none(answer_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM predefined_answers WHERE id = %s", (key,))
        return self._record(PredefinedAnswer, row)

    def get_by_hash(self, question_hash: str) -> PredefinedAnswer | None:
        row = self._one(
            f"SELECT {self._COLUMNS} FROM predefined_answers WHERE question_hash = %s",
            (question_hash,),
        )
        return self._record(PredefinedAnswer, row)

    def add_if_absent(
        self,
        question_hash: str,
        normalized_question: str,
        question: str,
        answer: dict[str, Any],
        source: str,
    ) -> PredefinedAnswer:
        self.s.run(
            "INSERT INTO predefined_answers "
            "(id, question_hash, normalized_question, question, answer, source, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (question_hash) DO NOTHING",
            (
                self._in("id", str(uuid.uuid4())),
                question_hash,
                normalized_question,
                question,
                self._in("answer", answer),
                source,
                self._in("created_at", utc_now()),
            ),
            write=True,
        )
        stored = self.get_by_hash(question_hash)
        assert stored is not None, "the row was just inserted or already there"
        return stored

    def count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM predefined_answers")
        return int(row["n"]) if row else 0
