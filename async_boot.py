"""Monkey-patch for gevent before anything else is imported, when the setting asks for it.

Imported first by the entry points (run.py, wsgi.py). It must not import the `app`
package (which imports Flask, threading, ssl, psycopg…): gevent has to patch the
standard library before those modules bind to the blocking versions, and psycopg
picks its cooperative wait function only when it sees `select` patched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SETTING = "SOCKETIO_ASYNC_MODE"
# What gevent's patch_all replaces that the server relies on: sockets, select (psycopg's
# cooperative wait), threads (background tasks, locks).
PATCHED_MODULES = ("socket", "select", "threading")
GUNICORN_BOOT_ERROR = 3  # gunicorn.arbiter.Arbiter.WORKER_BOOT_ERROR
UNPATCHED_MESSAGE = (
    "SOCKETIO_ASYNC_MODE=gevent, but the standard library is not monkey-patched: start with "
    "`python run.py` or `gunicorn --worker-class gevent wsgi:app`, "
    "or set SOCKETIO_ASYNC_MODE=threading"
)


def configured_mode(env_file: Path | None = None) -> str:
    """The async mode the settings will see: the environment first, then `.env`.

    Mirrors pydantic-settings' precedence (environment over `.env` in the working
    directory) for this one name, without importing it.
    """
    value = os.environ.get(SETTING)
    if value is None:
        path = env_file if env_file is not None else Path(".env")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            name, sep, raw = line.strip().partition("=")
            if sep and name.strip().removeprefix("export ").strip() == SETTING:
                value = raw.split(" #", 1)[0].strip().strip("'\"")
    return (value or "threading").strip()


def patch_if_gevent() -> str:
    """Monkey-patch the standard library when the mode is gevent; return the mode."""
    mode = configured_mode()
    if mode == "gevent":
        # gevent records a parent/spawn tree per greenlet (23 frames each): memory per
        # connection, used only by its debugging tools.
        os.environ.setdefault("GEVENT_TRACK_GREENLET_TREE", "0")
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            monkey.patch_all()
    return mode


def stdlib_patched() -> bool:
    """Whether gevent has patched the modules the gevent mode needs."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return all(monkey.is_module_patched(name) for name in PATCHED_MODULES)


def serving_command() -> bool:
    """False inside a Flask CLI command other than `run` (`db upgrade`, `credits`...),
    which serves no socket and needs no patching; True everywhere else."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name == "run"


def exit_unless_patched(mode: str) -> None:
    """Refuse to serve in gevent mode on an unpatched standard library: one line, exit 2.

    Entry points other than run.py and wsgi.py (`flask run`, gunicorn with another
    worker class, an app factory string) would otherwise serve with blocking sockets
    and real threads under a gevent server, which stalls instead of failing. In a
    gunicorn worker the code is gunicorn's "worker failed to boot" (3): the arbiter
    then stops with it, where any other code makes it respawn the worker forever.
    """
    if mode == "gevent" and serving_command() and not stdlib_patched():
        print(f"guia: {UNPATCHED_MESSAGE}", file=sys.stderr)
        raise SystemExit(GUNICORN_BOOT_ERROR if "gunicorn" in sys.modules else 2)
