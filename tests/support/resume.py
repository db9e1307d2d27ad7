"""Finish an explanation on another connection and check it whole, as a client does."""

from __future__ import annotations

from tests.support.grammar import check_interaction
from tests.support.server import Received, RecordingClient


def resume_and_check(
    client: RecordingClient, interaction_id: str, received: list[Received]
) -> None:
    """Resume after the last `seq` in `received` (what an earlier connection got), wait
    for the end, and check the two parts together: nothing lost or repeated."""
    last_seq = received[-1].data["seq"]
    resumed = client.call(
        "resume_explanation", {"interaction_id": interaction_id, "after_seq": last_seq}
    )
    assert resumed["ok"] is True and resumed["next_seq"] == last_seq + 1
    client.wait_for(
        "explanation_complete", timeout=30, where=lambda d: d["interaction_id"] == interaction_id
    )
    tail = [e for e in client.events(interaction_id) if e.name != "explanation_resumed"]
    check_interaction(received + tail, interaction_id)
