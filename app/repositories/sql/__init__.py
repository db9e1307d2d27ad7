"""Postgres and SQLite implementations of the repository interface.

The repositories are written once, as SQL both databases understand; what differs
is isolated in `dialect` (placeholders and value conversion) and in `credits` (the
balance change: a SQL function on Postgres, the same steps in Python on SQLite).
"""

from app.repositories.sql.database import (
    PostgresDatabase,
    SqliteDatabase,
    open_database,
    sqlite_path_from_url,
)

__all__ = ["PostgresDatabase", "SqliteDatabase", "open_database", "sqlite_path_from_url"]
