"""Who may connect: the token check with limits that never lock out a crowded network.

Hundreds of students may share one address (a school, a carrier's NAT), so the
limits are not on connections per address:

- `failed_auth` (per IP) counts refused tokens only. While an address is over it,
  its tokens are still checked locally (a signature check against cached keys, a
  few microseconds, so a valid token always connects), but a token that could
  only be checked remotely (`/auth/v1/user`) is refused without that call, and
  the refusal says to wait. A flood of forged tokens from one address therefore
  costs one local check each and never turns into calls to Supabase, while the
  students behind that address keep connecting. Brute force is not a risk the
  limit has to carry: a token is a signed JWT, not a guessable password.
- `per_user` counts connections of one verified user (a reconnect loop of one
  client, a token shared around).
- `per_ip` is an optional cap on every attempt from one address (off by default).

Every refusal is the protocol's `unauthorized` connect error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.domain.errors import Refused
from app.repositories.interfaces import RateLimits

Verify = Callable[[Any, Callable[[], bool]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ConnectLimits:
    per_ip: RateLimits
    failed_auth: RateLimits
    per_user: RateLimits


@dataclass(frozen=True)
class Refusal(Exception):
    """A refused connection: why (for the metrics) and what the student reads."""

    reason: str
    error: Refused


def authenticate(token: Any, ip: str, limits: ConnectLimits, verify: Verify) -> dict[str, Any]:
    """The verified claims of `token` from address `ip`, or `Refusal`."""
    if limits.per_ip.hit(ip) is not None:
        raise Refusal("rate_limited", Refused("unauthorized", "too_many_attempts"))
    over_budget: list[bool] = []

    def remote_allowed() -> bool:  # asked only for a token no local key can check
        over_budget.append(limits.failed_auth.peek(ip) is not None)
        return not over_budget[-1]

    claims = verify(token, remote_allowed)
    if not claims:
        over = limits.failed_auth.hit(ip) is not None  # a refused hit counts nothing more
        if over or any(over_budget):
            raise Refusal("failed_auth_limited", Refused("unauthorized", "too_many_attempts"))
        raise Refusal("invalid_token", Refused("unauthorized"))
    if limits.per_user.hit(str(claims["sub"])) is not None:
        raise Refusal("user_limited", Refused("unauthorized", "too_many_connections"))
    return claims
