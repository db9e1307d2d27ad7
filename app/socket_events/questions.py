"""ask_question and the controls of a running explanation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain.commands import AskQuestion, PauseExplanation, ResumeExplanation, StopExplanation
from app.socket_events.handling import socket_handler
from app.use_cases.admission import Admit, Repeated, admit
from app.use_cases.identity import Caller

if TYPE_CHECKING:
    from app.container import Container


@socket_handler("ask_question", AskQuestion)
def ask_question(c: Container, caller: Caller, cmd: AskQuestion) -> dict[str, Any]:
    ask = Admit(caller, cmd.question, cmd.generation_context, cmd.request_id)
    admitted = admit(ask, c.uow(), c.rules)
    if isinstance(admitted, Repeated):
        return {"interaction_id": admitted.interaction_id}
    c.interactions.start(ask, admitted)
    return {"interaction_id": admitted.interaction.id}


@socket_handler("pause_explanation", PauseExplanation)
def pause_explanation(c: Container, caller: Caller, cmd: PauseExplanation) -> dict[str, Any]:
    return c.interactions.pause(caller, cmd)


@socket_handler("resume_explanation", ResumeExplanation)
def resume_explanation(c: Container, caller: Caller, cmd: ResumeExplanation) -> dict[str, Any]:
    position = c.interactions.resume(caller, cmd)
    return {"interaction_id": position["interaction_id"], "next_seq": position["next_seq"]}


@socket_handler("stop_explanation", StopExplanation)
def stop_explanation(c: Container, caller: Caller, cmd: StopExplanation) -> dict[str, Any]:
    return c.interactions.stop(caller, cmd)
