"""A credit hold cut at the statement deadline while Postgres is frozen is not charged
when Postgres thaws and runs what it had received.

The student was told `service_unavailable`, nothing charged, and the request id was
freed for a retry. A frozen server's kernel still takes the statement; once thawed,
the backend reads and runs it. The hold runs alone in autocommit, so that run would
commit it (a row left 'streaming' and credits taken, found in a CI run) were it not
for the time it carries (migrations/008): past it, the hold rolls itself back. This
test fails with that time left out.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from app.repositories.sql import PostgresDatabase
from app.repositories.sql.database import PoolTimeouts
from tests.integration.test_one_trip_writes import question
from tests.support.private_stores import PrivatePostgres

pytestmark = pytest.mark.integration

DEADLINE_S = 0.5


def test_a_hold_cut_while_postgres_is_frozen_is_not_charged_after_it_thaws(
    private_postgres: PrivatePostgres,
) -> None:
    db = PostgresDatabase(
        private_postgres.url, min_size=1, max_size=1, timeouts=PoolTimeouts(2, 2.0, DEADLINE_S)
    )
    try:
        user_id = str(uuid.uuid4())
        with db.unit_of_work() as uow:
            assert uow.credits.open_profile(user_id, None, 5) == 5
        row = question(user_id)
        with db.unit_of_work() as uow:
            uow.profiles.get(user_id)  # the pooled connection is fresh: no check before the hold
        private_postgres.freeze()
        try:
            with pytest.raises(psycopg.OperationalError), db.unit_of_work() as uow:
                uow.credits.hold_new(row, 1, "question_cached", f"charge:{row.id}")
                uow.commit()
        finally:
            private_postgres.thaw()
        time.sleep(1.0)  # the thawed backend runs what it had received, then sees the cut
        assert private_postgres.query(
            "SELECT count(*) FROM public.interaction_history WHERE id = %s", row.id
        ) == [(0,)]
        assert private_postgres.query(
            "SELECT credits FROM public.profiles WHERE id = %s", user_id
        ) == [(5,)]
    finally:
        db.close()
