"""Exam questions typed the way students type them, looked up through the answer
cache in a database seeded with the answer bank.

Each fixture in tests/data/exam_questions/bank/<area>.yaml names the bank topic that
should answer it. The test reports, per area, how many found that topic, and fails
if any question finds a different topic. With an exact cache only the questions
that normalize to a bank question can hit; the semantic lookup (second test) finds
more, and neither may ever find a different topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from app.answer_cache import AnswerCache
from app.domain.questions import Question
from app.repositories.answer_bank import load_answer_bank
from app.repositories.seed import ANSWER_BANK_DIR, seed_database
from app.repositories.sql import SqliteDatabase

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "data" / "exam_questions" / "bank"
BANK = {entry.topic: entry for entry in load_answer_bank(ANSWER_BANK_DIR)}


@dataclass(frozen=True)
class Fixture:
    file: str
    question: str
    area: str
    topic: str


def load_fixtures() -> list[Fixture]:
    fixtures = []
    for path in sorted(FIXTURES_DIR.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            assert set(item) == {"question", "area", "expect"}, item
            assert set(item["expect"]) == {"topic"}, item
            fixtures.append(
                Fixture(path.name, item["question"], item["area"], item["expect"]["topic"])
            )
    return fixtures


FIXTURES = load_fixtures()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path_factory.mktemp("bank") / "guia.db")
    seed_database(database)
    yield database
    database.close()


def test_fixtures_are_realistic_and_name_real_topics() -> None:
    assert len(FIXTURES) >= 40
    assert {f.area for f in FIXTURES} == {entry.area for entry in BANK.values()}
    for fixture in FIXTURES:
        assert fixture.file == f"{fixture.area}.yaml", fixture
        assert fixture.topic in BANK, fixture
        assert BANK[fixture.topic].area == fixture.area, fixture
        # Typed by a student, not pasted from the bank.
        assert fixture.question != BANK[fixture.topic].question, fixture


def test_lookup_never_finds_the_wrong_topic_and_reports_coverage(
    seeded: SqliteDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = AnswerCache()
    found: dict[str, list[Fixture]] = defaultdict(list)
    missed: dict[str, list[Fixture]] = defaultdict(list)
    wrong: list[tuple[Fixture, str | None]] = []
    with seeded.unit_of_work() as uow:
        for fixture in FIXTURES:
            question = Question.of(fixture.question)
            hit = cache.lookup(uow.answers, question)
            row = uow.answers.get(hit.answer_id) if hit is not None else None
            if row is None:
                missed[fixture.area].append(fixture)
            elif row.topic == fixture.topic:
                found[fixture.area].append(fixture)
            else:
                wrong.append((fixture, row.topic))
            # A question typed like its bank question (accents, case, punctuation
            # aside) must hit: that is the exact cache's whole job.
            if question.normalized == Question.of(BANK[fixture.topic].question).normalized:
                assert row is not None and row.topic == fixture.topic, fixture

    areas = sorted({f.area for f in FIXTURES})
    lines = ["", "answer bank fixtures: found the right topic / total"]
    for area in areas:
        total = len(found[area]) + len(missed[area])
        lines.append(f"  {area:<20} {len(found[area]):>3} / {total:<3}")
    hits = sum(len(v) for v in found.values())
    lines.append(f"  {'all':<20} {hits:>3} / {len(FIXTURES):<3} (wrong topic: {len(wrong)})")
    lines.append("  missed by the exact cache (see the semantic test below):")
    lines += [f"    [{f.area}] {f.question}" for area in areas for f in missed[area]]
    with capsys.disabled():
        print("\n".join(lines))

    assert wrong == []
    assert hits >= 1


def _lookup_all(cache: AnswerCache, database: SqliteDatabase) -> tuple[int, list[Fixture], list]:
    found, missed, wrong = 0, [], []
    with database.unit_of_work() as uow:
        for fixture in FIXTURES:
            hit = cache.lookup(uow.answers, Question.of(fixture.question))
            row = uow.answers.get(hit.answer_id) if hit is not None else None
            if row is None:
                missed.append(fixture)
            elif row.topic == fixture.topic:
                found += 1
            else:
                wrong.append((fixture, row.topic))
    return found, missed, wrong


def test_semantic_lookup_finds_more_and_never_the_wrong_topic(
    seeded: SqliteDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.answer_cache.embedders import WordLlamaEmbedder
    from app.answer_cache.semantic import SemanticLookup

    exact, _, exact_wrong = _lookup_all(AnswerCache(), seeded)
    cache = AnswerCache(semantic=SemanticLookup(WordLlamaEmbedder()))
    with seeded.unit_of_work() as uow:
        cache.rebuild(uow.answers)
        uow.commit()
    found, missed, wrong = _lookup_all(cache, seeded)
    with capsys.disabled():
        print(
            f"\nanswer bank fixtures, semantic lookup: {found} / {len(FIXTURES)} found the right "
            f"topic (exact only: {exact}), wrong topic: {len(wrong)}; still missed: {len(missed)}"
        )
    assert exact_wrong == [] and wrong == []
    assert found >= exact + 10  # 52 vs 42 when written
