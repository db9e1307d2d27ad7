"""Socket.IO handlers run in a request context of the connect request: it must match
a URL rule, or every event leaves a NotFound with its traceback as cyclic garbage."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from flask import Flask, request
from werkzeug.test import EnvironBuilder

from app import create_app
from app.config import Settings

UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(
        Settings(
            APP_ENV="test",
            DATABASE_URL=f"sqlite:///{tmp_path / 'ctx.db'}",
            REDIS_URL="memory://ctx",
            DEV_JWT_SECRET="s" * 32,
        )
    )


@pytest.mark.parametrize("headers", [UPGRADE, {}], ids=["websocket", "polling"])
def test_the_connect_requests_context_matches_without_an_exception(
    app: Flask, headers: dict[str, str]
) -> None:
    environ = EnvironBuilder(path="/socket.io/", query_string="EIO=4", headers=headers)
    with app.request_context(environ.get_environ()):
        assert request.routing_exception is None
        assert request.url_rule is not None


def test_events_contexts_leave_no_cyclic_garbage(app: Flask) -> None:
    environ = EnvironBuilder(path="/socket.io/", headers=UPGRADE).get_environ()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(50):
            with app.request_context(environ):
                pass
        gc.collect()
        leftovers = [o for o in gc.garbage if isinstance(o, BaseException)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert leftovers == []


def test_the_rule_never_serves_a_page(app: Flask) -> None:
    """Engine.IO answers the path first; Flask's view, if reached, is a plain 404."""
    response = app.test_client().get("/socket.io/")
    assert response.status_code in (400, 404)
