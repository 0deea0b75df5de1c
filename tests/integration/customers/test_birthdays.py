"""The birth date on the profile and the daily birthday job: an id-only event per customer and year, found
through the sparse index, gone with the profile when the customer is erased."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from customers import wiring
from shop_kernel.clock import FixedClock
from tests.integration.customers.conftest import CUSTOMER_SUB, OTHER_SUB
from tests.integration.customers.test_profile_and_consents import PROFILE
from tests.support import Reply

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def _birthdays_on(functions: Any, context: Any, moment: datetime) -> dict[str, Any]:
    """customers-birthdays run at ``moment`` (a new execution environment with that clock)."""
    functions.override("customers-birthdays")
    functions.run("customers-birthdays", lambda: wiring.container.override(clock=FixedClock(moment)))
    return functions.invoke("customers-birthdays", SCHEDULED, context)  # type: ignore[no-any-return]


def test_the_daily_job_announces_todays_birthdays_with_the_id_and_year_only(
    me: Callable[..., Reply],
    call: Callable[..., Reply],
    publish_changes: Callable[[], list[dict[str, Any]]],
    functions: Any,
    lambda_context: Any,
) -> None:
    # GIVEN a customer born on 3 December and another on 1 June
    assert me("PUT", "/me/profile", {**PROFILE, "birth_date": "1990-12-03"}).status == 201
    assert call("PUT", "/me/profile", {"birth_date": "1985-06-01"}, sub=OTHER_SUB).status == 201
    assert me("GET", "/me/profile").body["birth_date"] == "1990-12-03"
    publish_changes()
    # WHEN the job runs on 3 December 2026, twice
    first = _birthdays_on(functions, lambda_context, datetime(2026, 12, 3, 0, 5, tzinfo=UTC))
    again = _birthdays_on(functions, lambda_context, datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    # THEN the first customer's birthday is announced: id and year, the same event id both times
    assert first == again == {"birthdays": 1}
    events = [e for e in publish_changes() if e["detail-type"] == "CustomerBirthdayReached"]
    assert [(e["detail"]["data"]["customer_id"], e["detail"]["data"]["year"]) for e in events] == [
        (CUSTOMER_SUB, 2026)
    ] * 2
    assert set(events[0]["detail"]["data"]) == {"customer_id", "year", "reached_at"}
    assert len({e["detail"]["metadata"]["eventId"] for e in events}) == 1
    # WHEN the customer is erased
    assert me("DELETE", "/me").status == 200
    # THEN next year's run finds no one on that day
    assert _birthdays_on(functions, lambda_context, datetime(2027, 12, 3, tzinfo=UTC)) == {"birthdays": 0}


def test_a_birth_date_in_the_future_is_refused(me: Callable[..., Reply]) -> None:
    reply = me("PUT", "/me/profile", {**PROFILE, "birth_date": "2999-01-01"})
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["body.birth_date"]


def test_a_leap_day_birthday_is_kept_on_28_february_of_other_years(
    me: Callable[..., Reply], customers_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    assert me("PUT", "/me/profile", {"birth_date": "2004-02-29"}).status == 201
    assert _birthdays_on(functions, lambda_context, datetime(2027, 2, 28, tzinfo=UTC)) == {"birthdays": 1}
    assert _birthdays_on(functions, lambda_context, datetime(2028, 2, 28, tzinfo=UTC)) == {"birthdays": 0}
    assert _birthdays_on(functions, lambda_context, datetime(2028, 2, 29, tzinfo=UTC)) == {"birthdays": 1}
