"""Events carry ids, not personal data; staff who must reach a buyer (call center, operations, the
integrations acting for them) read the order's contact details by id from the staff order API (the
orders context's ``orders-api``, reading the order checkout placed)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from tests.integration.checkout.conftest import ADDRESS, CUSTOMER_SUB, guest_cart, new_key
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
AGENT_SUB = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"


def test_staff_read_an_orders_contact_details_by_its_id(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
) -> None:
    # GIVEN a guest's order
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    order_id = checkout("POST", "/checkout", BODY, token=token, key=new_key()).body["order"]["id"]
    # WHEN a call-center agent and an ops user read it by id
    agent = orders("GET", f"/admin/orders/{order_id}", sub=AGENT_SUB, groups="agents")
    ops = orders("GET", f"/admin/orders/{order_id}", sub=AGENT_SUB, groups="ops")
    # THEN both get the email and the delivery address the events no longer carry
    assert agent.status == ops.status == 200, agent.body
    assert agent.body["email"] == "olena@example.com"
    assert agent.body["shipping_address"]["name"] == ADDRESS["name"]
    assert agent.headers["Cache-Control"] == "private, no-store"


def test_only_staff_may_read_any_order(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
) -> None:
    # GIVEN a guest's order
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    order_id = checkout("POST", "/checkout", BODY, token=token, key=new_key()).body["order"]["id"]
    # WHEN an anonymous caller, a customer and a merchandiser ask for it; and staff ask for a missing one
    anonymous = orders("GET", f"/admin/orders/{order_id}")
    shopper = orders("GET", f"/admin/orders/{order_id}", sub=CUSTOMER_SUB)
    merchandiser = orders("GET", f"/admin/orders/{order_id}", sub=AGENT_SUB, groups="merchandisers")
    missing = orders("GET", "/admin/orders/ord_01JE0000000000000000000000", sub=AGENT_SUB, groups="ops")
    # THEN 401, 403, 403 and 404
    assert [r.status for r in (anonymous, shopper, merchandiser, missing)] == [401, 403, 403, 404]
