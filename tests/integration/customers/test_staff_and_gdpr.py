"""Staff routes (agent view, notes, price groups) and GDPR export and erasure through customers-api; after
erasure the customers table holds no personal data of the customer."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from customers.domain.models import ConsentStatus
from tests.integration.customers.conftest import AGENT_SUB, CUSTOMER_SUB, OTHER_SUB, placed
from tests.integration.customers.test_profile_and_consents import PROFILE
from tests.support import Reply

NOTE = "Called about a late parcel; prefers calls after 18:00 on +380441234567"


def test_staff_set_the_price_group_and_the_customer_cannot(
    me: Callable[..., Reply],
    agent: Callable[..., Reply],
    call: Callable[..., Reply],
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a registered customer
    me("PUT", "/me/profile", PROFILE)
    # WHEN the customer tries to set their own group THEN it is refused (staff only)
    path = f"/admin/customers/{CUSTOMER_SUB}/group"
    assert call("PUT", path, {"group": "b2b_gold"}, sub=CUSTOMER_SUB, groups="customers").status == 403
    # WHEN an agent sets it
    set_ = agent("PUT", path, {"group": "b2b_gold"})
    # THEN it is version 1, and a stale If-Match is refused
    assert set_.status == 200, set_.body
    assert (set_.body["group"], set_.etag) == ("b2b_gold", '"1"')
    assert agent("PUT", path, {"group": None}, headers={"If-Match": '"0"'}).status == 412
    # AND ops clear it back to retail
    cleared = call("PUT", path, {"group": None}, sub=OTHER_SUB, groups="ops", headers={"If-Match": '"1"'})
    assert cleared.body["group"] is None
    # AND a name that is not a price list's is a 422
    assert agent("PUT", path, {"group": "Gold Tier!"}).status == 422
    # AND the bus heard both changes, ids and group names only
    changes = [e["detail"]["data"] for e in publish_changes() if e["detail-type"] == "CustomerGroupChanged"]
    assert [(c["previous_group"], c["group"]) for c in changes] == [(None, "b2b_gold"), ("b2b_gold", None)]


def test_the_agent_view_shows_profile_consents_notes_group_segments_and_order_links(
    me: Callable[..., Reply],
    agent: Callable[..., Reply],
    consume: Callable[[list[tuple[str, dict[str, Any]]]], dict[str, Any]],
) -> None:
    # GIVEN a customer with a profile, a pending consent, an order, and an agent's note
    me("PUT", "/me/profile", PROFILE)
    me("PUT", "/me/consents/telegram", {"granted": True})
    consume([placed("ord_1", CUSTOMER_SUB, 12_000, "2026-11-30T09:00:00.000Z")])
    note = agent("POST", f"/admin/customers/{CUSTOMER_SUB}/notes", {"text": NOTE})
    assert note.status == 201, note.body
    assert note.body["author"] == AGENT_SUB
    # WHEN an agent opens the customer
    view = agent("GET", f"/admin/customers/{CUSTOMER_SUB}")
    # THEN everything is there; orders and points are links to their own APIs
    assert view.status == 200, view.body
    assert view.body["profile"]["given_name"] == "Olena"
    assert {c["channel"]: c["status"] for c in view.body["consents"]}["telegram"] == "pending"
    assert [n["text"] for n in view.body["notes"]] == [NOTE]
    assert view.body["orders"] == [
        {
            "order_id": "ord_1",
            "placed_at": "2026-11-30T09:00:00.000Z",
            "total": {"amount": 12_000, "currency": "EUR"},
            "cancelled": False,
            "href": "/admin/orders/ord_1",
        }
    ]
    assert view.body["segments"]["names"] == ["new_customer"]
    assert view.body["loyalty_href"] == f"/admin/loyalty/members/{CUSTOMER_SUB}"
    # AND a customer we hold nothing about is a 404; an empty note a 422
    assert agent("GET", f"/admin/customers/{OTHER_SUB}").status == 404
    assert agent("POST", f"/admin/customers/{CUSTOMER_SUB}/notes", {"text": ""}).status == 422


def _personal_values() -> list[str]:
    address = PROFILE["addresses"][0]["address"]
    return [
        PROFILE["given_name"],
        PROFILE["family_name"],
        PROFILE["phones"][0]["number"],
        address["line1"],
        address["name"],
        NOTE,
    ]


def test_erasure_leaves_no_personal_data_in_the_table_and_announces_the_id_only(
    me: Callable[..., Reply],
    call: Callable[..., Reply],
    agent: Callable[..., Reply],
    consume: Callable[[list[tuple[str, dict[str, Any]]]], dict[str, Any]],
    customers_stack: SimpleNamespace,
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a customer with everything this context can hold, and another customer
    me("PUT", "/me/profile", PROFILE)
    me("PUT", "/me/consents/email", {"granted": True})
    me("PUT", "/me/consents/email", {"granted": False})
    agent("PUT", f"/admin/customers/{CUSTOMER_SUB}/group", {"group": "b2b_gold"})
    agent("POST", f"/admin/customers/{CUSTOMER_SUB}/notes", {"text": NOTE})
    consume([placed("ord_1", CUSTOMER_SUB, 12_000, "2026-11-30T09:00:00.000Z")])
    call("PUT", "/me/profile", {"given_name": "Taras", "family_name": "Bondar"}, sub=OTHER_SUB)
    # AND their export holds all of it, in one JSON document
    export = me("GET", "/me/export")
    assert export.status == 200
    exported = json.dumps(export.body)
    assert all(value in exported for value in _personal_values() if value != NOTE)
    assert [r["status"] for r in export.body["consent_history"]] == ["pending", "withdrawn"]
    # WHEN the customer erases their data
    erased = me("DELETE", "/me")
    # THEN it is done, and asking again answers the same erasure
    assert erased.status == 200, erased.body
    assert me("DELETE", "/me").body == erased.body
    # AND no item of the table holds any of their personal data; only the tombstone is left of them
    items = customers_stack.dynamodb.scan(TableName=customers_stack.table)["Items"]
    dumped = json.dumps(items)
    assert not [value for value in _personal_values() if value in dumped]
    theirs = [i for i in items if CUSTOMER_SUB in json.dumps(i)]
    assert [(i["sk"]["S"], i["type"]["S"]) for i in theirs] == [("ERASED", "erasure")]
    assert set(theirs[0]) == {"pk", "sk", "type", "customer_id", "erased_at", "requested_by"}
    # AND the other customer is untouched
    assert call("GET", "/me/profile", sub=OTHER_SUB).body["given_name"] == "Taras"
    # AND the erased customer cannot be brought back by a write or a late order
    assert me("PUT", "/me/profile", PROFILE).status == 409
    assert agent("POST", f"/admin/customers/{CUSTOMER_SUB}/notes", {"text": NOTE}).status == 409
    consume([placed("ord_2", CUSTOMER_SUB, 5_000, "2026-12-01T09:00:00.000Z")])
    assert "ord_2" not in json.dumps(customers_stack.dynamodb.scan(TableName=customers_stack.table)["Items"])
    # AND CustomerErased was announced with the id only
    erasures = [e["detail"]["data"] for e in publish_changes() if e["detail-type"] == "CustomerErased"]
    assert erasures == [{"customer_id": CUSTOMER_SUB, "erased_at": erased.body["erased_at"]}]


def test_an_agent_exports_and_erases_on_a_customers_behalf(
    me: Callable[..., Reply], agent: Callable[..., Reply]
) -> None:
    # GIVEN a customer with a profile
    me("PUT", "/me/profile", PROFILE)
    # WHEN an agent exports, then erases
    export = agent("GET", f"/admin/customers/{CUSTOMER_SUB}/export")
    erased = agent("DELETE", f"/admin/customers/{CUSTOMER_SUB}")
    # THEN the export held the profile, the erasure is done, and the customer's data is gone
    assert export.body["profile"]["family_name"] == "Shevchenko"
    assert erased.status == 200
    assert me("GET", "/me/profile").status == 409
    assert agent("GET", f"/admin/customers/{CUSTOMER_SUB}").status == 409


def test_support_withdraws_a_consent_at_once_but_cannot_grant_one(
    me: Callable[..., Reply], agent: Callable[..., Reply], call: Callable[..., Reply]
) -> None:
    # GIVEN a customer who asked for SMS marketing (waiting for their confirmation)
    me("PUT", "/me/consents/sms", {"granted": True})
    # WHEN they phone support to stop SMS, and to start Viber
    path = f"/admin/customers/{CUSTOMER_SUB}/consents"
    stopped = agent("PUT", f"{path}/sms", {"granted": False})
    started = agent("PUT", f"{path}/viber", {"granted": True})
    # THEN SMS is withdrawn at once, Viber waits for the customer's own confirmation
    assert (stopped.status, stopped.body["status"]) == (200, ConsentStatus.WITHDRAWN.value)
    assert (started.status, started.body["status"]) == (200, ConsentStatus.PENDING.value)
    # AND the history names support as the source and an agent as the actor
    history = agent("GET", f"/admin/customers/{CUSTOMER_SUB}/export").body["consent_history"]
    assert [(h["channel"], h["status"], h["actor"], h["source"]) for h in history][-2:] == [
        ("sms", "withdrawn", "agent", "support"),
        ("viber", "pending", "agent", "support"),
    ]
    # AND a customer cannot use the staff route
    assert call("PUT", f"{path}/sms", {"granted": True}, sub=CUSTOMER_SUB).status == 403
