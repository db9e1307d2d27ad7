"""Settings: the product guide's defaults, production refusals and clear URL errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import INSTANCE_DIR, ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_READY = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://guia:secret@db.example.com:5432/postgres",
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "SUPABASE_URL": "https://project.supabase.co",
    "OPENAI_API_KEY": "sk-test",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings read the process environment and `./.env`: tests must see neither."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def settings(**env: str) -> Settings:
    return load_settings(_env_file=None, **env)


def config_error(**env: str) -> str:
    with pytest.raises(ConfigError) as info:
        settings(**env)
    return str(info.value)


def test_defaults_match_the_product_guide_table() -> None:
    s = settings()
    assert s.APP_ENV == "development"
    assert (s.HOST, s.PORT) == ("127.0.0.1", 5000)
    instance_db = INSTANCE_DIR / "guia.db"
    database_url = s.DATABASE_URL
    assert database_url == f"sqlite:///{instance_db}"
    assert instance_db == ROOT / "instance" / "guia.db"
    assert s.REDIS_URL == "memory://"
    assert s.SOCKETIO_MESSAGE_QUEUE is None
    assert s.SOCKETIO_ASYNC_MODE == "threading"
    assert s.CORS_ALLOWED_ORIGINS == "" and s.cors_origins == []
    for unset in (
        "SUPABASE_URL",
        "SUPABASE_JWT_SECRET",
        "SUPABASE_SERVICE_KEY",
        "SUPABASE_ANON_KEY",
        "DEV_JWT_SECRET",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SENTRY_DSN",
    ):
        assert getattr(s, unset) is None, unset
    assert s.openai_configured is False
    assert s.ANSWER_ENGINE == "auto"
    assert s.AI_TIMEOUT_S == 60
    assert s.STREAM_PACE == 1
    assert s.RATE_LIMIT_QUESTIONS == "10/minute;200/day"
    assert (s.CREDITS_COST_CACHED, s.CREDITS_COST_GENERATED, s.CREDITS_COST_VOICE) == (1, 2, 1)
    assert s.NEW_USER_CREDITS == 20
    assert (s.MAX_AUDIO_BYTES, s.MAX_AUDIO_SECONDS) == (10_485_760, 120)
    assert s.MAX_MESSAGE_BYTES == 16_777_216
    assert s.SESSION_TTL_S == 1800
    assert s.LOG_LEVEL == "INFO"
    assert s.log_format == "console"
    assert s.web_client_enabled is True


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("STREAM_PACE", "0")
    s = settings()
    assert s.PORT == 8123
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.STREAM_PACE == 0


def test_production_without_services_names_each_missing_setting() -> None:
    message = config_error(APP_ENV="production")
    assert message.startswith("invalid configuration:")
    assert "DATABASE_URL" in message
    assert "REDIS_URL" in message
    assert "SUPABASE_URL or SUPABASE_JWT_SECRET" in message
    assert "OPENAI_API_KEY" in message


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "SUPABASE_URL", "OPENAI_API_KEY"])
def test_production_names_only_what_is_missing(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_READY.items() if k != missing}
    message = config_error(**env)
    assert missing in message
    others = {"DATABASE_URL", "REDIS_URL", "SUPABASE_URL", "OPENAI_API_KEY"} - {missing}
    for name in others:
        assert name not in message, (name, message)


def test_production_with_everything_set_loads() -> None:
    s = settings(**PRODUCTION_READY)
    assert s.is_production
    assert s.log_format == "json"
    assert s.web_client_enabled is False
    assert s.openai_configured is True


def test_production_accepts_the_legacy_jwt_secret_instead_of_supabase_url() -> None:
    env = {k: v for k, v in PRODUCTION_READY.items() if k != "SUPABASE_URL"}
    assert settings(**env, SUPABASE_JWT_SECRET="legacy-secret").SUPABASE_JWT_SECRET


def test_offline_engine_lifts_the_openai_requirement() -> None:
    env = {k: v for k, v in PRODUCTION_READY.items() if k != "OPENAI_API_KEY"}
    s = settings(**env, ANSWER_ENGINE="offline")
    assert s.is_production and s.OPENAI_API_KEY is None
    assert s.openai_configured is False
    message = config_error(APP_ENV="production", ANSWER_ENGINE="offline")
    assert "OPENAI_API_KEY" not in message
    assert "DATABASE_URL" in message


def test_production_refuses_sqlite_and_memory_even_when_set() -> None:
    message = config_error(
        **{**PRODUCTION_READY, "DATABASE_URL": "sqlite:///x.db", "REDIS_URL": "memory://"}
    )
    assert "DATABASE_URL (a postgresql:// URL)" in message
    assert "REDIS_URL (a redis:// URL)" in message


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: DATABASE_URL must start with one of"),
        ({"DATABASE_URL": "postgresql://:notaport/x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://db:notaport/x"}, "DATABASE_URL has an invalid port"),
        ({"DATABASE_URL": "postgresql:///nohost"}, "DATABASE_URL has no host"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL: REDIS_URL must start with one of"),
        ({"REDIS_URL": "redis://cache:port/0"}, "REDIS_URL has an invalid port"),
        ({"REDIS_URL": "redis://"}, "REDIS_URL has no host"),
        ({"SOCKETIO_MESSAGE_QUEUE": "memory://"}, "SOCKETIO_MESSAGE_QUEUE must start with"),
    ],
)
def test_malformed_urls_give_one_clear_config_error(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(**env)
    message = str(info.value)
    assert expected in message
    assert message.count("\n") == 0, "one line, no pydantic dump"
    assert "pydantic" not in message and "Traceback" not in message
    # `raise ... from None`: printing the error shows no chained validation traceback.
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_malformed_postgres_url_messages_are_specific() -> None:
    assert "no host" in config_error(DATABASE_URL="postgresql://:notaport/x")
    assert "postgresql://" in config_error(DATABASE_URL="mysql://x")


def test_several_problems_are_reported_together() -> None:
    message = config_error(DATABASE_URL="mysql://x", REDIS_URL="ftp://r", PORT="0")
    assert "DATABASE_URL" in message and "REDIS_URL" in message and "PORT" in message


def test_env_example_lists_every_setting_with_its_default() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))
    assert set(listed) == set(Settings.model_fields)
    defaults = settings()
    for name, shown in listed.items():
        value = getattr(defaults, name)
        if name == "DATABASE_URL":
            assert value.endswith(shown.removeprefix("sqlite:///"))
        elif value is None:
            assert shown == "", name
        else:
            assert shown == str(value).removesuffix(".0"), (name, shown, value)


def test_message_limit_must_hold_a_whole_base64_clip() -> None:
    from app.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="MAX_MESSAGE_BYTES"):
        load_settings(MAX_AUDIO_BYTES=12_000_000, MAX_MESSAGE_BYTES=16_000_000)
    ok = load_settings(MAX_AUDIO_BYTES=1_000_000, MAX_MESSAGE_BYTES=2_000_000)
    assert ok.MAX_MESSAGE_BYTES == 2_000_000
