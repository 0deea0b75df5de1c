"""What cart publishes for a context that reads a cart or closes it in its own transaction (checkout).

Checkout reads the cart (``cart_key``, ``read_cart``) and the cart's read model of its SKUs
(``facts_key``, ``read_facts``) with its own client, and closes the cart inside its order transaction
(``close_cart``): the entry is conditioned on the version priced, and its cancellation reason becomes
``CartClosed`` (an order exists for the cart, with its id and checkout reference) or ``CartChanged``.
The layout itself is cart's (``cart.adapters.records``) and may change behind these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cart.adapters.records import cart_from_item, close_cart_item, facts_from_item
from cart.adapters.records import cart_key as _cart_key
from cart.adapters.records import facts_key as _facts_key
from cart.domain.models import CartChanged, CartClosed, CartOwner, CartStatus, SkuFacts, StoredCart
from shop_kernel.transact import Reason, TransactPart


def cart_key(owner: CartOwner) -> dict[str, dict[str, str]]:
    """The key of ``owner``'s cart, for a GetItem (read it consistently: its version guards the close)."""
    return _cart_key(owner)


def read_cart(item: dict[str, Any]) -> StoredCart:
    """The cart from its item as read (attribute-value form)."""
    return cart_from_item(item)


def facts_key(sku: str) -> dict[str, dict[str, str]]:
    """The key of the cart's facts about ``sku`` (on the carts table), for a BatchGetItem."""
    return _facts_key(sku)


def read_facts(item: dict[str, Any]) -> SkuFacts:
    return facts_from_item(item)


def _closing_refused(reasons: Sequence[Reason]) -> Exception:
    (reason,) = reasons
    old = reason.item or {}

    def text(name: str) -> str | None:
        return (old.get(name) or {}).get("S")

    if text("status") == CartStatus.CHECKED_OUT.value:
        return CartClosed(text("order_id"), text("checkout_ref"))
    return CartChanged("the cart changed while you were checking out: review it and retry")


def close_cart(
    table: str, owner: CartOwner, cart: StoredCart, order_id: str, checkout_ref: str, at: str
) -> TransactPart:
    """The cart becomes ``checked_out`` by ``order_id`` only if it is still open at ``cart.version``.

    ``checkout_ref`` names the checkout request, so a retried request that finds the cart closed by
    ``CartClosed`` with its own order knows its first try landed."""
    entry = close_cart_item(table, owner, cart, order_id, checkout_ref, at)
    return TransactPart((entry,), _closing_refused)


__all__ = ["CartChanged", "CartClosed", "cart_key", "close_cart", "facts_key", "read_cart", "read_facts"]
