"""The curated answer bank: every entry is fit to serve as written, and the loader
refuses a bank that is not."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.domain.explanation import BOARD_HEIGHT, BOARD_WIDTH, Explanation, sanitize_command
from app.repositories.answer_bank import AnswerBankError, BankEntry, load_answer_bank
from app.repositories.seed import ANSWER_BANK_DIR, load_seed_data
from app.utils.text_processing import question_key

BANK = load_answer_bank(ANSWER_BANK_DIR)
AREAS = {
    "biologia",
    "historia",
    "espanol",
    "comprension_lectora",
    "quimica",
    "fisica",
    "matematicas",
}
# How wide board text is drawn: the web client's system-ui font averages about half
# an em per glyph (the same estimate the offline engine's layout wraps with).
GLYPH_EM = 0.52
LINE_EM = 1.25  # the whiteboard's line height for multi-line text


def test_at_least_150_entries_over_the_seven_areas() -> None:
    per_area = Counter(entry.area for entry in BANK)
    assert set(per_area) == AREAS
    assert sum(per_area.values()) >= 150
    assert min(per_area.values()) >= 15


def test_topics_and_cache_keys_are_unique_and_apart_from_the_example_answers() -> None:
    assert len({entry.topic for entry in BANK}) == len(BANK)
    bank_keys = {question_key(entry.question)[1] for entry in BANK}
    assert len(bank_keys) == len(BANK)
    examples = {question_key(item["question"])[1] for item in load_seed_data()["answers"]}
    assert not bank_keys & examples  # add_if_absent would silently keep the example instead


@pytest.mark.parametrize("entry", BANK, ids=[entry.topic for entry in BANK])
def test_entry_is_served_exactly_as_written(entry: BankEntry) -> None:
    explanation = Explanation.model_validate(entry.answer)
    assert explanation.to_json_dict() == entry.answer
    assert 2 <= len(explanation.steps) <= 6
    assert entry.answer["steps"][0]["canvas_commands"][0] == {"op": "clear"}
    drawn = [c for step in entry.answer["steps"] for c in step["canvas_commands"]]
    assert len(drawn) > 3, "every entry draws on the board"
    for command in drawn:
        assert sanitize_command(command) == command


@pytest.mark.parametrize("entry", BANK, ids=[entry.topic for entry in BANK])
def test_board_text_fits_on_the_board(entry: BankEntry) -> None:
    for step in entry.answer["steps"]:
        for command in step["canvas_commands"]:
            if command["op"] != "text":
                continue
            lines = command["text"].split("\n")
            size = command["size"]
            right = command["x"] + max(len(line) for line in lines) * size * GLYPH_EM
            bottom = command["y"] + (len(lines) - 0.5) * size * LINE_EM
            assert right <= BOARD_WIDTH, command["text"]
            assert bottom <= BOARD_HEIGHT, command["text"]


@pytest.mark.parametrize("entry", BANK, ids=[entry.topic for entry in BANK])
def test_latex_braces_balance(entry: BankEntry) -> None:
    formulas = [s["content"] for s in entry.answer["steps"] if s["type"] == "math"]
    formulas += [
        c["latex"] for s in entry.answer["steps"] for c in s["canvas_commands"] if c["op"] == "math"
    ]
    for latex in formulas:
        depth = 0
        for char in latex.replace("\\{", "").replace("\\}", ""):
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, latex
        assert depth == 0, latex


# --------------------------------------------------------------------------- the loader


def _entry(**overrides: Any) -> dict[str, Any]:
    item = {
        "area": "biologia",
        "topic": "la-celula",
        "question": "¿Qué es la célula?",
        "answer": {
            "steps": [
                {
                    "title": "Idea",
                    "type": "text",
                    "content": "La célula es la unidad de la vida.",
                    "canvas_commands": [{"op": "clear"}],
                },
                {
                    "title": "Dibujo",
                    "type": "image",
                    "content": "Una célula.",
                    "canvas_commands": [{"op": "circle", "x": 300, "y": 300, "r": 100}],
                },
            ],
            "total_duration": 30,
        },
    }
    item.update(overrides)
    return item


def _write(folder: Path, name: str, items: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return folder


def test_loader_reads_a_valid_folder(tmp_path: Path) -> None:
    folder = _write(tmp_path / "bank", "biologia.json", [_entry()])
    _write(folder, "historia.json", [_entry(area="historia", topic="t2", question="¿Y esto?")])
    entries = load_answer_bank(folder)
    assert [(e.area, e.topic) for e in entries] == [("biologia", "la-celula"), ("historia", "t2")]


def _clipped() -> dict[str, Any]:
    item = _entry()
    item["answer"]["steps"][1]["canvas_commands"] = [
        {"op": "circle", "x": 1270, "y": 300, "r": 100}
    ]
    return item


def _dropped() -> dict[str, Any]:
    item = _entry()
    item["answer"]["steps"][1]["canvas_commands"] = [{"op": "sparkle", "x": 1, "y": 1}]
    return item


def _one_step() -> dict[str, Any]:
    item = _entry()
    del item["answer"]["steps"][1]
    return item


def _seven_steps() -> dict[str, Any]:
    item = _entry()
    item["answer"]["steps"] = [copy.deepcopy(item["answer"]["steps"][1]) for _ in range(7)]
    return item


def _upper_colour() -> dict[str, Any]:
    item = _entry()
    item["answer"]["steps"][1]["canvas_commands"][0]["color"] = "#FF0000"
    return item


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "non-empty list"),
        ([_entry(area="historia")], "area 'historia'"),
        ([_entry(topic="La Célula")], "not a slug"),
        ([_entry(question=" ¿Qué es? ")], "trimmed"),
        ([_entry(question="x" * 1001)], "over 1000"),
        ([{**_entry(), "extra": 1}], "exactly the keys"),
        ([_entry(), _entry(question="¿Otra?")], "repeats"),
        ([_entry(), _entry(topic="otro", question="que es la celula")], "repeats"),
        ([_clipped()], "validation changes"),
        ([_dropped()], "validation changes"),
        ([_upper_colour()], "validation changes"),
        ([_one_step()], "2 to 6 steps"),
        ([_seven_steps()], "2 to 6 steps"),
        ([_entry(answer={"steps": []})], "steps"),
    ],
    ids=[
        "empty-file",
        "wrong-area",
        "bad-topic",
        "untrimmed-question",
        "long-question",
        "extra-key",
        "repeated-topic",
        "repeated-question-key",
        "clipped-command",
        "dropped-command",
        "upper-case-colour",
        "one-step",
        "seven-steps",
        "invalid-answer",
    ],
)
def test_loader_refuses_an_entry_that_would_not_be_served_as_written(
    tmp_path: Path, items: list[Any], message: str
) -> None:
    folder = _write(tmp_path / "bank", "biologia.json", items)
    with pytest.raises(AnswerBankError, match=message):
        load_answer_bank(folder)


def test_loader_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AnswerBankError, match="missing"):
        load_answer_bank(tmp_path / "nowhere")
