"""The client events as typed commands, validated once at the edge.

`app/socket_events/parsing.py` turns a payload into one of these (or a protocol
error); use cases receive only these. Unknown extra fields are ignored, types
are strict (no "1" for 1, no true for an integer), and the protocol's order of
checks is the order of the fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from app.domain.questions import GenerationContext, Question, question_problem, question_text

AUDIO_FORMATS = ("webm", "ogg", "wav", "mp3", "m4a")
MAX_REQUEST_ID_CHARS = 64
MAX_ID_CHARS = 64


def _question(raw: str) -> Question:
    text = question_text(raw)
    problem = question_problem(text)
    if problem:
        raise PydanticCustomError(problem, problem)
    return Question.of(text)


QuestionText = Annotated[StrictStr, AfterValidator(_question)]
# A request id is stored with the interaction: no NUL (see `question_text`).
RequestId = Annotated[
    StrictStr, Field(min_length=1, max_length=MAX_REQUEST_ID_CHARS, pattern=r"^[^\x00]*$")
]
ObjectId = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_CHARS)]


class Command(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)


class AskQuestion(Command):
    question: QuestionText
    request_id: RequestId | None = None
    context: dict[str, Any] | None = None

    @property
    def generation_context(self) -> GenerationContext:
        return GenerationContext.from_payload(self.context)


class PauseExplanation(Command):
    interaction_id: StrictStr | None = None


class ResumeExplanation(Command):
    interaction_id: StrictStr | None = None
    after_seq: StrictInt | None = None


class StopExplanation(Command):
    interaction_id: StrictStr | None = None


class VoiceStart(Command):
    format: Literal["webm", "ogg", "wav", "mp3", "m4a"]
    language: Literal["es", "en"] | None = None
    context: dict[str, Any] | None = None


class VoiceChunk(Command):
    voice_id: ObjectId
    seq: Annotated[StrictInt, Field(ge=0)]
    data: StrictStr


class VoiceComplete(Command):
    voice_id: ObjectId
    data: StrictStr | None = None
    transcript: StrictStr | None = None
    request_id: RequestId | None = None
