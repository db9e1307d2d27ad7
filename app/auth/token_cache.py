"""Remembered verifications: a small thread-safe LRU of token digest → claims."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verified:
    """A cached verification (or, for the remote check, a cached refusal)."""

    claims: dict[str, Any]
    exp: float
    kid: str | None
    fingerprint: str | None
    expires_mono: float | None = None


class BoundedCache:
    """Small thread-safe LRU map; a size of 0 disables it."""

    def __init__(self, size: int) -> None:
        self._size = max(0, size)
        self._data: OrderedDict[bytes, Verified] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Verified | None:
        if not self._size:
            return None
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                self._data.move_to_end(key)
            return entry

    def put(self, key: bytes, value: Verified) -> None:
        if not self._size:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def drop(self, key: bytes) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
