"""pgvector where the database has it: a `vector(N)` column generated from
`predefined_answers.embedding` (real[], migration 006) and an HNSW cosine index.

Run by `flask db upgrade` after the SQL files, every time (each statement is
idempotent). `CREATE EXTENSION vector` runs in a savepoint; when it fails (the
extension is not installed, as on these machines, or the role may not create it)
the step logs one line and changes nothing, and the next upgrade tries again.
Supabase ships pgvector, often in its `extensions` schema: the type and operator
class are named with the schema the extension lives in. The lookup itself is the
in-process index (app/answer_cache/index.py) on every backend; this column and index
make the same vectors searchable in SQL (`ORDER BY embedding_vec <=> $1`).
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from psycopg import sql

log = structlog.get_logger(__name__)

PGVECTOR_DIM = 256  # the embedded model's (wordllama) dimension


def pgvector_statements(schema: str, dim: int = PGVECTOR_DIM) -> list[sql.Composed]:
    """The column and index, with the extension's schema named."""
    vector = sql.SQL("{}.vector({})").format(sql.Identifier(schema), sql.Literal(dim))
    ops = sql.SQL("{}.vector_cosine_ops").format(sql.Identifier(schema))
    return [
        sql.SQL(
            "ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS embedding_vec {vector} "
            "GENERATED ALWAYS AS (CASE WHEN cardinality(embedding) = {dim} "
            "THEN embedding::{vector} END) STORED"
        ).format(vector=vector, dim=sql.Literal(dim)),
        sql.SQL(
            "CREATE INDEX IF NOT EXISTS predefined_answers_embedding_hnsw "
            "ON public.predefined_answers USING hnsw (embedding_vec {ops})"
        ).format(ops=ops),
    ]


def apply_pgvector(conn: psycopg.Connection[Any], dim: int = PGVECTOR_DIM) -> bool:
    """Add the pgvector column and index if the extension can be had; True if applied."""
    with conn.transaction():
        try:
            with conn.transaction():  # a savepoint: a failure leaves the rest untouched
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            reason = (exc.diag.message_primary or type(exc).__name__).splitlines()[0]
            log.info("pgvector_skipped", reason=reason)
            return False
        row = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        schema = row[0] if row else "public"
        for statement in pgvector_statements(schema, dim):
            conn.execute(statement)
    log.info("pgvector_applied", schema=schema, dim=dim)
    return True
