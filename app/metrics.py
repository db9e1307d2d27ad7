"""Prometheus metrics of the realtime flow, on one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

registry = CollectorRegistry(auto_describe=True)

connections = Gauge("guia_socket_connections", "Connected Socket.IO clients", registry=registry)
connect_refused = Counter(
    "guia_connect_refused_total", "Refused connections", ["reason"], registry=registry
)
questions = Counter("guia_questions_total", "ask_question outcomes", ["outcome"], registry=registry)
request_errors = Counter(
    "guia_request_errors_total", "Refused client requests", ["event", "code"], registry=registry
)
handler_seconds = Histogram(
    "guia_socket_handler_seconds", "Socket event handler time", ["event"], registry=registry
)
