"""Debits per second under 32-way contention on local Postgres, and anomalies.

Two workloads in one run: 32 threads debiting ONE user (a hot row: every debit
waits for the previous commit) and 32 threads debiting 32 users. Anomalies are
counted after the run: balance != -SUM(ledger), a negative balance, applied
debits != ledger rows, or more debits applied than the balance allowed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.repositories.sql import PostgresDatabase  # noqa: E402
from app.repositories.sql.migrations import upgrade  # noqa: E402

BASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
THREADS = int(os.environ.get("BENCH_THREADS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
RESULTS = Path(__file__).resolve().parent / "results" / "credits.json"


def _db_url(name: str) -> str:
    head, _, _ = BASE_URL.rpartition("/")
    return f"{head}/{name}"


def run(db: PostgresDatabase, users: list[str], opening: int) -> dict[str, float | int]:
    stop = time.monotonic() + SECONDS
    counts = {"applied": 0, "insufficient": 0, "errors": 0}
    lock = threading.Lock()

    def worker(index: int) -> None:
        user = users[index % len(users)]
        local = {"applied": 0, "insufficient": 0, "errors": 0}
        while time.monotonic() < stop:
            try:
                with db.unit_of_work() as uow:
                    change = uow.credits.apply_change(
                        user, 1, "question_cached", f"bench:{uuid.uuid4()}"
                    )
                    uow.commit()
                local["applied" if change.applied else "insufficient"] += 1
            except Exception:
                local["errors"] += 1
        with lock:
            for key, value in local.items():
                counts[key] += value

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with db.unit_of_work() as uow:
        mismatches = uow.credits.ledger_mismatches()
        profiles = [uow.profiles.get(u) for u in users]
    anomalies = len(mismatches) + sum(1 for p in profiles if p is None or p.credits < 0)
    spent = sum(opening - p.credits for p in profiles if p is not None)
    anomalies += int(spent != counts["applied"]) + counts["errors"]
    return {
        "threads": THREADS,
        "users": len(users),
        "seconds": round(elapsed, 2),
        "debits": counts["applied"],
        "debits_per_s": round(counts["applied"] / elapsed, 1),
        "refused_insufficient": counts["insufficient"],
        "anomalies": anomalies,
    }


def main() -> None:
    name = f"bench_credits_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _db_url(name)
    try:
        upgrade(url)
        db = PostgresDatabase(url, min_size=THREADS, max_size=THREADS)
        opening = 10_000_000
        hot = [str(uuid.uuid4())]
        spread = [str(uuid.uuid4()) for _ in range(THREADS)]
        with db.unit_of_work() as uow:
            for user in hot + spread:
                uow.credits.ensure_profile(user, None, opening)
            uow.commit()
        results = {
            "one_user_32_threads": run(db, hot, opening),
            "32_users_32_threads": run(db, spread, opening),
        }
        db.close()
    finally:
        with psycopg.connect(BASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for label, figures in results.items():
        print(
            f"{label}: {figures['debits_per_s']} debits/s "
            f"({figures['debits']} in {figures['seconds']} s), anomalies {figures['anomalies']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
