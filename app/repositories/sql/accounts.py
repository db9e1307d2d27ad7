"""Plans (`subscriptions`) and `profiles`."""

from __future__ import annotations

from datetime import datetime

from app.domain.records import (
    Profile,
    Subscription,
)
from app.repositories.sql.base import SqlRepository
from app.repositories.sql.dialect import (
    KIND_UUID,
    utc_now,
)


class SqlSubscriptionRepository(SqlRepository):
    table = "subscriptions"
    _COLUMNS = "id, name, monthly_credits, price_mxn"

    def upsert(self, plan: Subscription) -> None:
        self.s.run(
            "INSERT INTO subscriptions (id, name, monthly_credits, price_mxn) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "monthly_credits = excluded.monthly_credits, price_mxn = excluded.price_mxn",
            (plan.id, plan.name, plan.monthly_credits, self._in("price_mxn", plan.price_mxn)),
            write=True,
        )

    def get(self, plan_id: str) -> Subscription | None:
        row = self._one(f"SELECT {self._COLUMNS} FROM subscriptions WHERE id = %s", (plan_id,))
        return self._record(Subscription, row)

    def list(self) -> list[Subscription]:
        rows = self._all(f"SELECT {self._COLUMNS} FROM subscriptions ORDER BY monthly_credits, id")
        return self._records(Subscription, rows)


class SqlProfileRepository(SqlRepository):
    table = "profiles"

    def get(self, user_id: str) -> Profile | None:
        key = self._id_or_none(user_id)
        if key is None:
            return None
        row = self._one(
            "SELECT id, email, credits, subscription_id, subscription_renews_at, created_at "
            "FROM profiles WHERE id = %s",
            (key,),
        )
        return self._record(Profile, row)

    def set_subscription(
        self, user_id: str, plan_id: str | None, renews_at: datetime | None
    ) -> None:
        """Raises LookupError when the user has no profile."""
        cur = self.s.run(
            "UPDATE profiles SET subscription_id = %s, subscription_renews_at = %s, "
            "updated_at = %s WHERE id = %s",
            (
                plan_id,
                self._in("subscription_renews_at", renews_at),
                self._in("updated_at", utc_now()),
                self._in("id", user_id),
            ),
            write=True,
        )
        if cur.rowcount == 0:
            raise LookupError(f"no profile for user {user_id}")

    def list_ids(self) -> list[str]:
        rows = self._all("SELECT id FROM profiles ORDER BY id")
        return [self.d.from_db(KIND_UUID, row["id"]) for row in rows]
