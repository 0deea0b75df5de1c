"""Electronic lines (e-certificates: ``SkuFacts.digital``) at checkout: no stock is held for them, an
order of only those needs no delivery address and pays no shipping, and the order's lines say which
they are. The allocations of the shipped lines still name the cart's line indexes (fulfilment reads them
so). Pure domain, over the in-memory ports of ``checkout_doubles``."""

from __future__ import annotations

import pytest

from cart.domain.models import Line
from checkout.domain.body import CheckoutBody
from shop_kernel.errors import Conflict, ValidationFailed
from tests.unit.checkout.checkout_doubles import index_of, open_cart, shop, sku_facts

AT = "2026-03-16T08:00:00.000Z"


def _cart(*lines: tuple[str, int]) -> object:
    return open_cart(lines=tuple(Line(sku=sku, quantity=q, added_at=AT) for sku, q in lines))


def test_an_order_of_electronic_lines_holds_no_stock_needs_no_address_and_pays_no_shipping() -> None:
    # GIVEN a cart of two e-certificates, none in stock (they have no stock)
    s = shop(_cart(("ECERT", 2)), available=0, ECERT=sku_facts("ECERT", 2500, digital=True))
    # WHEN the guest checks out with an e-mail only
    placed = s.place(body=CheckoutBody(email="anna@example.com"))
    # THEN the order is placed: its line is electronic, nothing for shipping, no address
    order = placed.order
    assert [(line.sku, line.digital) for line in order.lines] == [("ECERT", True)]
    assert order.shipping is None
    assert order.shipping_address is None
    assert order.totals.amount_due.amount == 5000
    # AND the one transaction takes no stock: its reservation holds nothing
    (entries,) = s.store.transactions
    with pytest.raises(AssertionError, match="no stock entry"):
        index_of(entries, "stock")
    assert entries[-1]["Put"]["Item"]["lines"] == {"L": []}
    assert order.allocations == ()


def test_a_mixed_order_holds_stock_for_its_shipped_lines_only_under_the_carts_line_indexes() -> None:
    # GIVEN an e-certificate on line 0 and two units of A on line 1 (5 of A in stock)
    s = shop(_cart(("ECERT", 1), ("A", 2)), ECERT=sku_facts("ECERT", 2500, digital=True), A=sku_facts("A"))
    # WHEN the guest checks out (a delivery: the address is still needed for A)
    placed = s.place()
    # THEN stock is held for A only, and its allocation names cart line 1
    order = placed.order
    assert [(a.line, a.sku, a.quantity) for a in order.allocations] == [(1, "A", 2)]
    assert [line.digital for line in order.lines] == [True, False]
    assert order.shipping is not None


def test_a_mixed_order_short_of_stock_names_the_carts_line() -> None:
    # GIVEN an e-certificate on line 0 and two units of A on line 1, one A in stock
    s = shop(
        _cart(("ECERT", 1), ("A", 2)),
        available=1,
        ECERT=sku_facts("ECERT", 2500, digital=True),
        A=sku_facts("A"),
    )
    # WHEN the guest checks out / THEN the 409 names cart line 1, not the planner's line 0
    with pytest.raises(Conflict) as caught:
        s.place()
    assert [e.field for e in caught.value.errors] == ["cart.lines.1.quantity"]
    assert s.store.transactions == []


def test_a_mixed_order_still_needs_a_delivery_address() -> None:
    # GIVEN an e-certificate and a shipped item
    s = shop(_cart(("ECERT", 1), ("A", 1)), ECERT=sku_facts("ECERT", 2500, digital=True), A=sku_facts("A"))
    # WHEN the guest gives no address / THEN the usual 422
    with pytest.raises(ValidationFailed) as caught:
        s.place(body=CheckoutBody(email="anna@example.com"))
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("body.shipping_address", "delivery_needs_address")
    ]
