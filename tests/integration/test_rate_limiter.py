"""RateLimiter on real Redis: moving window, whole-second retry_after, shared counts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from limits.storage import MemoryStorage, RedisStorage, Storage

from app.repositories.redis.rate_limits import RateLimiter, make_storage
from tests.support.round_trips import counting
from tests.support.server import RedisDb

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redis_db() -> Iterator[RedisDb]:
    db = RedisDb()
    yield db
    db.close()


@pytest.fixture
def storage(redis_db: RedisDb) -> Storage:
    return make_storage(redis_db.url)


@pytest.fixture
def namespace() -> str:
    """A namespace of its own per test, so counts never leak between tests."""
    return f"test-{uuid.uuid4().hex[:8]}"


def test_redis_url_gives_redis_storage_and_memory_url_in_process(redis_db: RedisDb) -> None:
    assert isinstance(make_storage(redis_db.url), RedisStorage)
    assert isinstance(make_storage("memory://"), MemoryStorage)


def test_limit_is_enforced_per_key(storage: Storage, namespace: str) -> None:
    limiter = RateLimiter(storage, "3/minute", namespace)
    assert [limiter.hit("alice") for _ in range(3)] == [None, None, None]
    retry = limiter.hit("alice")
    assert isinstance(retry, int) and 1 <= retry <= 60
    assert limiter.hit("bob") is None  # another key has its own count


def test_moving_window_frees_slots_one_by_one(storage: Storage, namespace: str) -> None:
    """Hits at t0 and t0+1.0 under 2 per 2 s: at t0+2.1 exactly one slot is free again."""
    limiter = RateLimiter(storage, "2 per 2 seconds", namespace)
    t0 = time.monotonic()
    assert limiter.hit("k") is None
    time.sleep(1.0)
    assert limiter.hit("k") is None
    assert limiter.hit("k") == 1  # the t0 hit leaves the window in < 1 s
    time.sleep(max(0.0, t0 + 2.1 - time.monotonic()))
    assert limiter.hit("k") is None  # the t0 hit left the window
    # A fixed window would have reset both; the t0+1.0 hit still counts here.
    assert limiter.hit("k") is not None


def test_retry_after_is_whole_seconds_and_at_least_one(storage: Storage, namespace: str) -> None:
    limiter = RateLimiter(storage, "1/second", namespace)
    assert limiter.hit("k") is None
    time.sleep(0.8)  # 0.2 s left in the window: still one whole second
    retry = limiter.hit("k")
    assert retry == 1 and isinstance(retry, int)

    minute = RateLimiter(storage, "1/minute", namespace + "-m")
    assert minute.hit("k") is None
    retry = minute.hit("k")
    assert isinstance(retry, int) and 58 <= retry <= 60


def test_refused_hits_do_not_count(storage: Storage, namespace: str) -> None:
    """With "3/minute;2/second" a refusal by the second limit spends nothing of the minute."""
    limiter = RateLimiter(storage, "3/minute;2/second", namespace)
    assert limiter.hit("k") is None
    assert limiter.hit("k") is None
    assert limiter.hit("k") == 1  # refused by 2/second
    assert limiter.hit("k") == 1
    time.sleep(1.05)
    assert limiter.hit("k") is None  # third of the minute: the refusals did not count
    retry = limiter.hit("k")
    assert retry is not None and 55 <= retry <= 60  # now the minute limit


def test_two_limiters_sharing_redis_share_the_count(redis_db: RedisDb, namespace: str) -> None:
    """Two instances (own storage objects and connections) count the same user together."""
    first = RateLimiter(make_storage(redis_db.url), "4/minute", namespace)
    second = RateLimiter(make_storage(redis_db.url), "4/minute", namespace)
    assert first.hit("user") is None
    assert second.hit("user") is None
    assert first.hit("user") is None
    assert second.hit("user") is None
    assert first.hit("user") is not None
    assert second.hit("user") is not None
    # Another namespace (e.g. connections vs questions) is a separate count.
    assert RateLimiter(make_storage(redis_db.url), "4/minute", namespace + "-x").hit("user") is None


def test_clear_resets_the_count(storage: Storage, namespace: str) -> None:
    limiter = RateLimiter(storage, "1/minute", namespace)
    assert limiter.hit("k") is None
    assert limiter.hit("k") is not None
    limiter.clear("k")
    assert limiter.hit("k") is None


def test_memory_storage_behaves_the_same(namespace: str) -> None:
    limiter = RateLimiter(make_storage("memory://"), "2/minute", namespace)
    assert limiter.hit("k") is None and limiter.hit("k") is None
    retry = limiter.hit("k")
    assert isinstance(retry, int) and 1 <= retry <= 60


def test_every_window_is_one_round_trip(
    storage: Storage, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two windows, one script call per hit, allowed or refused (limits' own calls: 3)."""
    limiter = RateLimiter(storage, "3/minute;2/second", namespace)
    with counting(monkeypatch) as trips:
        assert [limiter.hit("k") for _ in range(3)] == [None, None, 1]
    assert trips.snapshot() == {"redis": 3, "sql": 0}
    assert all("EVALSHA" in line for line in trips.log)


def test_the_script_counts_where_limits_reads(storage: Storage, namespace: str) -> None:
    """Hits counted by the one-trip script are the ones `limits` itself tests and
    reports, window by window (same keys, same entries)."""
    limiter = RateLimiter(storage, "5/minute;3/hour", namespace)
    assert limiter.hit("k") is None and limiter.hit("k") is None
    minute, hour = limiter.limits
    assert limiter.strategy.get_window_stats(minute, namespace, "k").remaining == 3
    assert limiter.strategy.get_window_stats(hour, namespace, "k").remaining == 1
    assert limiter.peek("k") is None
    assert limiter.hit("k") is None
    retry = limiter.peek("k")  # the hour is full now
    assert retry is not None and 3590 <= retry <= 3600
    refused = limiter.hit("k")
    assert refused is not None and abs(refused - retry) <= 1
    assert limiter.strategy.get_window_stats(minute, namespace, "k").remaining == 2  # refusals
