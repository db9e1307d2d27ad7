"""Every error status under /api/ is the protocol's JSON body; other paths keep Flask's page."""

from __future__ import annotations

import pytest
from flask import Flask, request

from app.blueprints.api import api_bp
from tests.support.grammar import ERROR_CODES


@pytest.fixture()
def app() -> Flask:
    app = Flask("api_errors_test")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.register_blueprint(api_bp)

    @app.post("/api/v1/echo")
    def echo() -> str:
        return str(len(request.get_data()))

    @app.get("/api/v1/broken")
    def broken() -> str:
        raise RuntimeError("boom")

    @app.get("/elsewhere/broken")
    def broken_elsewhere() -> str:
        raise RuntimeError("boom")

    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/no-such-route", 404, "not_found"),
        ("GET", "/api/", 404, "not_found"),
        ("GET", "/api", 404, "not_found"),
        ("POST", "/api/v1/me", 405, "invalid_payload"),
        ("DELETE", "/api/v1/history", 405, "invalid_payload"),
        ("GET", "/api/v1/broken", 500, "internal_error"),
    ],
)
def test_api_errors_are_json_with_a_protocol_code(
    app: Flask, method: str, path: str, status: int, code: str
) -> None:
    response = app.test_client().open(path, method=method)
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and body["error"]["code"] in ERROR_CODES
    assert body["error"]["message"]


def test_a_wrong_method_names_the_allowed_ones(app: Flask) -> None:
    response = app.test_client().post("/api/v1/me")
    assert "GET" in response.headers["Allow"]


def test_a_body_over_the_limit_is_413_invalid_payload(app: Flask) -> None:
    response = app.test_client().post("/api/v1/echo", data=b"x" * 2048)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "invalid_payload"
    assert app.test_client().post("/api/v1/echo", data=b"x" * 10).get_data() == b"10"


def test_other_paths_keep_flasks_pages(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and not missing.is_json
    assert client.get("/elsewhere/broken").status_code == 500
    assert not client.get("/elsewhere/broken").is_json
