"""Token verification throughput on one core against the local JWKS server.

Run: `.venv/bin/python bench/bench_auth.py`. Prints the figures and writes them
to bench/results/auth.json. "cold" means every verification checks an ES256
signature; "warm" means the token was verified before and comes from the
bounded verified-token cache (exp re-checked on every hit).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from app.auth.verifier import TokenVerifier  # noqa: E402
from app.config import Settings  # noqa: E402
from tests.support.jwks_server import FakeSupabaseAuth  # noqa: E402

N_TOKENS = 1_000
COLD_REPEATS = 5
WARM_REPEATS = 20
_ECDSA = ec.ECDSA(hashes.SHA256())


def _rate(verifier: TokenVerifier, tokens: list[str], repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        for token in tokens:
            if verifier.verify(token) is None:
                raise SystemExit("a valid token was refused")
    return repeats * len(tokens) / (time.perf_counter() - started)


def main() -> dict[str, object]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    server = FakeSupabaseAuth()
    key = server.add_key("ES256", kid="bench-es")
    server.start()
    try:
        settings = Settings(_env_file=None, APP_ENV="test", SUPABASE_URL=server.url)  # type: ignore[call-arg]
        tokens = [server.sign(key, sub=str(uuid.uuid4())) for _ in range(N_TOKENS)]
        warmup_tokens = [server.sign(key, sub=str(uuid.uuid4())) for _ in range(200)]

        # Warm-up of imports and code paths on a throwaway verifier.
        throwaway = TokenVerifier(settings)
        _rate(throwaway, warmup_tokens, 2)
        throwaway.close()

        # A fresh verifier sees the 1,000 tokens for the first time: signatures + JWKS.
        fetches_before = server.jwks_fetches
        verifier = TokenVerifier(settings)
        first_pass = _rate(verifier, tokens, 1)
        fetches = server.jwks_fetches - fetches_before
        warm = _rate(verifier, tokens, WARM_REPEATS)
        fetches_total = server.jwks_fetches - fetches_before
        verifier.close()

        # Signature-only throughput, cache disabled, over several passes.
        no_cache = TokenVerifier(settings, verified_cache_size=0)
        _rate(no_cache, tokens[:50], 1)
        cold = _rate(no_cache, tokens, COLD_REPEATS)
        no_cache.close()

        # Ceiling: the bare ECDSA P-256 verify in `cryptography`, without any JWT work.
        public, signature = key.private.public_key(), key.private.sign(b"x" * 300, _ECDSA)
        started = time.perf_counter()
        for _ in range(5_000):
            public.verify(signature, b"x" * 300, _ECDSA)
        raw = 5_000 / (time.perf_counter() - started)
    finally:
        server.stop()

    result: dict[str, object] = {
        "tokens": N_TOKENS,
        "algorithm": "ES256",
        "cold_signature_verifications_per_s": round(cold),
        "first_pass_verifications_per_s": round(first_pass),
        "warm_cached_verifications_per_s": round(warm),
        "raw_ecdsa_p256_verify_per_s": round(raw),
        "jwks_fetches_for_1000_tokens": fetches,
        "jwks_fetches_including_warm_passes": fetches_total,
        "target_verifications_per_s": 10_000,
        "cores": 1,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    out = ROOT / "bench" / "results" / "auth.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, value in result.items():
        print(f"{name}: {value}")
    return result


if __name__ == "__main__":
    main()
