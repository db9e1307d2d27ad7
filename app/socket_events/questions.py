"""ask_question and the controls of a running explanation."""

from __future__ import annotations

import threading
from typing import Any

from app.services.explanation_service import Caller
from app.socket_events.handling import container, socket_handler


@socket_handler("ask_question")
def ask_question(caller: Caller, payload: Any, gate: threading.Event) -> dict[str, Any]:
    interaction_id = container().explanations.ask(caller, payload, after=gate)
    return {"interaction_id": interaction_id}


@socket_handler("pause_explanation")
def pause_explanation(caller: Caller, payload: Any, _gate: threading.Event) -> dict[str, Any]:
    return container().explanations.pause(caller, payload)


@socket_handler("resume_explanation")
def resume_explanation(caller: Caller, payload: Any, gate: threading.Event) -> dict[str, Any]:
    position = container().explanations.resume(caller, payload, after=gate)
    return {"interaction_id": position["interaction_id"], "next_seq": position["next_seq"]}


@socket_handler("stop_explanation")
def stop_explanation(caller: Caller, payload: Any, _gate: threading.Event) -> dict[str, Any]:
    return container().explanations.stop(caller, payload)
