"""The curated answer bank: explanations written for the IPN exam's syllabus that
no engine computes (biology, history, Spanish, reading, science concepts).

Each exam area is one JSON file, `migrations/answer_bank/<area>.json`: a list of
entries `{area, topic, question, answer}`, `answer` in the explanation format.
`load_answer_bank` reads every file and refuses the whole bank, naming the entry,
when one is not fit to serve; `seed_database` stores the entries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.domain.explanation import Explanation
from app.domain.questions import MAX_QUESTION_CHARS
from app.utils.text_processing import question_key

TOPIC_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MIN_STEPS, MAX_STEPS = 2, 6
ENTRY_KEYS = frozenset({"area", "topic", "question", "answer"})


class AnswerBankError(ValueError):
    """An entry of the bank that cannot be served as written."""


@dataclass(frozen=True)
class BankEntry:
    area: str
    topic: str
    question: str
    answer: dict[str, Any]


def load_answer_bank(directory: Path) -> list[BankEntry]:
    """Every entry of every `<area>.json` in the folder, in file order.

    Topic ids are unique across the bank, and so are the questions' cache keys.
    """
    if not directory.is_dir():
        raise AnswerBankError(f"{directory}: the answer bank folder is missing")
    entries: list[BankEntry] = []
    topics: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            items = json.load(handle)
        if not isinstance(items, list) or not items:
            raise AnswerBankError(f"{path.name}: expected a non-empty list of entries")
        for index, item in enumerate(items):
            where = f"{path.name}[{index}]"
            entry = _entry(item, path.stem, where)
            for seen, value in ((topics, entry.topic), (keys, question_key(entry.question)[1])):
                if value in seen:
                    raise AnswerBankError(f"{where}: repeats {seen[value]} ({entry.topic})")
                seen[value] = where
            entries.append(entry)
    return entries


def _entry(item: Any, area: str, where: str) -> BankEntry:
    if not isinstance(item, dict) or set(item) != ENTRY_KEYS:
        raise AnswerBankError(f"{where}: an entry has exactly the keys {sorted(ENTRY_KEYS)}")
    if item["area"] != area:
        raise AnswerBankError(f"{where}: area {item['area']!r} in the file of {area!r}")
    topic, question = item["topic"], item["question"]
    if not isinstance(topic, str) or not TOPIC_ID.fullmatch(topic):
        raise AnswerBankError(f"{where}: topic {topic!r} is not a slug like 'leyes-de-mendel'")
    if not isinstance(question, str) or not question.strip() or question != question.strip():
        raise AnswerBankError(f"{where}: the question is a trimmed, non-empty string")
    if len(question) > MAX_QUESTION_CHARS:
        raise AnswerBankError(f"{where}: the question is over {MAX_QUESTION_CHARS} characters")
    try:
        explanation = Explanation.model_validate(item["answer"])
    except ValidationError as exc:
        raise AnswerBankError(f"{where} ({topic}): {exc}") from None
    if not MIN_STEPS <= len(explanation.steps) <= MAX_STEPS:
        raise AnswerBankError(f"{where} ({topic}): {MIN_STEPS} to {MAX_STEPS} steps")
    if explanation.to_json_dict() != item["answer"]:
        # Sanitizing dropped, clipped or rounded something: the author should fix it.
        raise AnswerBankError(f"{where} ({topic}): validation changes the answer")
    return BankEntry(area, topic, question, item["answer"])
