"""Apply the SQL migrations in migrations/ to a Postgres database, each once.

Each file runs in its own transaction together with its schema_migrations row,
so a failed file leaves nothing half applied and is retried next time. A
session advisory lock keeps two runners (two instances starting at once) from
racing. After the files, the pgvector step (`pgvector.py`) adds its column and index
where the extension exists and logs that it skipped them otherwise.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql

from app.repositories.seed import MIGRATIONS_DIR, SEED_SQL
from app.repositories.sql.pgvector import apply_pgvector

# Arbitrary but fixed: the same key for every runner of this project.
ADVISORY_LOCK_KEY = 7_245_118_390_221_001

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
  version text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """The *.sql files in name order."""
    return sorted(directory.glob("*.sql"), key=lambda p: p.name)


def upgrade(conninfo: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not applied yet; return the versions applied now."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            conn.execute(_CREATE_TABLE)
            done = {row[0] for row in conn.execute("SELECT version FROM public.schema_migrations")}
            for path in migration_files(directory):
                version = path.stem
                if version in done:
                    continue
                text = path.read_text(encoding="utf-8")
                with conn.transaction():
                    # No parameters: the simple query protocol runs the whole file.
                    conn.execute(sql.SQL(text))  # type: ignore[arg-type]
                    conn.execute(
                        "INSERT INTO public.schema_migrations (version) VALUES (%s)", (version,)
                    )
                applied_now.append(version)
            if directory == MIGRATIONS_DIR:
                apply_pgvector(conn)  # where the extension exists; else one log line
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return applied_now


def applied_versions(conninfo: str) -> list[str]:
    """Versions recorded in schema_migrations, in order (empty if none)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('public.schema_migrations')").fetchone()
        if exists is None or exists[0] is None:
            return []
        rows = conn.execute("SELECT version FROM public.schema_migrations ORDER BY version")
        return [row[0] for row in rows]


def seed_sql(conninfo: str, path: Path = SEED_SQL) -> dict[str, int]:
    """Run the seed migration again (idempotent); return the rows each table gained."""
    count = "SELECT (SELECT count(*) FROM public.subscriptions), (SELECT count(*) FROM public.predefined_answers)"
    with psycopg.connect(conninfo) as conn:
        before = conn.execute(count).fetchone()
        conn.execute(sql.SQL(path.read_text(encoding="utf-8")))  # type: ignore[arg-type]
        after = conn.execute(count).fetchone()
        conn.commit()
    assert before is not None and after is not None
    return {"subscriptions": after[0] - before[0], "answers": after[1] - before[1]}
