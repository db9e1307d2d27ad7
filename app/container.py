"""Builds the parts of one server instance from its settings (the composition root)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog
from flask_socketio import SocketIO

from app.adapters.engines.base import AnswerEngine
from app.adapters.engines.refusal import refusal_text
from app.answer_cache import AnswerCache
from app.auth.verifier import TokenVerifier
from app.config import Settings
from app.domain.pricing import Prices
from app.repositories.interfaces import Database
from app.repositories.redis.client import RedisTimeouts, make_redis
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.redis.rate_limits import RateLimiter, make_storage
from app.repositories.redis.requests import RequestRepository
from app.repositories.redis.sessions import SessionRepository
from app.repositories.redis.voice_clips import VoiceClipRepository
from app.repositories.sql import open_database
from app.repositories.sql.database import PoolTimeouts
from app.repositories.unit_of_work import RedisRepositories, StoreUnitOfWork
from app.streaming.scheduler import Scheduler
from app.use_cases.admission import AdmissionRules
from app.use_cases.background import Worker
from app.use_cases.connect_limits import ConnectLimits
from app.use_cases.generation import Generation
from app.use_cases.interactions import Interactions
from app.use_cases.notifier import Notifier
from app.use_cases.stream_factory import StreamFactory
from app.use_cases.voice_clips import VoiceClips, VoiceLimits
from app.use_cases.voice_questions import Transcribing, VoiceQuestions

log = structlog.get_logger(__name__)


@dataclass
class Container:
    settings: Settings
    db: Database
    redis: redis.Redis
    verifier: TokenVerifier
    redis_repos: RedisRepositories
    connect_limits: ConnectLimits
    gate: Any  # app.socket_events.ack_gate.AckGate
    transport: Notifier
    rules: AdmissionRules
    interactions: Interactions
    generation: Generation
    clips: VoiceClips
    voice: VoiceQuestions
    worker: Worker
    scheduler: Scheduler
    sockets: dict[str, Any] = field(default_factory=dict)  # sid → SocketContext

    def uow(self) -> StoreUnitOfWork:
        return StoreUnitOfWork(self.db, self.redis_repos)

    def index_new_answers(self) -> None:
        """Add answers stored since start (a seed) to the semantic index, vectors stored."""
        if self.rules.cache.semantic is None:
            return
        with self.db.unit_of_work() as uow:
            self.rules.cache.rebuild(uow.answers)
            uow.commit()


def build_engines(settings: Settings) -> list[AnswerEngine]:
    """Offline math first (exact and free), then OpenAI when configured."""
    from app.adapters.engines.offline import offline_engines

    engines: list[AnswerEngine] = offline_engines(settings.OFFLINE_BUDGET_S)
    if settings.openai_configured:
        from app.adapters.engines.openai_engine import OpenAIEngine

        engines.append(OpenAIEngine.from_settings(settings))
    return engines


def build_cache(settings: Settings, db: Database) -> AnswerCache:
    """Exact cache, plus the semantic lookup unless SEMANTIC_CACHE=off: the embedder is
    loaded (warm) and the index rebuilt from the table here, before the first ask."""
    if not settings.semantic_cache_enabled:
        return AnswerCache(memo_s=settings.ANSWER_MEMO_S)
    from app.answer_cache.embedders import make_embedder
    from app.answer_cache.semantic import SemanticLookup

    embedder = make_embedder(settings.SEMANTIC_CACHE_EMBEDDER, settings)
    cache = AnswerCache(
        semantic=SemanticLookup(embedder, settings.SEMANTIC_CACHE_THRESHOLD),
        memo_s=settings.ANSWER_MEMO_S,
    )
    try:
        with db.unit_of_work() as uow:
            cache.rebuild(uow.answers)
            uow.commit()
    except Exception as exc:  # noqa: BLE001 - a database not migrated yet (`flask db
        # upgrade` builds the app too): exact hits work, answers stored later are indexed
        log.warning("semantic_index_rebuild_failed", error=f"{type(exc).__name__}: {exc}"[:200])
    return cache


def _transcriber(settings: Settings) -> Any:
    """Made on first use (and kept): no OpenAI client unless a clip needs one."""
    made: list[Transcribing | None] = []
    lock = threading.Lock()

    def get() -> Transcribing | None:
        with lock:
            if not made:
                if not settings.OPENAI_API_KEY:
                    return None
                from app.adapters.transcription import Transcriber

                made.append(Transcriber.from_settings(settings))
            return made[0]

    return get


def build_container(
    settings: Settings, socketio: SocketIO, gate: Any, transport: Notifier
) -> Container:
    """`gate` and `transport` are the Socket.IO side (`app.socket_events`), made by the app."""
    redis_timeouts = RedisTimeouts.from_settings(settings)
    db = open_database(
        settings.DATABASE_URL, PoolTimeouts.from_settings(settings), settings.DATABASE_POOL_SIZE
    )
    client = make_redis(settings.REDIS_URL, redis_timeouts)
    storage = make_storage(settings.REDIS_URL, redis_timeouts)
    feeds = GenerationFeedRepository(client, lock_ttl_s=int(settings.AI_TIMEOUT_S * 3) + 60)
    redis_repos = RedisRepositories(
        requests=RequestRepository(client),
        question_limits=RateLimiter(storage, settings.RATE_LIMIT_QUESTIONS, "questions"),
        sessions=SessionRepository(client, settings.SESSION_TTL_S),
        feeds=feeds,
    )

    def uow() -> StoreUnitOfWork:
        return StoreUnitOfWork(db, redis_repos)

    start_task = socketio.start_background_task
    cache = build_cache(settings, db)
    checker = None
    if settings.openai_configured:
        from app.adapters.engines.math_check import check_explanation

        checker = check_explanation
    generation = Generation(build_engines(settings), feeds, uow, cache, checker)
    prices = Prices(
        settings.CREDITS_COST_CACHED, settings.CREDITS_COST_GENERATED, settings.CREDITS_COST_VOICE
    )
    rules = AdmissionRules(prices, cache, generation.can_try, refusal_text)
    scheduler = Scheduler(start_task, tick_s=settings.STREAM_TICK_MS / 1000.0)
    worker = Worker(start_task)
    interactions = Interactions(
        uow_factory=uow,
        sessions=redis_repos.sessions,
        transport=transport,
        scheduler=scheduler,
        worker=worker,
        streams=StreamFactory(
            uow_factory=uow,
            cache=cache,
            feeds=feeds,
            transport=transport,
            scheduler=scheduler,
            start_task=start_task,
            pace=settings.STREAM_PACE,
            stall_timeout_s=settings.AI_TIMEOUT_S + 30,
        ),
        start_generation=lambda cmd: start_task(
            generation.run, cmd.question, cmd.context, cmd.interaction_id
        ),
        pace=settings.STREAM_PACE,
        retry_after_s=settings.SERVICE_RETRY_AFTER_S,
    )
    clips = VoiceClips(
        VoiceClipRepository(client, settings.VOICE_CLIP_TTL_S),
        VoiceLimits(
            max_bytes=settings.MAX_AUDIO_BYTES,
            max_seconds=settings.MAX_AUDIO_SECONDS,
            voice_fee=settings.CREDITS_COST_VOICE,
            cheapest_question=prices.cheapest_question,
            max_open_per_user=settings.VOICE_MAX_OPEN_CLIPS_USER,
            max_open_per_session=settings.VOICE_MAX_OPEN_CLIPS_SESSION,
            max_user_bytes=settings.VOICE_MAX_USER_BYTES,
        ),
    )
    return Container(
        settings=settings,
        db=db,
        redis=client,
        verifier=TokenVerifier(
            settings,
            jwks_ttl_s=settings.JWKS_CACHE_S,
            jwks_min_refetch_s=settings.JWKS_MIN_REFETCH_S,
        ),
        redis_repos=redis_repos,
        connect_limits=ConnectLimits(
            per_ip=RateLimiter(storage, settings.RATE_LIMIT_CONNECTIONS, "connections"),
            failed_auth=RateLimiter(storage, settings.RATE_LIMIT_FAILED_AUTH, "failed_auth"),
            per_user=RateLimiter(storage, settings.RATE_LIMIT_USER_CONNECTIONS, "user_connections"),
        ),
        gate=gate,
        transport=transport,
        rules=rules,
        interactions=interactions,
        generation=generation,
        clips=clips,
        voice=VoiceQuestions(
            clips=clips,
            uow_factory=uow,
            rules=rules,
            interactions=interactions,
            transport=transport,
            transcriber=_transcriber(settings),
            production=settings.is_production,
        ),
        worker=worker,
        scheduler=scheduler,
    )
