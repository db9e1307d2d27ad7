"""The whiteboard web client: the page at `/`, its assets, and development tokens.

The app factory calls `register_web(app, settings)` when `settings.web_client_enabled`.
Assets are served from `/assets/` (not `/static/`) so they never collide with whatever
static route the app itself may have. Everything is local: no CDN at run time.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from app.config import Settings

DEV_ROUTE_NAME = "web_dev_token"
DEV_TOKEN_TTL_S = 3600

# KaTeX writes inline `style` attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)

web_bp = Blueprint(
    "web",
    __name__,
    static_folder="../static",
    static_url_path="/assets",
    template_folder="../templates",
)


@web_bp.get("/")
def index() -> Response:
    """The client page; it learns the development-token URL only when that route exists."""
    dev_url = url_for(DEV_ROUTE_NAME) if DEV_ROUTE_NAME in current_app.view_functions else ""
    response = current_app.make_response(render_template("index.html", dev_token_url=dev_url))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def _app_settings(fallback: Settings) -> Settings:
    holder: Any = current_app.extensions.get("guia")
    return getattr(holder, "settings", None) or fallback


def _make_dev_token_view(settings: Settings) -> Any:
    def dev_token() -> Any:
        """Hand the page a development token for `?user_id=<UUID>` (never in production)."""
        current = _app_settings(settings)
        if current.is_production:  # defence in depth: the route is not even registered there
            return _error(404, "not_found", "not found")
        raw = request.args.get("user_id", "")
        try:
            user_id = str(uuid.UUID(raw))
        except ValueError:
            return _error(400, "invalid_payload", "user_id must be a UUID")
        # Imported here so the page still loads if the auth module is unavailable.
        from app.auth.dev_tokens import issue_dev_token

        token = issue_dev_token(current, user_id, ttl_s=DEV_TOKEN_TTL_S)
        response = jsonify({"token": token, "user_id": user_id})
        response.headers["Cache-Control"] = "no-store"
        return response

    return dev_token


def register_web(app: Flask, settings: Settings) -> None:
    """Serve the web client, plus `GET /dev/token` outside production."""
    app.register_blueprint(web_bp)
    if not settings.is_production:
        app.add_url_rule("/dev/token", DEV_ROUTE_NAME, _make_dev_token_view(settings))
