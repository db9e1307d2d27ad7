"""The pgvector step's statements (the branch where the extension exists; run for real
by tests/integration/test_semantic_cache.py only where pgvector is installed)."""

from __future__ import annotations

from app.repositories.sql.pgvector import PGVECTOR_DIM, pgvector_statements


def test_column_generated_from_the_stored_vector_and_an_hnsw_index() -> None:
    column, index = (s.as_string(None) for s in pgvector_statements("extensions"))
    assert PGVECTOR_DIM == 256
    assert column == (
        "ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS embedding_vec "
        '"extensions".vector(256) GENERATED ALWAYS AS (CASE WHEN cardinality(embedding) = 256 '
        'THEN embedding::"extensions".vector(256) END) STORED'
    )
    assert index == (
        "CREATE INDEX IF NOT EXISTS predefined_answers_embedding_hnsw ON "
        'public.predefined_answers USING hnsw (embedding_vec "extensions".vector_cosine_ops)'
    )


def test_dimension_follows_the_embedder() -> None:
    column, _ = (s.as_string(None) for s in pgvector_statements("public", 512))
    assert "vector(512)" in column and "cardinality(embedding) = 512" in column
