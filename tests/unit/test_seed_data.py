"""The seed file is valid content and 003_seed_data.sql is generated from it."""

from __future__ import annotations

import re

import pytest

from app.domain.explanation import BOARD_HEIGHT, BOARD_WIDTH, Explanation, sanitize_command
from app.repositories.seed import SEED_SQL, load_seed_data, render_seed_sql
from app.utils.text_processing import question_key

DATA = load_seed_data()
ANSWERS = DATA["answers"]


def test_sql_is_in_sync_with_json() -> None:
    assert SEED_SQL.read_text(encoding="utf-8") == render_seed_sql(
        DATA
    ), "run: python scripts/gen_seed_sql.py"


def test_sql_carries_the_computed_cache_keys() -> None:
    text = SEED_SQL.read_text(encoding="utf-8")
    for item in ANSWERS:
        normalized, digest = question_key(item["question"])
        assert f"'{digest}'" in text
        assert "'" + normalized.replace("'", "''") + "'" in text


def test_plans() -> None:
    plans = {p["id"]: p["monthly_credits"] for p in DATA["subscriptions"]}
    assert plans == {"free": 20, "basic": 200, "premium": 1000}


def test_at_least_twelve_distinct_answers_across_subjects() -> None:
    assert len(ANSWERS) >= 12
    hashes = {question_key(a["question"])[1] for a in ANSWERS}
    assert len(hashes) == len(ANSWERS)
    text = " ".join(a["question"].lower() for a in ANSWERS)
    for topic in ("ecuación", "derivada", "velocidad", "newton", "masa molar", "ph"):
        assert topic in text


@pytest.mark.parametrize("item", ANSWERS, ids=[a["question"][:40] for a in ANSWERS])
def test_answer_validates_with_no_command_dropped(item: dict) -> None:
    explanation = Explanation.model_validate(item["answer"])
    raw_steps = item["answer"]["steps"]
    assert len(explanation.steps) == len(raw_steps)
    for raw, step in zip(raw_steps, explanation.steps, strict=True):
        assert set(raw) == {"title", "type", "content", "canvas_commands"}
        assert step.canvas_commands == raw["canvas_commands"]
        for command in raw["canvas_commands"]:
            assert sanitize_command(command) == command
            for key in ("color", "fill"):
                if key in command:
                    assert re.fullmatch(r"#[0-9a-f]{6}", command[key])
            for key in ("x", "x1", "x2"):
                if key in command:
                    assert 0 <= command[key] <= BOARD_WIDTH
            for key in ("y", "y1", "y2"):
                if key in command:
                    assert 0 <= command[key] <= BOARD_HEIGHT
    assert item["answer"]["total_duration"] == explanation.total_duration
    assert any(step.canvas_commands for step in explanation.steps)
