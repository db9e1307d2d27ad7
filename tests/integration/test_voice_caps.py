"""The issue's repro against a real Redis: one user opening 200 voice clips of 320 KB
in a few seconds. With the caps, the clips past `VOICE_MAX_OPEN_CLIPS_*` are
`rate_limited` (with `retry_after`) and bytes past `VOICE_MAX_USER_BYTES` are
`audio_too_large`; whatever was held comes back when the sockets disconnect.
A server with the caps lifted shows the memory the repro took, and that a
disconnect gives it back too."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support.private_stores import PrivateRedis
from tests.support.server import RecordingClient, ServerProcess, base_env, new_user

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

CLIPS = 200
CLIP_BYTES = 320 * 1024
SOCKETS = 4  # one user, several sockets (each its own session)
OGG = b"OggS" + b"\x00" * (CLIP_BYTES - 4)
DATA = base64.b64encode(OGG).decode("ascii")


def start(tmp: Path, redis_url: str, **env: Any) -> ServerProcess:
    return ServerProcess(
        base_env(DATABASE_URL=f"sqlite:///{tmp}/voice.db", REDIS_URL=redis_url, **env)
    ).wait_ready()


@pytest.fixture
def store(private_redis: PrivateRedis) -> Iterator[redis.Redis]:
    client = private_redis.client()
    client.flushdb()
    yield client
    client.close()


def used_mb(client: redis.Redis) -> float:
    return int(client.info("memory")["used_memory"]) / 1e6


def voice_keys(client: redis.Redis) -> list[str]:
    return sorted(client.scan_iter("voice*"))


def flood(url: str, token: str) -> tuple[list[RecordingClient], list[Any], float]:
    """Try CLIPS clips of CLIP_BYTES over SOCKETS sockets of one user; return the acks."""
    sockets = [RecordingClient(url, token) for _ in range(SOCKETS)]
    for s in sockets:
        s.connect()
    acks = []
    started = time.monotonic()
    for n in range(CLIPS):
        s = sockets[n % SOCKETS]
        ack = s.call("voice_start", {"format": "ogg"})
        if ack["ok"]:
            ack = s.call("voice_chunk", {"voice_id": ack["voice_id"], "seq": 0, "data": DATA})
        acks.append(ack)
    return sockets, acks, time.monotonic() - started


def tally(acks: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ack in acks:
        key = "ok" if ack["ok"] else ack["error"]["code"]
        counts[key] = counts.get(key, 0) + 1
    return counts


def wait_empty(client: redis.Redis, timeout: float = 10) -> None:
    """Every clip key gone; then a second for Redis to trim idle clients' query buffers
    (used_memory counts them: a 437 KB chunk argument stays allocated for a while)."""
    deadline = time.monotonic() + timeout
    while voice_keys(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert voice_keys(client) == []
    time.sleep(1.5)


def test_the_repro_is_refused_past_the_caps_and_memory_comes_back(
    tmp_path: Path, private_redis: PrivateRedis, store: redis.Redis
) -> None:
    server = start(tmp_path, private_redis.url, VOICE_MAX_USER_BYTES=2_000_000)
    try:
        before = used_mb(store)
        sockets, acks, took = flood(server.url, new_user()[1])
        # The default caps: 2 open clips per session, 4 per user.
        assert tally(acks) == {"ok": SOCKETS, "rate_limited": CLIPS - SOCKETS}, tally(acks)
        for ack in acks[SOCKETS:]:
            retry_after = ack["error"]["retry_after"]
            assert isinstance(retry_after, int) and 1 <= retry_after <= 300
        held = used_mb(store)
        assert held - before < 3, (before, held)
        # One of the 4 open clips grows: past 2,000,000 bytes together it is discarded.
        first = sockets[0]
        voice_id = [a for a in first.received if a.name == "ack:voice_start"][0].data["voice_id"]
        received = []
        for seq in (1, 2, 3):
            ack = first.call("voice_chunk", {"voice_id": voice_id, "seq": seq, "data": DATA})
            received.append(ack["received_bytes"] if ack["ok"] else ack["error"]["code"])
        assert received == [2 * CLIP_BYTES, 3 * CLIP_BYTES, "audio_too_large"], received
        assert not store.exists(f"voice:{voice_id}", f"voice:{voice_id}:chunks")
        assert first.call("voice_start", {"format": "ogg"})["ok"]  # its slot is free again
        for s in sockets:
            s.disconnect()
        wait_empty(store)
        after = used_mb(store)
        print(
            f"\ncapped: {tally(acks)} in {took:.1f}s;"
            f" Redis used_memory {before:.1f} → {held:.1f} → {after:.1f} MB"
        )
        assert after - before < 1
    finally:
        server.stop()


def test_without_caps_the_repro_holds_memory_until_the_sockets_disconnect(
    tmp_path: Path, private_redis: PrivateRedis, store: redis.Redis
) -> None:
    server = start(
        tmp_path,
        private_redis.url,
        VOICE_MAX_OPEN_CLIPS_USER=10_000,
        VOICE_MAX_OPEN_CLIPS_SESSION=10_000,
        VOICE_MAX_USER_BYTES=10**12,
    )
    try:
        before = used_mb(store)
        sockets, acks, took = flood(server.url, new_user()[1])
        held = used_mb(store)
        assert tally(acks) == {"ok": CLIPS}, tally(acks)
        assert held - before > CLIPS * CLIP_BYTES / 1e6  # base64: 4/3 of the audio
        for s in sockets:
            s.disconnect()
        wait_empty(store)
        after = used_mb(store)
        print(
            f"\nuncapped: {CLIPS} clips in {took:.1f}s;"
            f" Redis used_memory {before:.1f} → {held:.1f} → {after:.1f} MB"
        )
        assert after - before < 1
    finally:
        server.stop()
