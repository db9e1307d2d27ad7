# syntax=docker/dockerfile:1
# Production image: `python run.py` serving the Flask-SocketIO app in gevent mode (gevent-websocket).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

# Dependencies first, so code changes reuse this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=app:app . .
RUN mkdir -p /app/instance && chown app:app /app/instance

USER app

ENV APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `python run.py` serves as measured in the README's benchmark: gevent's pywsgi with
# gevent-websocket's handler, SERVER_WORKERS processes on one port (SO_REUSEPORT), each a
# whole instance sharing Redis (message queue, sessions, stream positions) and Postgres.
# Set SERVER_WORKERS to the container's cores; websocket-only clients need no sticky
# routing between the workers. SIGTERM pauses every stream at a resumable position.
# gunicorn works too (the image has it): GeventWebSocketWorker, one worker per process:
#   gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 wsgi:app
ENV SOCKETIO_ASYNC_MODE=gevent \
    SERVER_WORKERS=1
CMD ["python", "run.py"]
