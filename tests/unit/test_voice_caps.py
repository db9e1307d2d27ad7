"""Caps on open voice clips per user and per session and on one user's bytes in Redis;
a socket's disconnect drops the clips it opened (fakeredis + SQLite, the real scripts)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.socket_events.messages import error_payload
from app.use_cases.identity import Caller
from tests.unit.test_voice_validation import Rig, code_of


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path, open_per_user=3, open_per_session=2, user_bytes=3000, max_bytes=2000)
    yield r
    r.db.close()


def chunk(voice_id: str, seq: int, size: int) -> dict[str, object]:
    return {"voice_id": voice_id, "seq": seq, "data": base64.b64encode(b"x" * size).decode()}


def test_open_clips_per_session_then_per_user_are_rate_limited_with_retry_after(
    capped: Rig,
) -> None:
    me = capped.caller
    first = capped.start(me, {"format": "ogg"})
    capped.start(me, {"format": "ogg"})
    err = code_of(capped.start, me, {"format": "ogg"})
    assert err.code == "rate_limited" and err.reason == "open_clips_session"
    assert 1 <= err.retry_after <= 300
    body = error_payload(err)
    assert body["retry_after"] == err.retry_after and "2" in body["message"]
    # Another session of the same user: one more fits the user's cap of 3, then no more.
    other = Caller(me.user_id, "another-session", "sid-other")
    capped.start(other, {"format": "ogg"})
    err = code_of(capped.start, other, {"format": "ogg"})
    assert err.code == "rate_limited" and err.reason == "open_clips_user"
    # A clip that ends frees its slot at once.
    capped.clips.delete(first)
    capped.start(me, {"format": "ogg"})
    # Someone else is not affected.
    capped.start(capped.new_caller(), {"format": "ogg"})


def test_an_expired_clip_frees_its_slot(capped: Rig) -> None:
    me = capped.caller
    ids = [capped.start(me, {"format": "ogg"}) for _ in range(2)]
    capped.redis.delete(f"voice:{ids[0]}")  # what its TTL does
    capped.start(me, {"format": "ogg"})


def test_bytes_of_one_users_open_clips_are_capped_and_the_clip_discarded(capped: Rig) -> None:
    me = capped.caller
    a = capped.start(me, {"format": "ogg"})
    b = capped.start(me, {"format": "ogg"})
    assert capped.add_chunk(me, chunk(a, 0, 1800)) == 1800
    assert capped.add_chunk(me, chunk(b, 0, 1000)) == 1000
    err = code_of(capped.add_chunk, me, chunk(b, 1, 500))  # 1800 + 1500 > 3000
    assert err.code == "audio_too_large" and err.reason == "user_bytes" and err.voice_id == b
    assert not capped.clips.exists(b)
    assert code_of(capped.add_chunk, me, chunk(b, 1, 10)).code == "not_found"
    assert capped.clips.get(a) is not None  # the other clip stays
    c = capped.start(me, {"format": "ogg"})
    assert capped.add_chunk(me, chunk(c, 0, 1200)) == 1200  # 1800 + 1200 = 3000 fits


def test_a_disconnect_drops_the_clips_that_socket_opened_and_their_indexes(capped: Rig) -> None:
    me = capped.caller
    ids = [capped.start(me, {"format": "ogg"}) for _ in range(2)]
    for voice_id in ids:
        capped.add_chunk(me, chunk(voice_id, 0, 1000))
    newer = Caller(me.user_id, me.session_id, "sid-after-takeover")
    assert capped.uploads.drop_socket(me.session_id, newer.sid) == 0  # not its clips
    assert capped.uploads.drop_socket(me.session_id, me.sid) == 2
    assert capped.voice_keys() == []
    assert sorted(capped.redis.scan_iter("voice_open:*")) == []
    capped.start(newer, {"format": "ogg"})


def test_taken_clips_leave_no_index_behind(capped: Rig) -> None:
    voice_id = capped.send("ogg", b"OggS" + b"x" * 100)
    assert capped.clips.take(voice_id) is not None
    assert sorted(capped.redis.scan_iter("voice*")) == []
