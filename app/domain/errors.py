"""The typed refusal every use case raises: a protocol error code and its context.

What the student reads is chosen at the edge (`app/socket_events/messages.py`) from
the code and `reason`; a use case never writes user-facing text, except `text` for
messages an engine composes (the offline tutor's suggestions).
"""

from __future__ import annotations

from typing import Any

CODES = frozenset(
    {
        "unauthorized",
        "invalid_payload",
        "question_empty",
        "question_too_long",
        "rate_limited",
        "insufficient_credits",
        "not_found",
        "generation_failed",
        "ai_unavailable",
        "audio_invalid",
        "audio_too_large",
        "transcription_failed",
        "internal_error",
        "service_unavailable",  # a store is unreachable: retry after `retry_after` seconds
    }
)


class Refused(Exception):
    """A request refused with protocol code `code`.

    `reason` names the catalogue entry with the details (e.g. "gap"); `params` fill
    its placeholders; `interaction_id`, `voice_id` and `retry_after` go to the client.
    """

    def __init__(
        self,
        code: str,
        reason: str | None = None,
        *,
        retry_after: int | None = None,
        interaction_id: str | None = None,
        voice_id: str | None = None,
        text: str | None = None,
        **params: Any,
    ) -> None:
        if code not in CODES:
            raise ValueError(f"not a protocol error code: {code}")
        self.code = code
        self.reason = reason
        self.retry_after = retry_after
        self.interaction_id = interaction_id
        self.voice_id = voice_id
        self.text = text
        self.params = params
        super().__init__(f"{code}" + (f" ({reason})" if reason else ""))
