"""Who may connect (`use_cases.connect_limits`): failed authentications per address
never lock out valid tokens; connections per user; the optional per-address cap."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from limits.storage import MemoryStorage

from app.repositories.redis.rate_limits import RateLimiter
from app.use_cases.connect_limits import ConnectLimits, Refusal, authenticate

GOOD = "good-token"


class Verifier:
    """Valid: GOOD (a fresh user each call, unless `user` is set); anything else refused.
    Tokens starting with "remote" could only be checked remotely."""

    def __init__(self) -> None:
        self.remote_calls = 0
        self.user: str | None = None

    def __call__(self, token: Any, remote_allowed: Any) -> dict[str, Any] | None:
        if token == GOOD:
            return {"sub": self.user or str(uuid.uuid4())}
        if isinstance(token, str) and token.startswith("remote") and remote_allowed():
            self.remote_calls += 1
        return None


def limits(ip: str = "", failed: str = "3/minute", user: str = "2/minute") -> ConnectLimits:
    storage = MemoryStorage()
    return ConnectLimits(
        per_ip=RateLimiter(storage, ip, "connections"),
        failed_auth=RateLimiter(storage, failed, "failed_auth"),
        per_user=RateLimiter(storage, user, "user_connections"),
    )


def reason_of(*args: Any) -> str:
    with pytest.raises(Refusal) as info:
        authenticate(*args)
    assert info.value.error.code == "unauthorized"
    return info.value.reason


def test_failed_auths_past_the_limit_stop_remote_checks_but_valid_tokens_pass() -> None:
    rules, verify = limits(), Verifier()
    for _ in range(3):
        assert reason_of("remote-forged", "10.0.0.1", rules, verify) == "invalid_token"
    assert verify.remote_calls == 3
    for _ in range(5):
        assert reason_of("remote-forged", "10.0.0.1", rules, verify) == "failed_auth_limited"
    assert verify.remote_calls == 3  # no more calls to /auth/v1/user from that address
    for _ in range(50):  # the students behind that address
        assert authenticate(GOOD, "10.0.0.1", rules, verify)["sub"]
    assert reason_of("remote-forged", "10.0.0.2", rules, verify) == "invalid_token"  # elsewhere


def test_connections_per_user() -> None:
    rules, verify = limits(), Verifier()
    verify.user = str(uuid.uuid4())
    authenticate(GOOD, "10.0.0.1", rules, verify)
    authenticate(GOOD, "10.0.0.2", rules, verify)
    assert reason_of(GOOD, "10.0.0.3", rules, verify) == "user_limited"
    verify.user = None
    authenticate(GOOD, "10.0.0.3", rules, verify)


def test_the_per_address_cap_is_off_by_default_and_counts_everything_when_set() -> None:
    verify = Verifier()
    uncapped = limits(user="1000/minute")
    for _ in range(600):
        authenticate(GOOD, "10.0.0.1", uncapped, verify)
    capped = limits(ip="2/minute", user="1000/minute")
    authenticate(GOOD, "10.0.0.1", capped, verify)
    authenticate(GOOD, "10.0.0.1", capped, verify)
    assert reason_of(GOOD, "10.0.0.1", capped, verify) == "rate_limited"
