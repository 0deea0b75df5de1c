"""Merchandisers manage promotions through pricing-api, and cart/checkout see each change at once."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from pricing import contract
from shop_kernel.ids import is_prefixed_id
from tests.integration.pricing.conftest import SPRING
from tests.support import Reply

WINDOWED = {**SPRING, "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-02-01T00:00:00Z"}


def _config(stack: SimpleNamespace) -> list[Any]:
    """What cart and checkout read: the promotions in the config item, through pricing's contract."""
    item = stack.dynamodb.get_item(
        TableName=stack.table, Key=contract.promotions_config_key(), ConsistentRead=True
    ).get("Item")
    return contract.read_promotions([item] if item else [])


def test_a_created_promotion_gets_an_id_and_applies_at_once(
    call: Callable[..., Reply], pricing_stack: SimpleNamespace
) -> None:
    # GIVEN no promotion; WHEN a merchandiser creates one without an id
    created = call("POST", "/admin/promotions", SPRING)
    # THEN it gets a prefixed ULID, version 1, status active, and is in the item cart and checkout read
    assert created.status == 201, created.body
    promotion_id = created.body["id"]
    assert is_prefixed_id(promotion_id, "promo")
    assert (created.etag, created.body["status"]) == ('"1"', "active")
    assert [p.id for p in _config(pricing_stack)] == [promotion_id]
    # AND the same id again is a conflict
    again = call("POST", "/admin/promotions", {**SPRING, "id": promotion_id})
    assert again.status == 409


def test_replace_needs_the_etag_and_a_stale_one_is_refused(
    call: Callable[..., Reply], pricing_stack: SimpleNamespace
) -> None:
    # GIVEN a promotion at version 1
    created = call("POST", "/admin/promotions", {**SPRING, "id": "promo_spring"})
    renamed = {**SPRING, "name": "Spring sale"}
    # WHEN it is replaced without If-Match, with it, then with the stale ETag
    missing = call("PUT", "/admin/promotions/promo_spring", renamed)
    replaced = call("PUT", "/admin/promotions/promo_spring", renamed, headers={"If-Match": created.etag})
    stale = call("PUT", "/admin/promotions/promo_spring", SPRING, headers={"If-Match": created.etag})
    # THEN 428, 200 at version 2, 412; cart and checkout read the new name
    assert (missing.status, replaced.status, stale.status) == (428, 200, 412)
    assert replaced.etag == '"2"'
    assert [p.name for p in _config(pricing_stack)] == ["Spring sale"]
    assert call("PUT", "/admin/promotions/nope", SPRING, headers={"If-Match": '"1"'}).status == 404


def test_invalid_promotions_are_422_naming_the_field(call: Callable[..., Reply]) -> None:
    # GIVEN windows in the wrong order, an unknown benefit and two amounts in one currency
    backwards = {**SPRING, "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}
    unknown = {**SPRING, "benefit": {"kind": "free_lunch"}}
    twice = {
        **SPRING,
        "benefit": {
            "kind": "amount_off",
            "amounts": [{"amount": 1, "currency": "UAH"}, {"amount": 2, "currency": "UAH"}],
        },
    }
    # WHEN each is created; THEN each is a 422 problem, and nothing was stored
    for body in (backwards, unknown, twice, {**SPRING, "id": "no spaces"}):
        reply = call("POST", "/admin/promotions", body)
        assert reply.status == 422, body
        assert reply.body["errors"]
    assert call("GET", "/admin/promotions").body["items"] == []


def test_status_is_computed_from_the_window_and_filters_the_list(call: Callable[..., Reply]) -> None:
    # GIVEN an active, an expired, a scheduled and an archived promotion
    call("POST", "/admin/promotions", {**SPRING, "id": "a_active"})
    call("POST", "/admin/promotions", {**WINDOWED, "id": "b_expired"})
    call("POST", "/admin/promotions", {**SPRING, "id": "c_scheduled", "starts_at": "2999-01-01T00:00:00Z"})
    call("POST", "/admin/promotions", {**SPRING, "id": "d_archived"})
    assert call("POST", "/admin/promotions/d_archived/archive").status == 200
    # WHEN they are listed by status
    by_status = {
        status: [p["id"] for p in call("GET", "/admin/promotions", query={"status": status}).body["items"]]
        for status in ("active", "expired", "scheduled", "archived")
    }
    # THEN each status lists its own
    assert by_status == {
        "active": ["a_active"],
        "expired": ["b_expired"],
        "scheduled": ["c_scheduled"],
        "archived": ["d_archived"],
    }
    assert call("GET", "/admin/promotions", query={"status": "gone"}).status == 422


def test_the_list_pages_with_a_signed_cursor(call: Callable[..., Reply]) -> None:
    # GIVEN three promotions
    for suffix in "abc":
        call("POST", "/admin/promotions", {**SPRING, "id": f"promo_{suffix}"})
    # WHEN listed two at a time
    first = call("GET", "/admin/promotions", query={"limit": "2"})
    second = call("GET", "/admin/promotions", query={"limit": "2", "cursor": first.body["next_cursor"]})
    forged = call("GET", "/admin/promotions", query={"cursor": first.body["next_cursor"][:-3] + "AAA"})
    # THEN the pages join up and a forged cursor is a 422
    ids = [p["id"] for p in first.body["items"] + second.body["items"]]
    assert ids == ["promo_a", "promo_b", "promo_c"]
    assert forged.status == 422


def test_archiving_removes_the_promotion_from_what_cart_reads_and_keeps_it_readable(
    call: Callable[..., Reply], pricing_stack: SimpleNamespace
) -> None:
    # GIVEN two promotions
    call("POST", "/admin/promotions", {**SPRING, "id": "promo_keep"})
    created = call("POST", "/admin/promotions", {**SPRING, "id": "promo_gone"})
    # WHEN one is archived with a stale ETag, then with its own, then again
    stale = call("POST", "/admin/promotions/promo_gone/archive", headers={"If-Match": '"7"'})
    archived = call("POST", "/admin/promotions/promo_gone/archive", headers={"If-Match": created.etag})
    again = call("POST", "/admin/promotions/promo_gone/archive")
    # THEN 412, then archived (version 2) and gone from the config item; twice changes nothing
    assert stale.status == 412
    assert (archived.status, archived.body["status"], archived.etag) == (200, "archived", '"2"')
    assert again.etag == '"2"'
    assert [p.id for p in _config(pricing_stack)] == ["promo_keep"]
    # AND it stays readable but can no longer change
    assert call("GET", "/admin/promotions/promo_gone").body["status"] == "archived"
    assert call("PUT", "/admin/promotions/promo_gone", SPRING, headers={"If-Match": '"2"'}).status == 409


def test_only_merchandisers_reach_the_back_office(call: Callable[..., Reply]) -> None:
    # GIVEN no token, and a customer's token; WHEN they list or create promotions; THEN 401 and 403
    assert call("GET", "/admin/promotions", groups=None).status == 401
    assert call("POST", "/admin/promotions", SPRING, groups="customers").status == 403
