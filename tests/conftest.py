"""Database fixtures shared by every test suite.

- `pg_url`: a fresh Postgres database with the migrations applied (per module).
- `pg_empty_url`: a fresh, empty Postgres database (per test).
- `sqlite_path` / `sqlite_database`: an embedded database in the test's tmp dir.
- `database`: parametrized over both backends, so one contract suite runs on each.
- `private_redis` / `private_postgres`: a Redis server and a PostgreSQL cluster of
  their own (per module) that fault-injection tests may stop, start, freeze and thaw
  (tests/support/private_stores.py); the suite's shared servers are never touched.
- from `tests/support/fixtures.py` (a plugin, so no module imports them): `stores`,
  `server_factory` and `clients`, for tests against real server processes.

Postgres comes from TEST_DATABASE_URL (a maintenance database the tests may
create databases from); the default is the local server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.repositories.sql import PostgresDatabase, SqliteDatabase
from app.repositories.sql.migrations import upgrade
from tests.support.private_stores import PrivatePostgres, PrivateRedis

pytest_plugins = ["tests.support.fixtures"]

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def create_pg_database(prefix: str = "guia_test") -> tuple[str, str]:
    """Create an empty database next to TEST_DATABASE_URL; return (name, conninfo)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, make_conninfo(TEST_DATABASE_URL, dbname=name)


def drop_pg_database(name: str) -> None:
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """A new empty Postgres database, dropped after the test."""
    name, url = create_pg_database("guia_empty")
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A new Postgres database with every migration applied, dropped after the module."""
    name, url = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "guia.db"


@pytest.fixture
def sqlite_database(sqlite_path: Path) -> Iterator[SqliteDatabase]:
    db = SqliteDatabase(sqlite_path)
    yield db
    db.close()


@pytest.fixture(params=["postgres", "sqlite"])
def database(request: pytest.FixtureRequest) -> Iterator[PostgresDatabase | SqliteDatabase]:
    """Each backend in turn: tests using it are the contract both must keep."""
    db: PostgresDatabase | SqliteDatabase
    if request.param == "postgres":
        db = PostgresDatabase(request.getfixturevalue("pg_url"), min_size=1, max_size=10)
    else:
        db = SqliteDatabase(request.getfixturevalue("sqlite_path"))
    yield db
    db.close()


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of this module only; a test that stops or freezes it starts it again."""
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this module only, migrations applied to its database `guia`."""
    cluster = PrivatePostgres()
    try:
        yield cluster
    finally:
        cluster.close()
