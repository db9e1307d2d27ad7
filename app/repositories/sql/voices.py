"""`voice_interactions`: one row per voice clip completed."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from app.domain.records import (
    VoiceInteraction,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    utc_now,
)

VOICE_UPDATABLE = frozenset(
    {"interaction_id", "format", "bytes", "duration_s", "transcript", "status", "error_code"}
)


class SqlVoiceRepository(SqlRepository):
    table = "voice_interactions"
    _COLUMNS = ", ".join(f.name for f in fields(VoiceInteraction))

    def add(self, voice: VoiceInteraction) -> None:
        values = {f.name: getattr(voice, f.name) for f in fields(VoiceInteraction)}
        values["created_at"] = values["created_at"] or utc_now()
        self._insert(values)

    def get(self, voice_id: str) -> VoiceInteraction | None:
        key = self._id_or_none(voice_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM voice_interactions WHERE id = %s", (key,))
        return self._record(VoiceInteraction, row)

    def update(self, voice_id: str, **fields_: Any) -> None:
        self._update(voice_id, fields_, VOICE_UPDATABLE)
