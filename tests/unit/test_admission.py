"""The admission use case on a fake unit of work: request id → rate limit → cache → hold."""

from __future__ import annotations

import uuid

import pytest

from app.answer_cache import AnswerCache
from app.domain.errors import Refused
from app.domain.explanation import Explanation
from app.domain.pricing import Prices, charge_key
from app.domain.questions import GenerationContext, Question
from app.use_cases.admission import AdmissionRules, Admit, Admitted, Repeated, admit
from app.use_cases.identity import Caller
from tests.support.fake_uow import FakeStores

CACHED = "¿Qué es una derivada?"
EXPLANATION = Explanation.model_validate(
    {"steps": [{"title": "Idea", "type": "text", "content": "La razón de cambio."}]}
)


def rules(can_generate: bool = True) -> AdmissionRules:
    return AdmissionRules(
        Prices(cached=1, generated=2, voice=1),
        AnswerCache(),
        lambda _q: can_generate,
        lambda q: f"sin tutor en línea para «{q}»",
    )


@pytest.fixture
def stores() -> FakeStores:
    s = FakeStores()
    q = Question.of(CACHED)
    s.sql.answers[q.hash] = (
        s.uow()
        .__enter__()
        .answers.add_if_absent(q.hash, q.normalized, q.text, EXPLANATION.to_json_dict(), "seed")
    )
    return s


def ask(user: str, text: str = CACHED, request_id: str | None = None, **kw: object) -> Admit:
    caller = Caller(user, "session-1", "sid-1")
    return Admit(caller, Question.of(text), GenerationContext(), request_id, **kw)  # type: ignore[arg-type]


def new_user(stores: FakeStores, credits: int = 10) -> str:
    user = str(uuid.uuid4())
    stores.add_user(user, credits)
    return user


def test_cached_hit_holds_the_cached_price_and_writes_the_row(stores: FakeStores) -> None:
    user = new_user(stores)
    result = admit(ask(user, "  que es una DERIVADA "), stores.uow(), rules())
    assert isinstance(result, Admitted)
    assert result.cached is not None and result.cached.explanation == EXPLANATION
    assert not result.leads_generation
    row = stores.sql.interactions[result.interaction.id]
    assert (row.source, row.status, row.credits_charged) == ("cache", "streaming", 1)
    assert row.answer_id == result.cached.answer_id
    assert result.balance == 9 == stores.balance(user)
    assert [(n.delta, n.action_type, n.balance) for n in result.notes] == [
        (-1, "question_cached", 9)
    ]
    held = [m for m in stores.sql.ledger if m.idempotency_key == charge_key(row.id)]
    assert [(m.credits, m.action_type) for m in held] == [(1, "question_cached")]


def test_miss_starts_a_generation_and_a_second_miss_joins_it(stores: FakeStores) -> None:
    first = admit(ask(new_user(stores), "deriva x^3"), stores.uow(), rules())
    second = admit(ask(new_user(stores), "Deriva x^3"), stores.uow(), rules())
    assert isinstance(first, Admitted) and isinstance(second, Admitted)
    assert first.cached is None and first.leads_generation
    assert second.cached is None and not second.leads_generation
    assert stores.feeds.leaders[Question.of("deriva x^3").hash] == first.interaction.id
    for result in (first, second):
        row = stores.sql.interactions[result.interaction.id]
        assert (row.source, row.credits_charged) == ("generated", 2)


def test_rate_limited_is_refused_charges_nothing_and_frees_the_request_id() -> None:
    stores = FakeStores(limit=1)
    user = new_user(stores)
    assert isinstance(admit(ask(user), stores.uow(), rules()), Admitted)
    with pytest.raises(Refused) as refused:
        admit(ask(user, request_id="r-2"), stores.uow(), rules())
    assert (refused.value.code, refused.value.retry_after) == ("rate_limited", 42)
    assert stores.balance(user) == 8 and len(stores.sql.interactions) == 1  # the first ask only
    assert (user, "r-2") not in stores.requests.claims


def test_no_credits_is_refused_before_any_row_and_still_counts(stores: FakeStores) -> None:
    user = new_user(stores, credits=0)
    with pytest.raises(Refused) as refused:
        admit(ask(user, request_id="r-1"), stores.uow(), rules())
    assert refused.value.code == "insufficient_credits"
    assert stores.sql.interactions == {} and stores.balance(user) == 0
    assert (user, "r-1") not in stores.requests.claims  # a retry is a new request
    assert stores.question_limits.hits[user] == 1  # it passed validation: it counts


def test_repeated_request_id_returns_the_first_interaction_and_does_nothing(
    stores: FakeStores,
) -> None:
    user = new_user(stores)
    first = admit(ask(user, request_id="same"), stores.uow(), rules())
    assert isinstance(first, Admitted)
    again = admit(ask(user, "otra pregunta", request_id="same"), stores.uow(), rules())
    assert again == Repeated(first.interaction.id)
    assert stores.balance(user) == 9 and len(stores.sql.interactions) == 1
    assert stores.question_limits.hits[user] == 1  # a repeat is not counted


def test_repeated_request_id_wins_even_over_the_rate_limit() -> None:
    stores = FakeStores(limit=1)
    user = new_user(stores)
    first = admit(ask(user, request_id="same"), stores.uow(), rules())
    assert isinstance(first, Admitted)
    assert admit(ask(user, request_id="same"), stores.uow(), rules()) == Repeated(
        first.interaction.id
    )


def test_a_question_no_engine_takes_is_refused_before_charging(stores: FakeStores) -> None:
    user = new_user(stores)
    with pytest.raises(Refused) as refused:
        admit(ask(user, "¿quién ganó la revolución?"), stores.uow(), rules(can_generate=False))
    assert refused.value.code == "ai_unavailable"
    assert refused.value.text == "sin tutor en línea para «¿quién ganó la revolución?»"
    assert stores.balance(user) == 10 and stores.sql.interactions == {}
    # A cached answer is served even when no engine could generate it.
    assert isinstance(admit(ask(user), stores.uow(), rules(can_generate=False)), Admitted)


def test_a_spoken_question_already_counted_skips_the_request_id_and_the_limit() -> None:
    stores = FakeStores(limit=0)  # any new hit would be refused
    user = new_user(stores)
    stores.requests.claims[(user, "voice-1")] = "iid-voice"
    spoken = ask(
        user,
        request_id="voice-1",
        input_type="voice",
        voice_fee=1,
        counted=True,
        interaction_id="iid-voice",
    )
    result = admit(spoken, stores.uow(), rules())
    assert isinstance(result, Admitted) and result.interaction.id == "iid-voice"
    row = stores.sql.interactions["iid-voice"]
    assert (row.input_type, row.credits_charged, row.request_id) == ("voice", 3, "voice-1")
    assert stores.question_limits.hits == {}


def test_a_free_question_reports_the_balance_without_a_hold(stores: FakeStores) -> None:
    user = new_user(stores, credits=3)
    free = AdmissionRules(Prices(0, 0, 0), AnswerCache(), lambda _q: True, lambda q: q)
    result = admit(ask(user), stores.uow(), free)
    assert isinstance(result, Admitted)
    assert (result.balance, result.notes) == (3, ())
    assert [m.action_type for m in stores.sql.ledger] == ["grant"]
