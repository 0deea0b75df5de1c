"""``cart.contract``: checkout closes a cart in its order transaction, and a refusal comes back in the
cart's terms (closed by an order, or changed)."""

from __future__ import annotations

from cart import contract
from cart.domain.models import CartChanged, CartClosed, CartOwner, CartStatus, OwnerKind, StoredCart
from shop_kernel.transact import Reason, refusal

OWNER = CartOwner(kind=OwnerKind.GUEST, key="g" * 64)
CART = StoredCart(
    id="cart_01JDZZZZZZZZZZZZZZZZZZZZZZ",
    owner_kind=OwnerKind.GUEST,
    version=3,
    currency="EUR",
    destination_country="DE",
    lines=(),
    created_at="2026-03-16T08:00:00.000Z",
    updated_at="2026-03-16T08:30:00.000Z",
    expires_at=2_000_000_000,
)
FAILED = "ConditionalCheckFailed"


def test_closing_is_conditioned_on_the_version_priced_and_the_cart_being_open() -> None:
    # WHEN checkout closes the cart at version 3 for an order
    part = contract.close_cart("carts", OWNER, CART, "ord_1", "ref-1", "2026-03-16T09:00:00.000Z")
    # THEN one update of the owner's cart, only if still open at version 3, returning the old item if not
    (entry,) = part.entries
    update = entry["Update"]
    assert update["Key"] == contract.cart_key(OWNER)
    assert update["ConditionExpression"] == "version = :v AND #status = :open"
    values = update["ExpressionAttributeValues"]
    assert (values[":v"], values[":order"], values[":ref"]) == ({"N": "3"}, {"S": "ord_1"}, {"S": "ref-1"})
    assert update["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_a_cart_an_order_closed_first_is_cart_closed_naming_that_order_and_request() -> None:
    # GIVEN the close refused, the cart as it was: checked out by ord_other from request ref-2
    part = contract.close_cart("carts", OWNER, CART, "ord_1", "ref-1", "2026-03-16T09:00:00.000Z")
    old = {
        "status": {"S": CartStatus.CHECKED_OUT.value},
        "order_id": {"S": "ord_other"},
        "checkout_ref": {"S": "ref-2"},
    }
    # WHEN the refusal is explained
    error = refusal([part], [Reason(FAILED, old)])
    # THEN the cart names the order that closed it
    assert isinstance(error, CartClosed)
    assert (error.order_id, error.checkout_ref) == ("ord_other", "ref-2")


def test_a_cart_changed_since_it_was_priced_is_cart_changed() -> None:
    # GIVEN the close refused on a cart still open at version 4
    part = contract.close_cart("carts", OWNER, CART, "ord_1", "ref-1", "2026-03-16T09:00:00.000Z")
    old = {"status": {"S": CartStatus.OPEN.value}, "version": {"N": "4"}}
    # THEN the cart changed
    assert isinstance(refusal([part], [Reason(FAILED, old)]), CartChanged)
