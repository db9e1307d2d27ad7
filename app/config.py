"""Typed settings read from the environment (and `.env` in development).

The names are the ones in the product guide; operators and docs rely on them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
MESSAGE_FRAMING_BYTES = 64 * 1024  # JSON keys, voice_id, Socket.IO/Engine.IO framing


class ConfigError(RuntimeError):
    """Start-up configuration problem, reported as one clear message."""


def _check_url(value: str, schemes: tuple[str, ...], name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    if parts.scheme.startswith(("postgres", "redis", "rediss")) and not parts.hostname:
        raise ValueError(f"{name} has no host")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise ValueError(f"{name} has an invalid port") from exc
    return value


class Settings(BaseSettings):
    """All configuration of one server instance."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    APP_ENV: Literal["development", "production", "test"] = "development"
    HOST: str = "127.0.0.1"
    PORT: int = Field(default=5000, ge=1, le=65535)
    DATABASE_URL: str = f"sqlite:///{INSTANCE_DIR / 'guia.db'}"
    REDIS_URL: str = "memory://"
    SOCKETIO_MESSAGE_QUEUE: str | None = None
    SOCKETIO_ASYNC_MODE: Literal["threading", "gevent"] = "threading"
    CORS_ALLOWED_ORIGINS: str = ""
    SUPABASE_URL: str | None = None
    SUPABASE_JWT_SECRET: str | None = None
    SUPABASE_SERVICE_KEY: str | None = None
    SUPABASE_ANON_KEY: str | None = None
    DEV_JWT_SECRET: str | None = None
    JWKS_CACHE_S: float = Field(default=600, gt=0, le=600)
    JWKS_MIN_REFETCH_S: float = Field(default=30, ge=0)
    OPENAI_API_KEY: str | None = None
    OPENAI_BASE_URL: str | None = None
    OPENAI_MODEL: str = "gpt-4o-mini"
    OPENAI_TRANSCRIBE_MODEL: str = "whisper-1"
    ANSWER_ENGINE: Literal["auto", "offline"] = "auto"
    AI_TIMEOUT_S: float = Field(default=60, gt=0)
    OFFLINE_BUDGET_S: float = Field(default=3, gt=0, le=60)
    SEMANTIC_CACHE: Literal["on", "off"] = "on"
    ANSWER_MEMO_S: float = Field(default=30.0, ge=0, le=3600)
    SEMANTIC_CACHE_THRESHOLD: float | None = Field(default=None, ge=0, le=1)
    SEMANTIC_CACHE_EMBEDDER: Literal["auto", "wordllama", "openai"] = "auto"
    SEMANTIC_CACHE_OPENAI_MODEL: str = "text-embedding-3-small"
    STREAM_PACE: float = Field(default=1, ge=0)
    STREAM_TICK_MS: float = Field(default=5, ge=0, le=50)
    SERVER_WORKERS: int = Field(default=1, ge=1, le=64)
    SHUTDOWN_TIMEOUT_S: float = Field(default=1.0, gt=0, le=30)
    RATE_LIMIT_QUESTIONS: str = "10/minute;200/day"
    RATE_LIMIT_CONNECTIONS: str = ""
    RATE_LIMIT_FAILED_AUTH: str = "30/minute"
    RATE_LIMIT_USER_CONNECTIONS: str = "30/minute"
    CREDITS_COST_CACHED: int = Field(default=1, ge=0)
    CREDITS_COST_GENERATED: int = Field(default=2, ge=0)
    CREDITS_COST_VOICE: int = Field(default=1, ge=0)
    NEW_USER_CREDITS: int = Field(default=20, ge=0)
    MAX_AUDIO_BYTES: int = Field(default=10_485_760, ge=1)
    MAX_AUDIO_SECONDS: float = Field(default=120, gt=0)
    MAX_MESSAGE_BYTES: int = Field(default=16_777_216, ge=1024)
    MAX_EVENT_BYTES: int = Field(default=65_536, ge=1024)
    WEBSOCKET_MAX_PENDING_BYTES: int = Field(default=4_194_304, ge=65_536)
    MAX_VOICE_CHUNK_BYTES: int | None = Field(default=None, ge=1024)
    VOICE_CLIP_TTL_S: int = Field(default=300, ge=1)
    VOICE_MAX_OPEN_CLIPS_SESSION: int = Field(default=2, ge=1)
    VOICE_MAX_OPEN_CLIPS_USER: int = Field(default=4, ge=1)
    VOICE_MAX_USER_BYTES: int = Field(default=20_971_520, ge=1)
    SESSION_TTL_S: int = Field(default=1800, ge=1)
    REDIS_CONNECT_TIMEOUT_S: float = Field(default=1.0, gt=0)
    REDIS_SOCKET_TIMEOUT_S: float = Field(default=2.0, gt=0)
    REDIS_RETRIES: int = Field(default=1, ge=0, le=10)
    REDIS_POOL_TIMEOUT_S: float = Field(default=5.0, gt=0)
    DATABASE_CONNECT_TIMEOUT_S: int = Field(default=3, ge=2)
    DATABASE_POOL_TIMEOUT_S: float = Field(default=3.0, gt=0)
    DATABASE_POOL_SIZE: int = Field(default=20, ge=1, le=500)
    DATABASE_STATEMENT_TIMEOUT_S: float = Field(default=2.5, ge=0)
    READINESS_TIMEOUT_S: float = Field(default=1.5, gt=0, le=30)
    SERVICE_RETRY_AFTER_S: int = Field(default=5, ge=1, le=3600)
    WEB_CLIENT_ENABLED: bool | None = None
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["json", "console"] | None = None
    SENTRY_DSN: str | None = None

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return _check_url(value, ("postgresql", "postgres", "sqlite"), "DATABASE_URL")

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        return _check_url(value, ("redis", "rediss", "unix", "memory"), "REDIS_URL")

    @field_validator("SOCKETIO_MESSAGE_QUEUE")
    @classmethod
    def _queue_url(cls, value: str | None) -> str | None:
        return value and _check_url(value, ("redis", "rediss"), "SOCKETIO_MESSAGE_QUEUE")

    @field_validator("SUPABASE_URL", "OPENAI_BASE_URL")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _message_fits_a_clip(self) -> Settings:
        """A whole clip sent in one `voice_complete` must fit in one message."""
        needed = self.clip_message_bytes
        if needed > self.MAX_MESSAGE_BYTES:
            raise ValueError(
                f"MAX_MESSAGE_BYTES must be at least 4/3 x MAX_AUDIO_BYTES plus framing "
                f"({needed}) so a whole clip fits in one message"
            )
        return self

    @model_validator(mode="after")
    def _workers_share_their_state(self) -> Settings:
        """Several `run.py` workers are several instances: gevent, shared Redis, a queue."""
        if self.SERVER_WORKERS == 1:
            return self
        missing = []
        if self.SOCKETIO_ASYNC_MODE != "gevent":
            missing.append("SOCKETIO_ASYNC_MODE=gevent")
        if self.REDIS_URL.startswith("memory"):
            missing.append("a redis:// REDIS_URL")
        if not self.SOCKETIO_MESSAGE_QUEUE:
            missing.append("SOCKETIO_MESSAGE_QUEUE")
        if missing:
            raise ValueError("SERVER_WORKERS > 1 needs " + ", ".join(missing))
        return self

    @model_validator(mode="after")
    def _production_requirements(self) -> Settings:
        if self.APP_ENV != "production":
            return self
        missing = []
        if self.DATABASE_URL.startswith("sqlite"):
            missing.append("DATABASE_URL (a postgresql:// URL)")
        if self.REDIS_URL.startswith("memory"):
            missing.append("REDIS_URL (a redis:// URL)")
        if not (self.SUPABASE_URL or self.SUPABASE_JWT_SECRET):
            missing.append("SUPABASE_URL or SUPABASE_JWT_SECRET")
        if not self.OPENAI_API_KEY and self.ANSWER_ENGINE != "offline":
            missing.append("OPENAI_API_KEY (or ANSWER_ENGINE=offline)")
        if missing:
            raise ValueError("production needs: " + "; ".join(missing))
        return self

    @property
    def clip_message_bytes(self) -> int:
        """The largest legitimate message: a whole clip, base64, in one `voice_complete`."""
        return self.MAX_AUDIO_BYTES * 4 // 3 + MESSAGE_FRAMING_BYTES

    @property
    def voice_chunk_bytes(self) -> int:
        """The largest `voice_chunk` message: the setting, else a whole clip (the
        contract lets one chunk carry all of it)."""
        return self.MAX_VOICE_CHUNK_BYTES or self.clip_message_bytes

    @property
    def is_production(self) -> bool:
        return self.APP_ENV == "production"

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.CORS_ALLOWED_ORIGINS.split(",") if o.strip()]

    @property
    def log_format(self) -> str:
        return self.LOG_FORMAT or ("json" if self.is_production else "console")

    @property
    def web_client_enabled(self) -> bool:
        if self.WEB_CLIENT_ENABLED is None:
            return not self.is_production
        return self.WEB_CLIENT_ENABLED

    @property
    def semantic_cache_enabled(self) -> bool:
        return self.SEMANTIC_CACHE == "on"

    @property
    def openai_configured(self) -> bool:
        return bool(self.OPENAI_API_KEY) and self.ANSWER_ENGINE == "auto"

    def dev_jwt_secret(self) -> str:
        """The development signing secret, generated once per instance folder."""
        if self.DEV_JWT_SECRET:
            return self.DEV_JWT_SECRET
        path = INSTANCE_DIR / "dev_jwt_secret"
        if not path.exists():
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


def default_settings() -> Settings:
    """Every setting at its default, ignoring the environment (for callers given none)."""
    return Settings.model_construct()


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
