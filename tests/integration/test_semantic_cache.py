"""The semantic answer cache on real PostgreSQL and SQLite through the same lookup:
vectors stored with the answers, the index rebuilt from the table at start, a
paraphrase found and a near miss not; the pgvector step of `db upgrade`."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
import structlog

from app.answer_cache import AnswerCache
from app.answer_cache.embedders import WordLlamaEmbedder
from app.answer_cache.guard import read
from app.answer_cache.semantic import SemanticLookup
from app.domain.explanation import Explanation
from app.domain.questions import Question
from app.domain.records import Interaction
from app.repositories.sql import PostgresDatabase, SqliteDatabase
from app.repositories.sql.migrations import upgrade
from app.repositories.sql.pgvector import apply_pgvector

pytestmark = pytest.mark.integration

EMBEDDER = WordLlamaEmbedder()
ANSWER = Explanation.model_validate(
    {"steps": [{"title": "Derivada", "type": "math", "content": "3x^2"}], "total_duration": 5}
)


def _cache() -> AnswerCache:
    return AnswerCache(semantic=SemanticLookup(EMBEDDER))


def test_store_rebuild_and_lookup_on_both_backends(
    database: PostgresDatabase | SqliteDatabase,
) -> None:
    stored_q = Question.of("¿Cómo se deriva x al cubo?")
    writer = _cache()
    with database.unit_of_work() as uow:
        answer_id = writer.store(uow.answers, stored_q, ANSWER, "offline")
        uow.commit()
    with database.unit_of_work() as uow:
        vectors = {v.id: v for v in uow.answers.list_vectors()}
    kept = vectors[answer_id]
    assert kept.embedding_model == EMBEDDER.key
    expected = EMBEDDER.embed([read(stored_q.normalized).text])[0]
    assert kept.embedding.shape == (256,)
    assert np.allclose(kept.embedding, expected, atol=1e-6)

    # Another instance starting: its index is rebuilt from the table.
    reader = _cache()
    with database.unit_of_work() as uow:
        stats = reader.rebuild(uow.answers)
    assert stats is not None and stats["loaded"] >= 1  # ours: its vector was stored
    with database.unit_of_work() as uow:
        hit = reader.lookup(uow.answers, Question.of("derivame x^3 porfa"))
        assert hit is not None and hit.answer_id == answer_id
        assert hit.match == "semantic" and hit.matched_question == stored_q.text
        assert hit.similarity is not None and hit.similarity >= EMBEDDER.threshold
        assert reader.lookup(uow.answers, Question.of("derivame x^2 porfa")) is None
        assert reader.lookup(uow.answers, Question.of("integra x al cubo")) is None
        exact = reader.lookup(uow.answers, stored_q)
        assert exact is not None and exact.match == "exact" and exact.similarity is None


def test_rows_without_vectors_are_embedded_at_start(
    database: PostgresDatabase | SqliteDatabase,
) -> None:
    question = Question.of("¿Qué es la fotosíntesis?")
    with database.unit_of_work() as uow:
        row = uow.answers.add_if_absent(
            question.hash, question.normalized, question.text, ANSWER.to_json_dict(), "seed"
        )
        uow.commit()
    cache = _cache()
    with database.unit_of_work() as uow:
        stats = cache.rebuild(uow.answers)
        uow.commit()
    assert stats is not None and stats["embedded"] >= 1
    with database.unit_of_work() as uow:
        again = {v.id: v for v in uow.answers.list_vectors()}[row.id]
        hit = cache.lookup(uow.answers, Question.of("k es la fotosintesis"))
    assert again.embedding_model == EMBEDDER.key
    assert hit is not None and hit.answer_id == row.id


def test_interaction_keeps_the_matched_question_and_similarity(
    database: PostgresDatabase | SqliteDatabase,
) -> None:
    user_id = "00000000-0000-4000-8000-0000000000aa"
    with database.unit_of_work() as uow:
        uow.interactions.add(
            Interaction(
                id="00000000-0000-4000-8000-0000000000ab",
                user_id=user_id,
                session_id=None,
                question="derivame x^3",
                question_hash="h",
                answer_id=None,
                source="cache",
                status="streaming",
                input_type="text",
                credits_charged=1,
                matched_question="¿Cómo se deriva x al cubo?",
                similarity=0.9731,
            )
        )
        uow.commit()
    with database.unit_of_work() as uow:
        row = uow.interactions.get("00000000-0000-4000-8000-0000000000ab")
    assert row is not None
    assert row.matched_question == "¿Cómo se deriva x al cubo?"
    assert row.similarity == pytest.approx(0.9731, abs=1e-6)


def _has_pgvector(conninfo: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return row.fetchone() is not None


def _columns(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'predefined_answers'"
        ).fetchall()
    return {r[0] for r in rows}


def test_pgvector_step_is_skipped_with_one_log_line_without_the_extension(
    pg_empty_url: str,
) -> None:
    if _has_pgvector(pg_empty_url):
        pytest.skip("this PostgreSQL has pgvector: the skipped branch cannot happen here")
    with structlog.testing.capture_logs() as logs:
        applied = upgrade(pg_empty_url)
    assert "006_semantic_cache" in applied
    skipped = [e for e in logs if e["event"] == "pgvector_skipped"]
    assert len(skipped) == 1 and skipped[0]["reason"]
    assert not [e for e in logs if e["event"] == "pgvector_applied"]
    columns = _columns(pg_empty_url)
    assert {"embedding", "embedding_model"} <= columns and "embedding_vec" not in columns
    # Nothing was left half done: the connection and the schema are usable, and a
    # second upgrade tries (and skips) again.
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert apply_pgvector(conn) is False
        conn.execute("SELECT embedding FROM public.predefined_answers LIMIT 1")


def test_pgvector_step_adds_the_column_and_index_where_the_extension_exists(
    pg_empty_url: str,
) -> None:
    if not _has_pgvector(pg_empty_url):
        pytest.skip("pgvector is not installed on this PostgreSQL (not a Debian package here)")
    with structlog.testing.capture_logs() as logs:
        upgrade(pg_empty_url)
    assert [e for e in logs if e["event"] == "pgvector_applied"]
    assert "embedding_vec" in _columns(pg_empty_url)
    with psycopg.connect(pg_empty_url) as conn:
        vector: list[Any] = [0.0] * 255 + [1.0]
        conn.execute(
            "INSERT INTO public.predefined_answers (question_hash, normalized_question, "
            "question, answer, embedding) VALUES ('v', 'v', 'v', '{}', %s)",
            (vector,),
        )
        (dims,) = conn.execute(  # type: ignore[misc]
            "SELECT vector_dims(embedding_vec) FROM public.predefined_answers "
            "WHERE question_hash = 'v'"
        ).fetchone()
    assert dims == 256


def test_answers_stored_by_another_instance_are_picked_up(
    database: PostgresDatabase | SqliteDatabase,
) -> None:
    reader = _cache()
    with database.unit_of_work() as uow:
        reader.rebuild(uow.answers)
    writer = _cache()  # another instance
    stored = Question.of("Factoriza x^2 - 9")
    with database.unit_of_work() as uow:
        answer_id = writer.store(uow.answers, stored, ANSWER, "offline")
        uow.commit()
    asked = Question.of("factorizame x al cuadrado menos 9")
    assert reader.semantic is not None
    reader.semantic._synced_at -= 60  # the refresh interval has passed
    with database.unit_of_work() as uow:
        hit = reader.lookup(uow.answers, asked)
    assert hit is not None and hit.answer_id == answer_id
