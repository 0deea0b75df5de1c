"""An e-certificate (the catalog's ``fulfilment`` attribute is ``digital``) bought through the cart and
checkout functions on moto, with real-shaped API Gateway events: it needs no stock in the cart, no address
and no shipping at checkout, and its order holds an empty reservation (no stock taken)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.integration.cart.conftest import catalog_events_batch
from tests.integration.checkout.conftest import guest_cart, new_key
from tests.support import Reply
from tests.workflows.test_electronic_lines import ECERT, ECERT_UAH, ecertificate_published


def test_a_guest_buys_e_certificates_with_an_e_mail_only(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    shop: SimpleNamespace,
    functions: Any,
    lambda_context: Any,
) -> None:
    # GIVEN the catalog published an e-certificate (no stock anywhere) and a guest put two in a cart
    batch = catalog_events_batch([ecertificate_published()])
    assert functions.invoke("cart-catalog-projector", batch, lambda_context) == {"batchItemFailures": []}
    token = guest_cart(cart, [(ECERT, 2)])
    priced = cart("GET", "/cart", token=token).body
    assert priced["shipping"] is None
    # WHEN the guest checks out with an e-mail and no address
    placed = checkout("POST", "/checkout", {"email": "olena@example.com"}, token=token, key=new_key())
    # THEN the order is placed for the two certificates only, to pay by card
    assert placed.status == 201, placed.body
    order = placed.body["order"]
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(ECERT, 2)]
    assert order["totals"]["amount_due"] == {"amount": 2 * ECERT_UAH, "currency": "UAH"}
    assert order["totals"]["shipping"]["amount"] == 0
    assert placed.body["payment"]["amount"]["amount"] == 2 * ECERT_UAH
    # AND its reservation holds nothing: no stock item was touched
    from shop_kernel.dynamo import deserialize

    items = [deserialize(i) for i in shop.dynamodb.scan(TableName=shop.inventory)["Items"]]  # test-only Scan
    (hold,) = [i for i in items if i.get("type") == "reservation" and i.get("order_id") == order["id"]]
    assert hold["lines"] == []
    assert not any(i.get("sku") == ECERT for i in items)
