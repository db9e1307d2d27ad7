"""Start the server with the current environment: `python run.py`."""

from async_boot import patch_if_gevent

patch_if_gevent()  # before any other import: gevent must patch the standard library first

from app import create_app  # noqa: E402
from app.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    settings = app.extensions["guia"].settings
    print(f"Guía IPN backend on http://{settings.HOST}:{settings.PORT} ({settings.APP_ENV})")
    socketio.run(
        app,
        host=settings.HOST,
        port=settings.PORT,
        allow_unsafe_werkzeug=True,
        use_reloader=False,
        log_output=False,
    )
