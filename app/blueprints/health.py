"""Liveness, readiness and Prometheus metrics.

`/readyz` answers within `READINESS_TIMEOUT_S` whatever the stores do: each check
runs on a connection of its own (never the request path's pools) in a thread of
its own, and the answer waits for both checks together at most that long. A check
still hanging from an earlier call is waited on again instead of being started a
second time, so a hung store never piles up probe threads; once it answers, the
next call starts a fresh check, so readiness comes back without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify
from flask.blueprints import BlueprintSetupState
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.metrics import registry
from app.repositories.redis.client import readiness_client
from app.repositories.sql.database import readiness_ping

health_bp = Blueprint("health", __name__)
PROBES_KEY = "guia_readiness"


class _Run:
    """One execution of a check: its outcome once `done` is set."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result = ""


class BoundedProbe:
    """Runs a check in a background thread, at most one at a time."""

    def __init__(self, name: str, check: Callable[[], object]) -> None:
        self.name = name
        self._check = check
        self._lock = threading.Lock()
        self._current: _Run | None = None

    def begin(self) -> _Run:
        with self._lock:
            if self._current is not None and not self._current.done.is_set():
                return self._current  # still waiting on the store: do not start another
            run = self._current = _Run()
        threading.Thread(
            target=self._work, args=(run,), name=f"readyz-{self.name}", daemon=True
        ).start()
        return run

    def _work(self, run: _Run) -> None:
        try:
            self._check()
            run.result = "ok"
        except Exception as exc:  # a readiness probe reports, never raises
            run.result = f"{type(exc).__name__}: {str(exc)[:120]}"
        finally:
            run.done.set()


def check_all(probes: list[BoundedProbe], timeout_s: float) -> dict[str, str]:
    """Start every probe, then wait for all of them until one shared deadline."""
    runs = [(probe.name, probe.begin()) for probe in probes]
    deadline = time.monotonic() + timeout_s
    checks = {}
    for name, run in runs:
        if run.done.wait(max(0.0, deadline - time.monotonic())):
            checks[name] = run.result
        else:
            checks[name] = f"timeout: no answer within {timeout_s:g} s"
    return checks


@health_bp.record_once
def _build_probes(state: BlueprintSetupState) -> None:
    settings = state.app.extensions["guia"].settings
    timeout_s = settings.READINESS_TIMEOUT_S
    redis_client = readiness_client(settings.REDIS_URL, timeout_s)
    state.app.extensions[PROBES_KEY] = [
        BoundedProbe("database", readiness_ping(settings.DATABASE_URL, timeout_s)),
        BoundedProbe("redis", redis_client.ping),
    ]


@health_bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health_bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    timeout_s = current_app.extensions["guia"].settings.READINESS_TIMEOUT_S
    checks = check_all(current_app.extensions[PROBES_KEY], timeout_s)
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


@health_bp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
