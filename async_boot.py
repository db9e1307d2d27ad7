"""Monkey-patch for gevent before anything else is imported, when the setting asks for it.

Imported first by the entry points (run.py, wsgi.py). It must not import the `app`
package (which imports Flask, threading, ssl, psycopg…): gevent has to patch the
standard library before those modules bind to the blocking versions, and psycopg
picks its cooperative wait function only when it sees `select` patched.
"""

from __future__ import annotations

import os
from pathlib import Path

SETTING = "SOCKETIO_ASYNC_MODE"


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
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            monkey.patch_all()
    return mode
