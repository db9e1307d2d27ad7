"""Which failures are an unreachable store (`repositories.outages`), and what the
student reads then."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg_pool
import pytest
import redis
from limits.errors import StorageError

from app.domain.errors import CODES, Refused
from app.repositories.outages import is_store_outage
from app.socket_events.messages import error_payload


@pytest.mark.parametrize(
    "exc",
    [
        redis.exceptions.ConnectionError("Connection refused"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg_pool.PoolTimeout("couldn't get a connection after 3.00 sec"),
        StorageError(redis.exceptions.ConnectionError("down")),
        sqlite3.OperationalError("database is locked"),
        TimeoutError("timed out"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_store_failures_are_outages(exc: Exception) -> None:
    assert is_store_outage(exc)


def test_an_outage_behind_another_exception_is_found_through_its_cause() -> None:
    try:
        try:
            raise redis.exceptions.ConnectionError("down")
        except redis.exceptions.ConnectionError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_store_outage(outer)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("a bug"),
        KeyError("x"),
        psycopg.errors.UniqueViolation("duplicate key"),
        redis.exceptions.ResponseError("WRONGTYPE"),
        sqlite3.OperationalError("no such table: profiles"),
    ],
)
def test_other_failures_are_not(exc: Exception) -> None:
    assert not is_store_outage(exc)


def test_service_unavailable_is_a_code_with_retry_after_and_a_spanish_message() -> None:
    assert "service_unavailable" in CODES
    body = error_payload(Refused("service_unavailable", retry_after=7))
    assert body["code"] == "service_unavailable" and body["retry_after"] == 7
    assert body["message"].startswith("El servicio no está disponible por un momento")
    assert "7 segundos" in body["message"]
    connect = error_payload(Refused("service_unavailable", "connect", retry_after=3))
    assert "3 segundos" in connect["message"]
