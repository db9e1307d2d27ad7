"""Sentry's Flask integration is on exactly when SENTRY_DSN is set."""

from __future__ import annotations

import sentry_sdk

from app import create_app
from app.config import Settings


def _settings(tmp_path, **extra: str) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        APP_ENV="test",
        DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}",
        REDIS_URL="memory://sentry",
        DEV_JWT_SECRET="s" * 32,
        **extra,
    )


def test_sentry_is_initialised_with_the_flask_integration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    try:
        create_app(_settings(tmp_path, SENTRY_DSN="https://key@127.0.0.1:9/1"))
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert client.options["dsn"] == "https://key@127.0.0.1:9/1"
        assert client.options["send_default_pii"] is False
        assert "flask" in client.integrations
    finally:
        sentry_sdk.init(dsn=None)


def test_no_dsn_no_sentry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sentry_sdk.init(dsn=None)
    create_app(_settings(tmp_path))
    client = sentry_sdk.get_client()
    assert client.options.get("dsn") is None and client.transport is None
