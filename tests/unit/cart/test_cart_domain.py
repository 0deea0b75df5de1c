"""Cart domain without AWS: tokens, line limits, availability rules, merge rules, TTL refresh."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from cart.domain import changes
from cart.domain.changes import Lifetimes
from cart.domain.lines import InsufficientStock, Limits
from cart.domain.models import CartStatus, Line, NewCart, OwnerKind, SkuFacts, SkuStatus
from cart.domain.ports import Stock
from cart.domain.projection import list_price
from cart.domain.tokens import checked_token, new_token, token_hash
from shop_kernel.errors import MalformedRequest, ValidationFailed

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = Limits(max_quantity_per_line=20, max_lines=3)


def facts(
    sku: str, status: SkuStatus = SkuStatus.PUBLISHED, currencies: tuple[str, ...] = ("EUR",)
) -> SkuFacts:
    return SkuFacts(
        sku=sku,
        product_id="prod_1",
        product_version=1,
        status=status,
        prices=tuple(list_price("retail", 1000, c) for c in currencies),
    )


def cart(kind: OwnerKind = OwnerKind.GUEST, **lines: int):  # type: ignore[no-untyped-def]
    base = changes.new_cart(kind, NewCart(currency="EUR", destination_country="DE"), NOW, Lifetimes())
    return base.model_copy(
        update={"lines": tuple(Line(sku=s, quantity=q, added_at="t") for s, q in lines.items()), "version": 1}
    )


def test_tokens_are_long_random_and_stored_as_sha256() -> None:
    # GIVEN / WHEN two tokens
    first, second = new_token(), new_token()
    # THEN they differ, carry 256 bits, and hash to their SHA-256
    assert first != second
    assert len(first) == 43
    assert token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert checked_token(f" {first} ") == first


@pytest.mark.parametrize("raw", [None, "", "short", "has spaces in it ok?", "x" * 201])
def test_malformed_tokens_name_the_header(raw: str | None) -> None:
    # WHEN / THEN
    with pytest.raises(MalformedRequest) as caught:
        checked_token(raw)
    assert caught.value.errors[0].field == "header.x-cart-token"


def test_adding_sums_and_respects_the_per_line_and_line_count_limits() -> None:
    # GIVEN a cart with 15 of A and three lines already
    full = cart(A=15, B=1, C=1)
    # WHEN / THEN 5 more of A is fine, 6 more is above the limit, a fourth SKU is one line too many
    assert changes.add_line(full, "A", 5, facts("A"), None, LIMITS) == 20
    with pytest.raises(ValidationFailed) as above:
        changes.add_line(full, "A", 6, facts("A"), None, LIMITS)
    with pytest.raises(ValidationFailed) as too_many:
        changes.add_line(full, "D", 1, facts("D"), None, LIMITS)
    assert above.value.errors[0].code == "above_limit"
    assert too_many.value.errors[0].code == "too_many_lines"


def test_only_published_skus_priced_in_the_cart_currency_are_sold() -> None:
    for sku_facts, code in (
        (None, "unknown_sku"),
        (facts("A", SkuStatus.ARCHIVED), "unknown_sku"),
        (facts("A", SkuStatus.WITHDRAWN), "unknown_sku"),
        (facts("A", currencies=("UAH",)), "currency_mismatch"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            changes.add_line(cart(), "A", 1, sku_facts, None, LIMITS)
        assert caught.value.errors[0].code == code


def test_delivery_sums_warehouses_and_pickup_never_splits() -> None:
    # GIVEN 3 + 4 in two warehouses and 2 in the pickup store
    stock = Stock(
        levels={"A": {"w1": 3, "w2": 4, "store": 2}},
        warehouses=frozenset({"w1", "w2"}),
        pickup_stores=frozenset({"store"}),
    )
    # THEN delivery can ship 7 (split), pickup at the store gets at most one source's 4
    assert stock.available("A", None) == 7
    assert stock.available("A", "store") == 4
    with pytest.raises(InsufficientStock):
        changes.add_line(
            cart().model_copy(update={"pickup_location_id": "store"}), "A", 5, facts("A"), stock, LIMITS
        )


def test_every_write_pushes_the_ttl_out() -> None:
    # GIVEN a guest and a customer cart written a week later
    later = NOW + timedelta(days=7)
    guest = changes.set_line(cart(), "A", 1, later, Lifetimes())
    customer = changes.set_line(cart(OwnerKind.CUSTOMER), "A", 1, later, Lifetimes())
    # THEN their TTLs run 30 and 90 days from that write, and the version moved on
    assert guest.expires_at == int((later + timedelta(days=30)).timestamp())
    assert customer.expires_at == int((later + timedelta(days=90)).timestamp())
    assert guest.version == 2


def test_merge_sums_caps_drops_and_closes_the_guest_cart() -> None:
    # GIVEN a customer with 15 of A, a guest with 10 of A, 1 of B (archived) and 1 of C
    mine = cart(OwnerKind.CUSTOMER, A=15)
    guest = cart(A=10, B=1, C=1).model_copy(update={"promo_codes": ("TEN",)})
    known = {"A": facts("A"), "B": facts("B", SkuStatus.ARCHIVED), "C": facts("C")}
    # WHEN merged
    merged = changes.merge(mine, guest, known, LIMITS, NOW, Lifetimes())
    # THEN A is capped at 20, B dropped, C added, codes carried, the guest cart points at the customer's
    assert {line.sku: line.quantity for line in merged.cart.lines} == {"A": 20, "C": 1}
    assert merged.capped == ("A",)
    assert [(d.sku, d.reason) for d in merged.dropped] == [("B", "not_sellable_in_currency")]
    assert merged.cart.promo_codes == ("TEN",)
    assert merged.closed_guest.status is CartStatus.MERGED
    assert merged.closed_guest.merged_into == mine.id
    # AND a closed guest cart cannot be merged again
    with pytest.raises(Exception, match="already merged"):
        changes.merge(merged.cart, merged.closed_guest, known, LIMITS, NOW, Lifetimes())


def test_an_order_holds_at_most_the_per_order_number_of_units() -> None:
    # GIVEN a limit of 30 units per order and a cart with 20 of A and 5 of B
    limits = Limits(max_quantity_per_line=20, max_lines=3, max_units_per_order=30)
    current = cart(A=20, B=5)
    # WHEN / THEN 5 more of B fits; 6 more, a new C of 6, or B set to 11 goes over the order's limit
    assert changes.add_line(current, "B", 5, facts("B"), None, limits) == 10
    refused = []
    for attempt in (
        lambda: changes.add_line(current, "B", 6, facts("B"), None, limits),
        lambda: changes.add_line(current, "C", 6, facts("C"), None, limits),
        lambda: changes.change_quantity(current, "B", 11, facts("B"), None, limits),
    ):
        with pytest.raises(ValidationFailed) as above:
            attempt()
        refused.append(above.value.errors[0].code)
    assert refused == ["above_order_limit"] * 3


def test_the_default_limits_cap_what_one_cart_can_hold() -> None:
    # GIVEN / WHEN the defaults
    limits = Limits()
    # THEN one cart cannot hold every line at the per-line maximum (20 x 50 units were possible)
    assert limits.max_units_per_order < limits.max_lines * limits.max_quantity_per_line
    assert limits.max_units_per_order <= 100


def test_merging_caps_the_customer_cart_at_the_per_order_units() -> None:
    # GIVEN a customer cart of 8 A and a guest cart of 8 B, with 10 units per order
    limits = Limits(max_quantity_per_line=20, max_lines=3, max_units_per_order=10)
    customer = cart(OwnerKind.CUSTOMER, A=8)
    guest = cart(B=8)
    # WHEN they are merged
    merged = changes.merge(customer, guest, {"A": facts("A"), "B": facts("B")}, limits, NOW, Lifetimes())
    # THEN B is capped so the cart holds 10 units, and the cap is reported
    assert sum(line.quantity for line in merged.cart.lines) == 10
    assert "B" in merged.capped


def test_an_electronic_sku_is_added_and_changed_without_stock_and_the_catalog_marks_it() -> None:
    # GIVEN a product published with the ``fulfilment`` attribute ``digital`` (an e-certificate), none in stock
    from cart.domain.projection import product_facts
    from tests.integration.cart.conftest import product_snapshot

    product = product_snapshot("prod_ecert", 1, [("ECERT-25", 2500, 110000)])
    product["attributes"] = [
        {"code": "fulfilment", "label": {"en": "Fulfilment"}, "kind": "enum", "value": "digital"}
    ]
    (ecert,) = product_facts(product).skus
    (laptop,) = product_facts(product_snapshot("prod_a", 1, [("LAP", 100000, 4000000)])).skus
    empty = Stock(levels={}, warehouses=frozenset({"w1"}))
    # WHEN 3 are added, then changed to 5
    added = changes.add_line(cart(), "ECERT-25", 3, ecert, empty, LIMITS)
    changes.change_quantity(cart(**{"ECERT-25": 3}), "ECERT-25", 5, ecert, empty, LIMITS)
    # THEN both pass: it is electronic; a shipped SKU with no stock is still refused
    assert (ecert.digital, laptop.digital) == (True, False)
    assert added == 3
    with pytest.raises(InsufficientStock):
        changes.add_line(cart(), "LAP", 1, laptop, empty, LIMITS)
