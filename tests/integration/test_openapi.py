"""docs/openapi.yaml against the real HTTP routes of a running server.

- The document names exactly the app's HTTP routes (the Socket.IO endpoint aside).
- Real responses of every operation, successes and errors, conform to it
  (schemathesis' checks: status code, content type, headers, body schema).
- schemathesis fuzzes every operation against `python run.py` on real Postgres
  and Redis: no HTTP 500, every response as documented, every error body under
  /api/ with a protocol code. The number of generated cases is printed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from app import create_app
from app.config import Settings
from app.repositories.sql import open_database
from tests.support.grammar import ERROR_CODES
from tests.support.server import PgDatabase, RedisDb, ServerProcess, dev_token, start_server

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(DOC)
FUZZ_EXAMPLES = 100  # per operation (hypothesis default); 9 operations
CASES: dict[str, int] = {}


@pytest.fixture(scope="module")
def server(pytestconfig: pytest.Config) -> Iterator[ServerProcess]:
    pg, rds = PgDatabase("guia_openapi"), RedisDb()
    proc = start_server(pg.url, rds.url)
    try:
        yield proc
    finally:
        proc.stop()
        rds.close()
        pg.close()
        if CASES:
            gets = {label: n for label, n in CASES.items() if label.startswith("GET ")}
            probes = sum(CASES.values()) - sum(gets.values())
            counts = ", ".join(f"{label} {n}" for label, n in sorted(gets.items()))
            line = (
                f"schemathesis: {sum(CASES.values())} generated cases ({counts}; "
                f"{probes} with other methods)"
            )
            capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
            with capture.global_and_fixture_disabled():
                print(f"\n{line}")


@pytest.fixture(scope="module")
def user(server: ServerProcess) -> tuple[str, str]:
    """A user with a profile and a few ledger rows, so pages have items and cursors."""
    user_id = str(uuid.uuid4())
    token = dev_token(user_id)
    assert server.get("/api/v1/me", token).status_code == 200  # makes the profile
    db = open_database(server.env["DATABASE_URL"])
    try:
        with db.unit_of_work() as uow:
            for i in range(3):
                uow.credits.apply_change(user_id, -1, "grant", f"openapi-grant-{i}")
            uow.commit()
    finally:
        db.close()
    return user_id, token


def test_the_document_names_every_http_route(tmp_path: Path) -> None:
    app = create_app(
        Settings(
            APP_ENV="test",
            DATABASE_URL=f"sqlite:///{tmp_path / 'routes.db'}",
            REDIS_URL="memory://routes",
            DEV_JWT_SECRET="r" * 32,
        )
    )
    served = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        # The Socket.IO path's rule only lets each event's request context match; the
        # Engine.IO middleware answers that path (the AsyncAPI document describes it).
        if rule.endpoint not in ("static", "socketio_transport")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    assert documented == served


def call(operation: str, server: ServerProcess, **parts: Any) -> httpx.Response:
    method, path = operation.split(" ", 1)
    case = SCHEMA.make_case(operation=SCHEMA[path][method], **parts)
    response = case.call(base_url=server.url)
    case.validate_response(response)  # every schemathesis check, schema conformance included
    return response


def test_real_responses_conform(server: ServerProcess, user: tuple[str, str]) -> None:
    _, token = user
    auth = {"Authorization": f"Bearer {token}"}
    assert call("GET /healthz", server).status_code == 200
    assert call("GET /readyz", server).status_code == 200
    assert call("GET /metrics", server).status_code == 200
    assert call("GET /api/v1/me", server, headers=auth).status_code == 200
    assert call("GET /api/v1/me", server, headers={"Authorization": "Bearer x"}).status_code == 401
    first = call("GET /api/v1/credits/usage", server, headers=auth, query={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_before"]
    after = {"limit": 2, "before": first["next_before"]}
    assert call("GET /api/v1/credits/usage", server, headers=auth, query=after).status_code == 200
    assert call("GET /api/v1/history", server, headers=auth).json() == {
        "items": [],
        "next_before": None,
    }
    bad = call("GET /api/v1/history", server, headers=auth, query={"limit": 0})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_payload"
    assert call("GET /", server).status_code == 200
    script = call("GET /assets/{filename}", server, path_parameters={"filename": "js/main.js"})
    assert script.status_code == 200
    missing = {"filename": "no-such-file.js"}
    assert call("GET /assets/{filename}", server, path_parameters=missing).status_code == 404
    user_id = str(uuid.uuid4())
    issued = call("GET /dev/token", server, query={"user_id": user_id}).json()
    assert issued["user_id"] == user_id
    assert call("GET /dev/token", server, query={"user_id": "nope"}).status_code == 400


@SCHEMA.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_every_http_route(
    case: schemathesis.Case, server: ServerProcess, user: tuple[str, str]
) -> None:
    label = f"{case.method} {case.path}"
    CASES[label] = CASES.get(label, 0) + 1
    headers = None
    if case.path.startswith("/api/") and CASES[label] % 4:  # most with a valid token
        headers = {"Authorization": f"Bearer {user[1]}"}
    query = case.query or {}
    excluded = []
    # `before` is an opaque cursor: only a `next_before` is valid, which no schema can say,
    # so a schema-valid random string is rightly refused (400) there.
    if "before" in query:
        excluded.append(positive_data_acceptance)
    # Query parameters a route does not take are ignored, like unknown fields of a socket
    # payload; negative cases that only add one are answered as if it were not there.
    if set(query) - {param.name for param in case.operation.query}:
        excluded.append(negative_data_rejection)
    response = case.call_and_validate(
        base_url=server.url, headers=headers, excluded_checks=excluded or None
    )
    assert response.status_code < 500, response.text[:500]
    if case.path.startswith("/api/") and response.status_code >= 400:
        assert response.json()["error"]["code"] in ERROR_CODES
