"""The pre-encoded Socket.IO text of a planned event decodes to exactly the event."""

from __future__ import annotations

import pytest
from socketio import packet

from app.domain.event_plan import PlannedEvent, plan_steps
from app.domain.explanation import Step
from app.socket_events.transport import encode

IID = "0b6f7a52-3c1d-4f6e-9a8b-1c2d3e4f5a6b"


def decode(text: str) -> list[object]:
    pkt = packet.Packet(encoded_packet=text)
    assert pkt.packet_type == packet.EVENT and pkt.namespace in (None, "/")
    return pkt.data


@pytest.mark.parametrize(
    "event",
    [
        PlannedEvent(
            "content_chunk", {"step_index": 0, "chunk_index": 3, "text": " señal"}, 1, 0, 3
        ),
        PlannedEvent("step_complete", {"step_index": 2}, 1, 2, -1),
        PlannedEvent(
            "explanation_start",
            {"question": 'dice "hola" \\ y\nmás', "total_steps": None},
            0,
            -1,
            -1,
        ),
        PlannedEvent(
            "canvas_command",
            {"step_index": 1, "command": {"op": "math", "x": 1, "y": 2, "latex": "\\frac{1}{2}"}},
            0.5,
            1,
            0,
        ),
        PlannedEvent("empty_payload", {}, 1, 0, 0),
    ],
    ids=lambda e: e.name,
)
def test_encoded_text_is_the_event_with_its_identity(event: PlannedEvent) -> None:
    head, mid, tail = encode(event)
    data = decode(head + IID + mid + "17" + tail)
    assert data == [event.name, {"interaction_id": IID, "seq": 17, **event.payload}]


def test_every_planned_event_of_a_step_round_trips() -> None:
    step = Step(title="Título «con» comillas", type="math", content="x^2 + \\sqrt{y} = 1",
                canvas_commands=[{"op": "text", "x": 10, "y": 20, "text": "ñandú"}])  # fmt: skip
    for seq, event in enumerate(plan_steps([step])[0]):
        head, mid, tail = encode(event)
        assert decode(head + IID + mid + str(seq) + tail)[1] == {
            "interaction_id": IID,
            "seq": seq,
            **event.payload,
        }
