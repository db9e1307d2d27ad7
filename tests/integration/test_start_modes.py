"""gevent mode refuses to serve on an unpatched standard library, whatever the entry point.

Each case is a real process: `flask run`, a bare `create_app()`, gunicorn with a
non-gevent worker (refused), and the entry points that patch first, gunicorn's gevent
worker and an operator CLI command (allowed). SQLite and the in-process Redis: no
shared store is involved.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from async_boot import UNPATCHED_MESSAGE
from tests.support.server import REPO_ROOT, base_env, free_port

BIN = Path(sys.executable).parent


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **base_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'guia.db'}",
            REDIS_URL="memory://",
            SOCKETIO_ASYNC_MODE="gevent",
        ),
        "PYTHONPATH": str(REPO_ROOT),
    }


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=90)


def assert_refused(done: subprocess.CompletedProcess[str], code: int = 2) -> None:
    assert done.returncode == code, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("guia:")]
    assert lines == [f"guia: {UNPATCHED_MESSAGE}"], done.stderr[-2000:]


def test_flask_run_in_gevent_mode_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    port = str(free_port())
    assert_refused(run([str(BIN / "flask"), "--app", "app", "run", "--port", port], env, tmp_path))


def test_a_bare_create_app_in_gevent_mode_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    code = "from app import create_app; create_app()"
    assert_refused(run([sys.executable, "-c", code], env, tmp_path))


def test_gunicorn_with_a_thread_worker_stops_instead_of_respawning(
    env: dict[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    command = [
        str(BIN / "gunicorn"),
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{free_port()}",
        "--worker-class",
        "gthread",
        "app:create_app()",
    ]
    done = run(command, env, tmp_path)
    assert_refused(done, code=3)  # gunicorn's "worker failed to boot": the arbiter halts
    assert "Worker failed to boot" in done.stderr
    assert time.monotonic() - started < 60


def test_patching_first_starts(env: dict[str, str], tmp_path: Path) -> None:
    code = (
        "import async_boot; async_boot.patch_if_gevent()\n"
        "from app import create_app; create_app(); print('started')"
    )
    done = run([sys.executable, "-c", code], env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "started"


def test_gunicorns_gevent_worker_serves(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gevent",
        "wsgi:app",
    ]
    proc = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "gunicorn's gevent worker never served"
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_operator_command_runs_in_gevent_mode(env: dict[str, str], tmp_path: Path) -> None:
    """`flask --app app credits verify` serves nothing, so it needs no patching (the image
    sets SOCKETIO_ASYNC_MODE=gevent, and operators run commands in it)."""
    done = run([str(BIN / "flask"), "--app", "app", "credits", "verify"], env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "guia:" not in done.stderr


def test_threading_mode_needs_no_patching(env: dict[str, str], tmp_path: Path) -> None:
    code = "from app import create_app; create_app(); print('started')"
    done = run([sys.executable, "-c", code], {**env, "SOCKETIO_ASYNC_MODE": "threading"}, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "started"
