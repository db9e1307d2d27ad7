"""Socket.IO event handlers: thin, each calls a service."""

from app.socket_events import connection, questions  # noqa: F401
