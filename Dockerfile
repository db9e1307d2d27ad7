# syntax=docker/dockerfile:1
# Production image: gunicorn's gevent worker serving the Flask-SocketIO app in gevent mode.
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

# One worker process (Socket.IO sessions live in it; scale out with more containers behind
# sticky sessions and SOCKETIO_MESSAGE_QUEUE) on gevent: bench/bench_streams.py measured
# twice the concurrent paced streams of threading mode on the same machine (600 vs 300). The gevent worker
# monkey-patches before loading wsgi.py (which patches too when loaded another way);
# --worker-connections caps open sockets (gunicorn's default is 1000).
# --no-control-socket: gunicorn 27 would otherwise open a socket under ~/.gunicorn.
# Extra flags can be added at run time through GUNICORN_CMD_ARGS. To go back to threads:
# SOCKETIO_ASYNC_MODE=threading and `--worker-class gthread --threads 100`.
ENV SOCKETIO_ASYNC_MODE=gevent
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "1", "--worker-class", "gevent", \
     "--worker-connections", "2000", "--no-control-socket", "--timeout", "120", \
     "--graceful-timeout", "30", "--access-logfile", "-", "wsgi:app"]
