"""Embedders: a question's canonical text → a unit vector.

`WordLlamaEmbedder` (the default) loads the 256-dimension weights and tokenizer that
the `wordllama` wheel carries, from the installed package only: it never looks at a
hub or a cache folder, so it works offline and the same in `make run` and the tests.
`OpenAIEmbedder` calls the embeddings endpoint of any OpenAI-compatible server through
the official client. Each embedder names its model (`key`): vectors stored under
another key are recomputed at start.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    key: str  # model and version of the vectors; stored with each vector
    dim: int
    threshold: float  # calibrated least cosine similarity of a hit (bench/eval_cache.py)

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalized float32 row per text."""
        ...


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class WordLlamaEmbedder:
    """wordllama's l2_supercat model at 256 dimensions, loaded from its wheel."""

    dim = 256
    threshold = 0.80

    def __init__(self) -> None:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(wordllama.__file__).resolve().parent
        weights = root / "weights" / "l2_supercat_256.safetensors"
        tokenizer = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
        with safe_open(str(weights), framework="np", device="cpu") as f:
            embedding = f.get_tensor("embedding.weight")
        self._model = WordLlamaInference(embedding, Tokenizer.from_file(str(tokenizer)))
        self.key = f"wordllama-{wordllama.__version__}-l2_supercat_{self.dim}"

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.embed([t or " " for t in texts], norm=True)
        return _unit_rows(np.atleast_2d(vectors))


class OpenAIEmbedder:
    """OpenAI's embeddings endpoint (`text-embedding-3-small` unless told)."""

    threshold = 0.80

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "text-embedding-3-small",
        dim: int = 512,
        timeout_s: float = 5.0,
        client: Any = None,
    ) -> None:
        if client is None:
            from openai import OpenAI

            client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=1)
        self._client = client
        self.model = model
        self.dim = dim
        self.key = f"openai-{model}-{dim}"
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        response = self._client.embeddings.create(
            model=self.model,
            input=[t or " " for t in texts],
            dimensions=self.dim,
            encoding_format="float",
        )
        rows = sorted(response.data, key=lambda d: d.index)
        vectors = np.array([row.embedding for row in rows], dtype=np.float32)
        if vectors.shape != (len(texts), self.dim):
            raise ValueError(f"embeddings endpoint answered shape {vectors.shape}")
        return _unit_rows(vectors)


def make_embedder(choice: str, settings: Any) -> Embedder:
    """`auto`: OpenAI when OPENAI_API_KEY is set, else wordllama."""
    if choice == "openai" or (choice == "auto" and settings.OPENAI_API_KEY):
        return OpenAIEmbedder(
            settings.OPENAI_API_KEY or "",
            settings.OPENAI_BASE_URL,
            settings.SEMANTIC_CACHE_OPENAI_MODEL,
            timeout_s=min(settings.AI_TIMEOUT_S, 5.0),
        )
    return WordLlamaEmbedder()
