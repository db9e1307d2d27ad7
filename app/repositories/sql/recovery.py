"""How soon the Postgres pool reconnects once the database is back.

psycopg_pool retries a failed connection attempt with exponential backoff (1, 2,
4, 8, ... s, until `reconnect_timeout`): after an outage of half a minute its
next attempt may be 16 s away, and until then every request waits its pool
timeout and fails although the database answers again. `CappedBackoff` keeps
the doubling but never waits more than RECONNECT_DELAY_CAP_S between attempts
(one connection attempt every 2 s per pool while the database is down is
cheap), so requests succeed within about two seconds of the database's return.
"""

from __future__ import annotations

import psycopg_pool.pool
from psycopg_pool.base import AttemptWithBackoff

RECONNECT_DELAY_CAP_S = 2.0


class CappedBackoff(AttemptWithBackoff):
    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_DELAY_CAP_S)


def install() -> None:
    """Make the pools of this process use the capped backoff (idempotent)."""
    psycopg_pool.pool.AttemptWithBackoff = CappedBackoff  # type: ignore[misc]
