"""WSGI entry point for gunicorn: `gunicorn wsgi:app` (see the Dockerfile).

With SOCKETIO_ASYNC_MODE=gevent, run gunicorn with `-k gevent`: its worker patches
the standard library before loading this module, and `patch_if_gevent` makes sure
of it (and patches when this module is loaded some other way).
"""

from async_boot import patch_if_gevent

patch_if_gevent()  # before any other import

from app import create_app  # noqa: E402

app = create_app()
