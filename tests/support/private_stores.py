"""A private Redis server and a private PostgreSQL cluster that a test can take down.

The shared servers of the suite must never be stopped, so fault-injection tests
start their own on free loopback ports, in a temporary folder:

- `PrivateRedis`: `redis-server --port N --save "" --appendonly no`.
- `PrivatePostgres`: `initdb` + `pg_ctl` on a temporary data directory, trust
  auth, the migrations applied to its database `guia`. As root (CI) the cluster
  runs as the `postgres` OS user, which owns the folder: PostgreSQL refuses root.

Both can be stopped and started again on the same port with the same data
(`stop()` / `start()`: the store is down, connections are refused), or frozen
with SIGSTOP and thawed with SIGCONT (`freeze()` / `thaw()`: the port still
accepts TCP connections but nothing answers, like a hung host).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

from tests.support.server import free_port


def _pg_bin() -> Path:
    """GUIA_TEST_PG_BIN, else the newest /usr/lib/postgresql/<major>/bin (Debian's layout)."""
    if os.environ.get("GUIA_TEST_PG_BIN"):
        return Path(os.environ["GUIA_TEST_PG_BIN"])
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
    if not found:
        return Path("/usr/lib/postgresql/15/bin")
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


PG_BIN = _pg_bin()
PG_USER = "postgres"  # the OS user and the database superuser
START_TIMEOUT_S = 20.0


def _wait(check: object, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout}s: {last}")


def _signal_tree(root_pid: int, sig: signal.Signals) -> None:
    """Send `sig` to a process and every descendant (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Field 4 of /proc/PID/stat is the parent; the name (field 2) may hold spaces.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class PrivateRedis:
    """A redis-server of this test only, on a free port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="guia_redis_"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        with (self.dir / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait(self._answers, f"redis on port {self.port}")

    def _answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_timeout=0.5, retry=None)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=2)

    def stop(self) -> None:
        """Shut the server down; its port refuses connections until `start()`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but never answered."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of this test only: its own data directory and port."""

    def __init__(self, dbname: str = "guia") -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="guia_pg_"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.dbname = dbname
        self.admin_url = f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"
        self.url = f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{dbname}"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            user = pwd.getpwnam(PG_USER)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            PG_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        from app.repositories.sql.migrations import upgrade

        upgrade(self.url)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", PG_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=50"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        _wait(self._answers, f"postgres on port {self.port}")

    def _answers(self) -> bool:
        with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, the port refuses new ones."""
        if self.postmaster_pid() is not None:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: the port accepts, nothing answers."""
        pid = self.postmaster_pid()
        assert pid is not None, "the cluster is not running"
        _signal_tree(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        pid = self.postmaster_pid()
        if pid is not None:
            _signal_tree(pid, signal.SIGCONT)

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return list(conn.execute(sql, params).fetchall())

    def close(self) -> None:
        try:
            self.thaw()
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
