"""Regenerate migrations/003_seed_data.sql from migrations/seed_data.json.

Usage: python scripts/gen_seed_sql.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.repositories.seed import SEED_SQL, load_seed_data, render_seed_sql  # noqa: E402


def main(argv: list[str]) -> int:
    text = render_seed_sql(load_seed_data())
    if "--check" in argv:
        current = SEED_SQL.read_text(encoding="utf-8") if SEED_SQL.exists() else ""
        if current != text:
            print(f"{SEED_SQL} is out of date: run python scripts/gen_seed_sql.py")
            return 1
        print(f"{SEED_SQL} is up to date")
        return 0
    SEED_SQL.write_text(text, encoding="utf-8")
    print(f"wrote {SEED_SQL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
