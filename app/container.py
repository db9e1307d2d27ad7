"""Builds the services of one server instance from its settings (composition root)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import redis
from flask_socketio import SocketIO

from app.adapters.engines.base import AnswerEngine
from app.auth.verifier import TokenVerifier
from app.config import Settings
from app.repositories.interfaces import Database
from app.repositories.redis.client import make_redis
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.rate_limits import RateLimiter, make_storage
from app.repositories.redis.requests import RequestRepository
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.stream_states import StreamStateRepository
from app.repositories.redis.voice_clips import VoiceClipRepository, clip_ttl_s
from app.repositories.sql import open_database
from app.services.credit_service import Prices
from app.services.explanation_service import ExplanationService
from app.services.generation_service import GenerationService
from app.services.session_service import SessionService
from app.services.voice_service import VoiceService


@dataclass
class SocketContext:
    """What the server knows about one connected socket."""

    user_id: str
    session_id: str
    email: str | None = None


@dataclass
class Container:
    settings: Settings
    db: Database
    redis: redis.Redis
    verifier: TokenVerifier
    sessions: SessionRepository
    question_limiter: RateLimiter
    connect_limiter: RateLimiter
    session_service: SessionService
    explanations: ExplanationService
    generation: GenerationService
    sockets: dict[str, SocketContext] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    voice: VoiceService | None = None


def build_engines(settings: Settings) -> list[AnswerEngine]:
    """Offline math first (exact and free), then OpenAI when configured."""
    engines: list[AnswerEngine] = []
    try:
        from app.adapters.engines.offline_math import OfflineMathEngine

        engines.append(OfflineMathEngine())
    except ImportError:  # pragma: no cover - while the engine package is being built
        pass
    if settings.openai_configured:
        from app.adapters.engines.openai_engine import OpenAIEngine

        engines.append(OpenAIEngine.from_settings(settings))
    return engines


def build_container(settings: Settings, socketio: SocketIO) -> Container:
    db = open_database(settings.DATABASE_URL)
    client = make_redis(settings.REDIS_URL)
    storage = make_storage(settings.REDIS_URL)
    sessions = SessionRepository(client, settings.SESSION_TTL_S)
    states = StreamStateRepository(client, settings.SESSION_TTL_S)
    feeds = GenerationFeedRepository(client, lock_ttl_s=int(settings.AI_TIMEOUT_S * 3) + 60)
    question_limiter = RateLimiter(storage, settings.RATE_LIMIT_QUESTIONS, "questions")
    checker = None
    if settings.openai_configured:
        from app.adapters.engines.math_check import check_explanation

        checker = check_explanation
    generation = GenerationService(build_engines(settings), feeds, db.unit_of_work, checker)

    def emit(event: str, payload: dict[str, Any], to: str) -> None:
        if to:
            socketio.emit(event, payload, to=to, ignore_queue=True)

    def notify_credits(user_id: str, change: Any, delta: int, action: str) -> None:
        if change.balance is None:
            return
        socketio.emit(
            "credits_updated",
            {"balance": change.balance, "delta": delta, "action_type": action},
            to=f"user:{user_id}",
        )

    explanations = ExplanationService(
        uow_factory=db.unit_of_work,
        sessions=sessions,
        states=states,
        requests=RequestRepository(client),
        feeds=feeds,
        limiter=question_limiter,
        generation=generation,
        prices=Prices(
            settings.CREDITS_COST_CACHED,
            settings.CREDITS_COST_GENERATED,
            settings.CREDITS_COST_VOICE,
        ),
        emit=emit,
        start_task=socketio.start_background_task,
        notify_credits=notify_credits,
        pace=settings.STREAM_PACE,
        generation_timeout_s=settings.AI_TIMEOUT_S,
    )

    def is_connected(sid: str) -> bool:
        try:
            return bool(socketio.server.manager.is_connected(sid, "/"))
        except (AttributeError, KeyError):
            return False

    return Container(
        settings=settings,
        db=db,
        redis=client,
        verifier=TokenVerifier(
            settings,
            jwks_ttl_s=settings.JWKS_CACHE_S,
            jwks_min_refetch_s=settings.JWKS_MIN_REFETCH_S,
        ),
        sessions=sessions,
        question_limiter=question_limiter,
        connect_limiter=RateLimiter(storage, settings.RATE_LIMIT_CONNECTIONS, "connections"),
        session_service=SessionService(
            sessions,
            db.unit_of_work,
            settings.NEW_USER_CREDITS,
            is_connected,
            shared_instances=bool(settings.SOCKETIO_MESSAGE_QUEUE),
        ),
        explanations=explanations,
        generation=generation,
        extras={"notify_credits": notify_credits},
        voice=VoiceService.from_settings(
            settings,
            VoiceClipRepository(client, clip_ttl_s(settings)),
            db.unit_of_work,
            explanations,
        ),
    )
