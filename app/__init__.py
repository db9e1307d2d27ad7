"""Guía IPN backend: the app factory."""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask

from app.config import ConfigError, Settings, load_settings
from app.extensions import socketio
from app.logging_setup import configure_logging


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the Flask app, bind the extensions and wire the services."""
    if settings is None:
        try:
            settings = load_settings(**overrides)
        except ConfigError as exc:
            print(f"guia: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    from async_boot import exit_unless_patched

    exit_unless_patched(settings.SOCKETIO_ASYNC_MODE)
    configure_logging(settings.LOG_LEVEL, settings.log_format)
    if settings.SENTRY_DSN:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration

        sentry_sdk.init(
            dsn=settings.SENTRY_DSN,
            integrations=[FlaskIntegration()],
            environment=settings.APP_ENV,
            send_default_pii=False,
        )

    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.dev_jwt_secret() if not settings.is_production else ""
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_MESSAGE_BYTES
    origins = settings.cors_origins or None
    # Handlers must be declared before the first init_app, so every app gets them.
    from app import socket_events  # noqa: F401

    socketio.init_app(
        app,
        async_mode=settings.SOCKETIO_ASYNC_MODE,
        message_queue=settings.SOCKETIO_MESSAGE_QUEUE,
        cors_allowed_origins=origins,
        max_http_buffer_size=settings.MAX_MESSAGE_BYTES,
        always_connect=False,
        logger=False,
        engineio_logger=False,
        json=None,
    )
    from app.socket_events.event_context import add_socketio_rule
    from app.socket_events.event_guard import install as install_event_guard
    from app.socket_events.size_guard import SizeLimits
    from app.socket_events.size_guard import install as install_size_guard

    add_socketio_rule(app)
    install_event_guard(socketio.server)
    install_size_guard(socketio.server, SizeLimits.from_settings(settings))
    if settings.SOCKETIO_ASYNC_MODE == "gevent":
        from app.socket_events import websocket

        websocket.install(socketio.server, settings.WEBSOCKET_MAX_PENDING_BYTES)
    if origins:
        from flask_cors import CORS

        CORS(app, origins=origins, supports_credentials=False)

    from app.container import build_container
    from app.socket_events.ack_gate import AckGate
    from app.socket_events.transport import SocketTransport

    gate = AckGate()
    transport = SocketTransport(socketio, gate)
    gate.install(socketio.server, transport.emit)
    try:
        container = build_container(settings, socketio, gate, transport)
    except (ValueError, OSError) as exc:
        print(f"guia: cannot start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app.extensions["guia"] = container
    if settings.APP_ENV == "development" and settings.DATABASE_URL.startswith("sqlite"):
        # The embedded default answers the example questions with no setup step.
        from app.repositories.seed import seed_database

        seed_database(container.db)
        container.index_new_answers()  # the seeded answers, for the semantic lookup

    from app.blueprints.api import api_bp
    from app.blueprints.health import health_bp
    from app.request_ids import init_request_ids

    init_request_ids(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)
    if settings.web_client_enabled:
        try:
            from app.blueprints.web import register_web
        except ImportError:
            register_web = None
        if register_web is not None:
            register_web(app, settings)

    from app.cli import register_cli

    register_cli(app)
    return app
