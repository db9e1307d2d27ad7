"""One checker of the protocol's event grammar for one interaction (contract v1).

    [waiting_phrase]* explanation_start
      ( step_start (content_chunk | canvas_command)* step_complete )+
    explanation_complete

interrupted only by explanation_paused / explanation_resumed pairs, ended early
only by explanation_stopped or error. Every event from explanation_start on
carries `seq`, contiguous from 0; control events carry none.

The checker reads what one client received (possibly across reconnects) and
raises `GrammarError` naming the first offending event. A resume with a valid
`after_seq` legitimately re-sends events: pass `allow_rewind=True` and the
events the client already had from `next_seq` on are replaced by the resent
ones (this is what a client does), otherwise a repeated `seq` is a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.explanation import sanitize_command

SEQ_EVENTS = {
    "explanation_start",
    "step_start",
    "content_chunk",
    "canvas_command",
    "step_complete",
    "explanation_complete",
}
CONTROL_EVENTS = {
    "waiting_phrase",
    "explanation_paused",
    "explanation_resumed",
    "explanation_stopped",
    "error",
}
ERROR_CODES = {
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
    "service_unavailable",  # added by the outage issue, with retry_after
}
POSITION_KEYS = ("interaction_id", "step_index", "chunk_index", "next_seq")


class GrammarError(AssertionError):
    """The received events break the protocol; the message says where."""


@dataclass
class CheckedStream:
    """What the checker learned: the effective seq'd events and how the stream ended."""

    interaction_id: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # seq'd, in seq order
    waiting_phrases: int = 0
    pauses: int = 0
    resumes: int = 0
    rewinds: int = 0
    ended_by: str | None = None  # explanation_complete | explanation_stopped | error | None
    end_payload: dict[str, Any] | None = None

    @property
    def steps(self) -> int:
        return sum(1 for name, _ in self.events if name == "step_start")

    @property
    def complete(self) -> bool:
        return self.ended_by == "explanation_complete"

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


def _as_pairs(items: Iterable[Any]) -> list[tuple[str, Any]]:
    """Accept (name, payload) pairs or objects with .name and .data (RecordingClient)."""
    pairs: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, tuple):
            pairs.append((item[0], item[1]))
        else:
            pairs.append((item.name, item.data))
    return pairs


def _position_after(events: list[tuple[str, dict[str, Any]]]) -> tuple[int, int] | None:
    """(step_index, chunk_index) describing the last event sent, when inside a step."""
    if not events:
        return None
    name, last = events[-1]
    if name in ("explanation_start", "explanation_complete"):
        return None
    step = int(last["step_index"])
    chunk = -1
    for n, p in reversed(events):
        if n == "step_start" and p["step_index"] == step:
            break
        if n == "content_chunk" and p["step_index"] == step:
            chunk = int(p["chunk_index"])
            break
    return step, chunk


def check_interaction(
    items: Iterable[Any],
    interaction_id: str,
    *,
    expect_end: str | None = "explanation_complete",
    allow_rewind: bool = False,
    allow_resume_without_pause: bool = False,
) -> CheckedStream:
    """Check one interaction's events as one client received them.

    `items` may contain other events (other interactions, credits_updated, acks):
    only payloads whose `interaction_id` is `interaction_id` are checked.
    `expect_end` is the required terminal event name, or None for "not ended".
    """
    out = CheckedStream(interaction_id)
    seqd = out.events
    paused = False
    seen_resume_since_pause = True
    for index, (name, data) in enumerate(_as_pairs(items)):
        if name.startswith("ack:") or name in ("session_ready", "credits_updated"):
            continue  # acks and session events are not part of the stream
        if not isinstance(data, dict) or data.get("interaction_id") != interaction_id:
            continue
        where = f"event #{index} {name} {data!r:.300}"
        if out.ended_by is not None:
            raise GrammarError(f"event after the end ({out.ended_by}): {where}")
        if name in CONTROL_EVENTS:
            if "seq" in data:
                raise GrammarError(f"control event carries seq: {where}")
            if name == "waiting_phrase":
                if seqd:
                    raise GrammarError(f"waiting_phrase after explanation_start: {where}")
                if not isinstance(data.get("text"), str) or not data["text"]:
                    raise GrammarError(f"waiting_phrase without text: {where}")
                out.waiting_phrases += 1
            elif name == "explanation_paused":
                _check_position(data, where)
                if paused:
                    raise GrammarError(f"second explanation_paused without a resume: {where}")
                if data["next_seq"] != len(seqd):
                    raise GrammarError(
                        f"paused next_seq {data['next_seq']} but {len(seqd)} events received: "
                        f"{where}"
                    )
                _check_described(seqd, data, where)
                paused = True
                seen_resume_since_pause = False
                out.pauses += 1
            elif name == "explanation_resumed":
                _check_position(data, where)
                if not paused and not allow_resume_without_pause:
                    raise GrammarError(f"explanation_resumed without a pause: {where}")
                k = data["next_seq"]
                if k > len(seqd):
                    raise GrammarError(f"resumed at {k}, a gap after {len(seqd) - 1}: {where}")
                if k < len(seqd):
                    if not allow_rewind:
                        raise GrammarError(
                            f"resumed at {k} but {len(seqd)} events already received: {where}"
                        )
                    del seqd[k:]
                    out.rewinds += 1
                _check_described(seqd, data, where)
                paused = False
                seen_resume_since_pause = True
                out.resumes += 1
            elif name == "explanation_stopped":
                if data.get("reason") not in ("user", "replaced"):
                    raise GrammarError(f"bad stop reason: {where}")
                out.ended_by, out.end_payload = name, data
            elif name == "error":
                if data.get("code") not in ERROR_CODES or not isinstance(data.get("message"), str):
                    raise GrammarError(f"bad error payload: {where}")
                out.ended_by, out.end_payload = name, data
            continue
        if name not in SEQ_EVENTS:
            raise GrammarError(f"unknown event for an interaction: {where}")
        if paused or not seen_resume_since_pause:
            raise GrammarError(f"{name} sent while paused: {where}")
        seq = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise GrammarError(f"missing seq: {where}")
        if seq != len(seqd):
            kind = "duplicated" if seq < len(seqd) else "lost"
            raise GrammarError(f"seq {seq} where {len(seqd)} was due ({kind}): {where}")
        _check_grammar_step(seqd, name, data, where)
        seqd.append((name, data))
        if name == "explanation_complete":
            out.ended_by, out.end_payload = name, data
    if expect_end != out.ended_by:
        tail = out.names()[-3:]
        raise GrammarError(f"ended by {out.ended_by}, expected {expect_end}; last {tail}")
    return out


