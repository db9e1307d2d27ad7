"""The web client's Flask side: page, assets, development tokens and their absence in production."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
from flask import Flask

from app.blueprints.web import register_web
from app.config import Settings, load_settings
from tests.support.grammar import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "app" / "static"
PROTOCOL = ROOT.parent / "shared" / "protocol.md"


def _app(settings: Settings) -> Flask:
    app = Flask("web_test")
    app.extensions["guia"] = SimpleNamespace(settings=settings)
    register_web(app, settings)
    return app


@pytest.fixture()
def dev_settings() -> Settings:
    return load_settings(
        APP_ENV="development", DEV_JWT_SECRET="unit-test-secret-of-at-least-32-bytes"
    )


@pytest.fixture()
def prod_settings() -> Settings:
    return load_settings(
        APP_ENV="production",
        DATABASE_URL="postgresql://u@db.example/guia",
        REDIS_URL="redis://cache.example:6379/0",
        SUPABASE_JWT_SECRET="prod-secret",
        ANSWER_ENGINE="offline",
        WEB_CLIENT_ENABLED=True,
    )


def test_page_is_served_with_local_assets_and_csp(dev_settings: Settings) -> None:
    client = _app(dev_settings).test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<canvas id="board"' in html
    assert 'name="guia-dev-token-url" content="/dev/token"' in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    # every asset the page names is served locally
    refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert len(refs) == 4
    for ref in refs:
        assert client.get(ref).status_code == 200, ref
    assert "http://" not in html and "https://" not in html


def test_every_module_and_vendor_file_is_served(dev_settings: Settings) -> None:
    client = _app(dev_settings).test_client()
    modules = sorted(p.name for p in (STATIC / "js").glob("*.js"))
    assert {"main.js", "connection.js", "whiteboard.js", "steps.js", "controls.js"} <= set(modules)
    assert {"voice.js", "i18n.js", "auth.js"} <= set(modules)
    for name in modules:
        resp = client.get(f"/assets/js/{name}")
        assert resp.status_code == 200
        assert "javascript" in resp.headers["Content-Type"]
        # imports are relative and local
        for spec in re.findall(r'from "([^"]+)"', resp.get_data(as_text=True)):
            assert spec.startswith("./") or spec.startswith("../vendor/"), spec
    assert client.get("/assets/vendor/socket.io/socket.io.esm.min.js").status_code == 200
    assert client.get("/assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2").status_code == 200
    for licence in ("katex/LICENSE", "socket.io/LICENSE"):
        assert (STATIC / "vendor" / licence).read_text().strip()


def test_dev_token_is_a_valid_token_for_the_given_user(dev_settings: Settings) -> None:
    client = _app(dev_settings).test_client()
    user_id = str(uuid.uuid4())
    resp = client.get(f"/dev/token?user_id={user_id}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["user_id"] == user_id
    claims = jwt.decode(
        body["token"],
        "unit-test-secret-of-at-least-32-bytes",
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert claims["sub"] == user_id
    assert 0 < claims["exp"] - claims["iat"] <= 3600


@pytest.mark.parametrize("bad", ["", "not-a-uuid", "1234", "../etc/passwd"])
def test_dev_token_rejects_a_user_id_that_is_not_a_uuid(dev_settings: Settings, bad: str) -> None:
    resp = _app(dev_settings).test_client().get("/dev/token", query_string={"user_id": bad})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_payload"


def test_production_has_no_dev_token_route(prod_settings: Settings) -> None:
    app = _app(prod_settings)
    client = app.test_client()
    assert client.get(f"/dev/token?user_id={uuid.uuid4()}").status_code == 404
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "guia-dev-token-url" not in html
    assert 'content="production"' in html


def test_web_client_setting_defaults(dev_settings: Settings, prod_settings: Settings) -> None:
    assert dev_settings.web_client_enabled
    assert prod_settings.web_client_enabled  # explicitly enabled above
    assert not prod_settings.model_copy(update={"WEB_CLIENT_ENABLED": None}).web_client_enabled


def test_every_protocol_error_code_has_a_spanish_sentence() -> None:
    source = (STATIC / "js" / "i18n.js").read_text(encoding="utf-8")
    block = source.split("ERROR_MESSAGES = Object.freeze({", 1)[1].split("});", 1)[0]
    mapped = dict(re.findall(r'(\w+):\s*\n?\s*"([^"]+)"', block))
    codes = set(ERROR_CODES)
    if PROTOCOL.exists():  # keep the list honest against the contract when it is beside us
        line = PROTOCOL.read_text(encoding="utf-8").split("Error codes:", 1)[1].split(".\n", 1)[0]
        # The outage issue added service_unavailable (with retry_after) to v1's codes.
        codes = set(re.findall(r"`(\w+)`", line)) - {"retry_after"} | {"service_unavailable"}
        assert codes == ERROR_CODES
    assert set(mapped) == codes
    for sentence in mapped.values():
        assert sentence.endswith(".") and not re.search(r"\b(the|please|error)\b", sentence, re.I)


def test_server_text_is_never_inserted_as_html() -> None:
    for path in (STATIC / "js").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert "innerHTML" not in source, path.name
        assert "insertAdjacentHTML" not in source, path.name
        assert "outerHTML" not in source, path.name
        assert "trust: true" not in source, path.name
