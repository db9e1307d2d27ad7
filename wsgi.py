"""WSGI entry point for gunicorn: `gunicorn wsgi:app` (the image runs `python run.py`).

With SOCKETIO_ASYNC_MODE=gevent, run gunicorn with gevent-websocket's worker
(`-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker`; the plain `-k gevent`
worker serves no websockets): it patches the standard library before loading this
module, and `patch_if_gevent` makes sure of it (and patches when this module is
loaded some other way).
"""

from async_boot import patch_if_gevent

patch_if_gevent()  # before any other import

from app import create_app  # noqa: E402

app = create_app()