def _check_position(data: dict[str, Any], where: str) -> None:
    for key in POSITION_KEYS:
        if key not in data:
            raise GrammarError(f"{key} missing: {where}")
    for key in POSITION_KEYS[1:]:
        if not isinstance(data[key], int) or isinstance(data[key], bool):
            raise GrammarError(f"{key} not an int: {where}")


def _check_described(
    seqd: list[tuple[str, dict[str, Any]]], data: dict[str, Any], where: str
) -> None:
    expected = _position_after(seqd[: data["next_seq"]])
    if expected is not None and (data["step_index"], data["chunk_index"]) != expected:
        raise GrammarError(f"position {expected} expected: {where}")


def _check_grammar_step(
    seqd: list[tuple[str, dict[str, Any]]], name: str, data: dict[str, Any], where: str
) -> None:
    """Whether `name` may follow the events in `seqd`, and its payload is consistent."""
    previous = seqd[-1][0] if seqd else None
    steps = sum(1 for n, _ in seqd if n == "step_start")
    in_step = previous in ("step_start", "content_chunk", "canvas_command")
    allowed: set[str]
    if previous is None:
        allowed = {"explanation_start"}
    elif previous in ("explanation_start",):
        allowed = {"step_start"}
    elif in_step:
        allowed = {"content_chunk", "canvas_command", "step_complete"}
    elif previous == "step_complete":
        allowed = {"step_start", "explanation_complete"}
    else:
        allowed = set()
    if name not in allowed:
        raise GrammarError(f"{name} after {previous} (allowed {sorted(allowed)}): {where}")
    if name == "explanation_start":
        for key in (
            "question",
            "source",
            "total_steps",
            "total_duration",
            "credits_charged",
            "credits_remaining",
        ):
            if key not in data:
                raise GrammarError(f"explanation_start without {key}: {where}")
        if data["source"] not in ("cache", "generated"):
            raise GrammarError(f"bad source: {where}")
        if data["total_steps"] is not None and not isinstance(data["total_steps"], int):
            raise GrammarError(f"bad total_steps: {where}")
        return
    step = data.get("step_index")
    if name == "step_start":
        if step != steps:
            raise GrammarError(f"step_start {step}, expected {steps}: {where}")
        if data.get("type") not in ("text", "image", "math") or not isinstance(
            data.get("title"), str
        ):
            raise GrammarError(f"bad step_start: {where}")
        return
    if name == "explanation_complete":
        if data.get("total_steps") != steps:
            raise GrammarError(f"total_steps {data.get('total_steps')} != {steps}: {where}")
        start = seqd[0][1]
        if start["total_steps"] is not None and start["total_steps"] != steps:
            raise GrammarError(f"explanation_start.total_steps != {steps}: {where}")
        if not isinstance(data.get("duration_ms"), int) or data["duration_ms"] < 0:
            raise GrammarError(f"bad duration_ms: {where}")
        return
    if step != steps - 1:
        raise GrammarError(f"step_index {step} inside step {steps - 1}: {where}")
    if name == "content_chunk":
        chunks = [p for n, p in seqd if n == "content_chunk" and p["step_index"] == step]
        if data.get("chunk_index") != len(chunks):
            raise GrammarError(f"chunk_index {data.get('chunk_index')} != {len(chunks)}: {where}")
        if not isinstance(data.get("text"), str):
            raise GrammarError(f"content_chunk text not a string: {where}")
    elif name == "canvas_command":
        command = data.get("command")
        if sanitize_command(command) != command:
            raise GrammarError(f"invalid canvas command: {where}")


def strip_timing(items: Iterable[Any], interaction_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The seq'd events of one interaction without timing fields, for equality checks."""
    out = []
    for name, data in _as_pairs(items):
        if name in SEQ_EVENTS and isinstance(data, dict):
            if data.get("interaction_id") == interaction_id:
                body = {k: v for k, v in data.items() if k not in ("interaction_id", "duration_ms")}
                out.append((name, body))
    return out
