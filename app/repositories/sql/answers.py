"""`predefined_answers`: the answer cache's rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.domain.records import (
    AnswerVector,
    PredefinedAnswer,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    utc_now,
)


class SqlAnswerRepository(SqlRepository):
    table = "predefined_answers"
    _COLUMNS = (
        "id, question_hash, normalized_question, question, answer, source, created_at, area, topic"
    )
    _CURATED = frozenset({"question", "answer", "source", "area", "topic"})

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
        area: str | None = None,
        topic: str | None = None,
    ) -> PredefinedAnswer:
        self.s.run(
            "INSERT INTO predefined_answers (id, question_hash, normalized_question, question, "
            "answer, source, created_at, area, topic) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (question_hash) DO NOTHING",
            (
                self._in("id", str(uuid.uuid4())),
                question_hash,
                normalized_question,
                question,
                self._in("answer", answer),
                source,
                self._in("created_at", utc_now()),
                area,
                topic,
            ),
            write=True,
        )
        stored = self.get_by_hash(question_hash)
        assert stored is not None, "the row was just inserted or already there"
        return stored

    def put_curated(
        self,
        question_hash: str,
        normalized_question: str,
        question: str,
        answer: dict[str, Any],
        area: str,
        topic: str,
    ) -> str:
        """Store a curated answer as source 'seed'; 'added', 'updated' or 'unchanged'.

        A curated answer replaces what an engine stored for the same question and an
        older version of itself, so a corrected bank entry reaches the database on the
        next seed; an 'admin' answer is never replaced.
        """
        wanted: dict[str, Any] = {
            "question": question,
            "answer": answer,
            "source": "seed",
            "area": area,
            "topic": topic,
        }
        stored = self.get_by_hash(question_hash)
        if stored is None:
            stored = self.add_if_absent(
                question_hash, normalized_question, question, answer, "seed", area, topic
            )
            if self._fields(stored, wanted) == wanted:
                return "added"
        if self._fields(stored, wanted) == wanted or stored.source == "admin":
            return "unchanged"
        self._update(stored.id, wanted, self._CURATED)
        return "updated"

    @staticmethod
    def _fields(row: PredefinedAnswer, names: dict[str, Any]) -> dict[str, Any]:
        return {name: getattr(row, name) for name in names}

    def count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM predefined_answers")
        return int(row["n"]) if row else 0

    def set_embedding(self, answer_id: str, model: str, vector: Any) -> None:
        self.s.run(
            "UPDATE predefined_answers SET embedding = %s, embedding_model = %s WHERE id = %s",
            (self._in("embedding", vector), model, self._in("id", answer_id)),
            write=True,
        )

    def list_vectors(self, since: datetime | None = None) -> list[AnswerVector]:
        query = "SELECT id, normalized_question, embedding_model, embedding, created_at FROM predefined_answers"
        params: list[Any] = []
        if since is not None:
            query += " WHERE created_at >= %s"
            params.append(self._in("created_at", since))
        return self._records(AnswerVector, self._all(query + " ORDER BY created_at, id", params))
