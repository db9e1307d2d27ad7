"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.metrics import registry

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


def _check(probe: object) -> str:
    try:
        probe()  # type: ignore[operator]
        return "ok"
    except Exception as exc:  # a readiness probe reports, never raises
        return f"{type(exc).__name__}: {str(exc)[:120]}"


@health_bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    c = current_app.extensions["guia"]
    checks = {"database": _check(c.db.ping), "redis": _check(c.redis.ping)}
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


@health_bp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
