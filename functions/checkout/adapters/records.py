"""The orders table's item layout and the writes checkout and the payment webhooks make to it.

What checkout writes in other contexts' tables in the same transactions comes from their contract modules
(``checkout.adapters.dynamo.DynamoUnitOfWork``); the parts here are checkout's own.

=================  ==============================  ======================  ==============================
item [type]        pk                              sk                      gsi1pk / gsi1sk
=================  ==============================  ======================  ==============================
order              ORDER#<id>                      ORDER                   ORDERS#pending_payment /
                                                                           <payment_due_by>#<id> (sparse)
order_ref          OWNER#<guest|customer>#<key>    ORDER#<created>#<id>    -
velocity           VELOCITY#<dimension>#<value>    <UTC hour yyyymmddhh>   -
attempts           ATTEMPTS#<source>#<value>       <window start, ISO>     -
=================  ==============================  ======================  ==============================

Access patterns (no Scan):

* Order by id: GetItem (the webhook, status reads). A buyer's orders: Query ``OWNER#...``, newest first.
* Orders waiting for payment past their deadline: Query gsi1 ``ORDERS#pending_payment`` with
  ``gsi1sk <= now`` (the sweeper). An order is on the index only while ``PENDING_PAYMENT``.
* Fraud velocity: BatchGetItem of this hour's counters, ``ADD count :one`` in the authorisation
  transaction; counters expire (TTL ``expires_at``) after two days.
* Checkout attempts (``checkout.domain.throttle``): one ``UpdateItem`` per source's counter of the
  window (``ADD count :one`` if ``count < :limit``, ``shop_kernel.limits``) before anything is held; a
  counter expires (TTL) when its window has passed.

An order item carries ``status`` and ``version`` beside its ``doc`` (the ``Order`` as JSON) so that
every change is a Put conditioned on the version read: two writers can never both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from checkout.domain.fraud import VelocityKey
from checkout.domain.models import Order, OrderStatus
from checkout.domain.ports import OrderChanged, OrderExists
from shop_kernel.dynamo import deserialize, serialize
from shop_kernel.transact import TransactPart

ORDER_SK = "ORDER"
PENDING_PAYMENT_GSI_PK = "ORDERS#pending_payment"
GSI = "gsi1"
VELOCITY_RETENTION = timedelta(days=2)


def order_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": ORDER_SK}}


def owner_pk(kind: str, key: str) -> str:
    return f"OWNER#{kind}#{key}"


def velocity_key(key: VelocityKey) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"VELOCITY#{key.dimension.value}#{key.value}"}, "sk": {"S": key.bucket}}


def order_item(order: Order) -> dict[str, Any]:
    item: dict[str, Any] = {
        **{k: v["S"] for k, v in order_key(order.id).items()},
        "type": "order",
        "order_id": order.id,
        "status": order.status.value,
        "version": order.version,
        "doc": order.model_dump_json(),
    }
    if order.status is OrderStatus.PENDING_PAYMENT:
        item["gsi1pk"] = PENDING_PAYMENT_GSI_PK
        item["gsi1sk"] = f"{order.payment_due_by}#{order.id}"
    return serialize(item)


def order_from_item(item: dict[str, Any]) -> Order:
    return Order.model_validate_json(deserialize(item)["doc"])


def new_order_items(table: str, order: Order) -> list[dict[str, Any]]:
    """The order (must not exist) and the buyer's reference to it, for checkout's transaction."""
    reference = serialize(
        {
            "pk": owner_pk(order.buyer.kind, order.buyer.key),
            "sk": f"ORDER#{order.created_at}#{order.id}",
            "type": "order_ref",
            "order_id": order.id,
            "created_at": order.created_at,
            "grand_total": order.totals.grand_total.amount,
            "currency": order.currency,
        }
    )
    return [
        {
            "Put": {
                "TableName": table,
                "Item": order_item(order),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Put": {"TableName": table, "Item": reference}},
    ]


def order_update_item(table: str, order: Order, expected_version: int) -> dict[str, Any]:
    """Replace the order if it is still at ``expected_version`` (``order.version`` is the next one)."""
    return {
        "Put": {
            "TableName": table,
            "Item": order_item(order),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def velocity_count_items(table: str, keys: list[VelocityKey], now: datetime) -> list[dict[str, Any]]:
    """One more order on each counter of this hour (created on first use, expiring two days later)."""
    expires = int((now + VELOCITY_RETENTION).timestamp())
    return [
        {
            "Update": {
                "TableName": table,
                "Key": velocity_key(key),
                "UpdateExpression": "ADD #count :one SET #type = :type, expires_at = :expires",
                "ExpressionAttributeNames": {"#count": "count", "#type": "type"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":type": {"S": "velocity"},
                    ":expires": {"N": str(expires)},
                },
            }
        }
        for key in keys
    ]


# --- checkout's own parts of its transactions ------------------------------------------------------


def new_order(table: str, order: Order) -> TransactPart:
    """The order (must not exist: ``OrderExists``) and the buyer's reference to it."""
    return TransactPart(
        tuple(new_order_items(table, order)), lambda _: OrderExists(f"order {order.id} exists already")
    )


def order_update(table: str, order: Order, expected_version: int) -> TransactPart:
    """The order's next version, if it is still at ``expected_version`` (else ``OrderChanged``)."""
    return TransactPart((order_update_item(table, order, expected_version),), lambda _: OrderChanged())


def velocity_counts(table: str, keys: list[VelocityKey], now: datetime) -> TransactPart:
    """One more order on each of this hour's counters (unconditional)."""
    return TransactPart(tuple(velocity_count_items(table, keys, now)))
