"""Turns explanation steps into the protocol's ordered, paced events.

The plan is a pure function of the steps, so any instance can rebuild it and
resume at an exact `seq`; each event carries its offset from the start, and
the streamer sends event j at start + offset_j (pacing by deadline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.explanation import Step

WORD_WEIGHT = 1.0
COMMAND_WEIGHT = 0.5
STEP_START_WEIGHT = 2.0
STEP_END_WEIGHT = 1.0
MIN_UNIT_MS = 120.0  # fastest reading pace for one word
MAX_UNIT_MS = 600.0  # slowest
GENERATED_UNIT_MS = 250.0  # pace while the total length is not known yet


@dataclass(frozen=True)
class PlannedEvent:
    name: str
    payload: dict[str, Any]  # without interaction_id and seq
    weight: float
    step_index: int
    chunk_index: int  # last chunk sent of this step after this event (-1 = none)
    # A transport's encoding of the payload, made once and kept with the event (a cached
    # answer's events are shared by every stream of it): not part of the plan itself.
    encoded: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def split_words(content: str) -> list[str]:
    """Word-sized chunks that concatenate back to the content exactly."""
    chunks: list[str] = []
    current = ""
    for ch in content:
        if ch.isspace() and current and not current[-1].isspace():
            chunks.append(current)
            current = ch
        else:
            current += ch
    if current:
        chunks.append(current)
    return chunks


def plan_step(step: Step, step_index: int) -> list[PlannedEvent]:
    """step_start, chunks with canvas commands spread among them, step_complete."""
    events = [
        PlannedEvent(
            "step_start",
            {"step_index": step_index, "title": step.title, "type": step.type},
            STEP_START_WEIGHT,
            step_index,
            -1,
        )
    ]
    chunks = split_words(step.content)
    commands = step.canvas_commands
    # Canvas command k goes before chunk floor(k * n / m): the drawing keeps up with the text.
    slots: dict[int, list[dict[str, Any]]] = {}
    for k, command in enumerate(commands):
        slots.setdefault((k * len(chunks)) // max(1, len(commands)), []).append(command)
    last_chunk = -1
    for i in range(max(len(chunks), 1)):
        for command in slots.get(i, []):
            events.append(
                PlannedEvent(
                    "canvas_command",
                    {"step_index": step_index, "command": command},
                    COMMAND_WEIGHT,
                    step_index,
                    last_chunk,
                )
            )
        if i < len(chunks):
            last_chunk = i
            events.append(
                PlannedEvent(
                    "content_chunk",
                    {"step_index": step_index, "chunk_index": i, "text": chunks[i]},
                    WORD_WEIGHT,
                    step_index,
                    i,
                )
            )
    events.append(
        PlannedEvent(
            "step_complete", {"step_index": step_index}, STEP_END_WEIGHT, step_index, last_chunk
        )
    )
    return events


def plan_steps(steps: list[Step]) -> list[list[PlannedEvent]]:
    """The events of every step, in order; computed once per stored answer and reused."""
    return [plan_step(step, index) for index, step in enumerate(steps)]


def unit_ms(
    steps: list[Step], total_duration_s: float, planned: list[list[PlannedEvent]] | None = None
) -> float:
    """Milliseconds per unit of weight so the whole lasts about total_duration.

    `planned` (the steps' events from `plan_steps`) saves planning the steps twice.
    """
    events = planned if planned is not None else plan_steps(steps)
    weight = sum(e.weight for step_events in events for e in step_events)
    if weight <= 0:
        return MIN_UNIT_MS
    return min(MAX_UNIT_MS, max(MIN_UNIT_MS, total_duration_s * 1000.0 / weight))


@dataclass
class EventPlan:
    """The growing list of an interaction's events with their offsets (ms)."""

    header: dict[str, Any]
    unit_ms: float
    events: list[PlannedEvent] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)
    steps: int = 0
    complete: bool = False

    def __post_init__(self) -> None:
        self._append(PlannedEvent("explanation_start", self.header, 0.0, -1, -1))

    def _append(self, event: PlannedEvent) -> None:
        previous = self.offsets[-1] if self.offsets else 0.0
        self.events.append(event)
        self.offsets.append(previous + event.weight * self.unit_ms)

    def add_step(self, step: Step) -> None:
        self.add_planned(plan_step(step, self.steps))

    def add_planned(self, events: list[PlannedEvent]) -> None:
        """Append the events of the next step, already planned (`plan_step(step, self.steps)`)."""
        for event in events:
            self._append(event)
        self.steps += 1

    def finish(self) -> None:
        """Close the plan with explanation_complete (duration filled in when sent)."""
        if not self.complete:
            self._append(
                PlannedEvent(
                    "explanation_complete",
                    {"total_steps": self.steps},
                    STEP_END_WEIGHT,
                    self.steps - 1,
                    -1,
                )
            )
            self.complete = True

    def __len__(self) -> int:
        return len(self.events)
