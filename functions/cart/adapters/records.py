"""The carts table's item layout, shared by the cart's adapters and checkout's order transaction.

==============  ======================  ========  =============================================
item [type]     pk                      sk        what
==============  ======================  ========  =============================================
cart            GUEST#<sha256(token)>   CART      a guest cart (the token itself is never stored)
cart            CUSTOMER#<sub>          CART      a signed-in customer's cart (one per customer)
sku             SKU#<sku>               FACTS     the cart's read model of a catalog SKU
product         PRODUCT#<id>            SKUS      which SKUs a product had at its last version
attempts        ATTEMPTS#codes-<src>#…  <window>  code entries per cart / address in a window (TTL)
==============  ======================  ========  =============================================

Checkout reads a cart and its SKU facts with these keys and closes the cart inside its order
transaction (``close_cart_item``), conditioned on the version it priced. Pure data in the low-level
attribute-value form botocore sends; no SDK, no I/O.
"""

from __future__ import annotations

import json
from typing import Any

from cart.domain.models import CartOwner, CartStatus, OwnerKind, SkuFacts, StoredCart
from shop_kernel.dynamo import deserialize, serialize

CART_SK = "CART"
FACTS_SK = "FACTS"


def cart_key(owner: CartOwner) -> dict[str, dict[str, str]]:
    prefix = "GUEST" if owner.kind is OwnerKind.GUEST else "CUSTOMER"
    return {"pk": {"S": f"{prefix}#{owner.key}"}, "sk": {"S": CART_SK}}


def facts_key(sku: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": FACTS_SK}}


def cart_item(owner: CartOwner, cart: StoredCart) -> dict[str, Any]:
    key = {k: v["S"] for k, v in cart_key(owner).items()}
    return serialize({**key, "type": "cart", **cart.model_dump(mode="json")})


def cart_from_item(item: dict[str, Any]) -> StoredCart:
    plain = deserialize(item)
    return StoredCart.model_validate({k: v for k, v in plain.items() if k in StoredCart.model_fields})


def facts_from_item(item: dict[str, Any]) -> SkuFacts:
    # ``status`` and ``product_version`` live beside the document so conditions can compare them.
    plain = deserialize(item)
    doc = json.loads(plain["doc"])
    return SkuFacts.model_validate(
        {**doc, "status": plain["status"], "product_version": plain["product_version"]}
    )


def close_cart_item(
    table: str, owner: CartOwner, cart: StoredCart, order_id: str, checkout_ref: str, at: str
) -> dict[str, Any]:
    """Checkout's transaction entry: the cart becomes ``checked_out`` only if it is still what was priced.

    ``checkout_ref`` identifies the checkout request (owner + Idempotency-Key), so a retried request
    that finds the cart already closed by itself knows the order is its own.
    """
    return {
        "Update": {
            "TableName": table,
            "Key": cart_key(owner),
            "UpdateExpression": (
                "SET #status = :closed, order_id = :order, checkout_ref = :ref, checked_out_at = :at, "
                "updated_at = :at, version = version + :one"
            ),
            "ConditionExpression": "version = :v AND #status = :open",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":closed": {"S": CartStatus.CHECKED_OUT.value},
                ":open": {"S": CartStatus.OPEN.value},
                ":order": {"S": order_id},
                ":ref": {"S": checkout_ref},
                ":at": {"S": at},
                ":one": {"N": "1"},
                ":v": {"N": str(cart.version)},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
