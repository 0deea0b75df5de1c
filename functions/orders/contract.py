"""What the orders context publishes for checkout, which creates and moves orders in its own transactions.

Checkout places an order in the transaction that closes the cart and holds the stock (``new_order``: the
order, which must be new, with the buyer's reference and the contact lookups staff search by), and moves
it with its payment (``update_order``: the next version, only while the order is at the version read).
Each write is a ``TransactPart`` whose cancellation reasons become the orders context's errors
(``OrderExists``, ``OrderChanged``); ``save_order`` is the same update alone. Reads: one order
(``read_order``), several (``read_orders``), a buyer's newest (``orders_of``), the orders still waiting for
payment past their deadline (``unpaid_orders``), an order from a table stream image (``order_in``), and an order with where it stands
and how it got there (``read_progress``: its stage, timeline and shipments, for the guest's order page).
The layout is the orders context's (``orders.adapters.records``) and may change behind these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orders.adapters import records
from orders.domain.errors import OrderChanged
from orders.domain.models import Order
from orders.domain.timeline import Shipment, Stage, TimelineEntry, sorted_timeline, stage_of
from shop_kernel.dynamo import batch_get_all, deserialize, query_all, query_page
from shop_kernel.transact import TransactPart

# --- writes, as parts of the caller's transaction ------------------------------------------------


def new_order(table: str, order: Order) -> TransactPart:
    """The order (must not exist: ``OrderExists``) and the buyer's reference to it."""
    return records.new_order(table, order)


def update_order(table: str, order: Order, expected_version: int) -> TransactPart:
    """The order's next version, if it is still at ``expected_version`` (else ``OrderChanged``)."""
    return records.order_update(table, order, expected_version)


def save_order(client: Any, table: str, order: Order, expected_version: int) -> None:
    """``update_order`` alone, as one conditional Put (``OrderChanged`` when someone wrote first)."""
    try:
        client.put_item(**records.order_update_item(table, order, expected_version)["Put"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise OrderChanged from exc
        raise


# --- reads ---------------------------------------------------------------------------------------


def read_order(client: Any, table: str, order_id: str) -> Order | None:
    """The order as it is now (one consistent GetItem), None when there is none."""
    item = client.get_item(TableName=table, Key=records.order_key(order_id), ConsistentRead=True)
    return records.order_from_item(item["Item"]) if "Item" in item else None


def read_orders(client: Any, table: str, order_ids: Sequence[str]) -> list[Order]:
    """The orders with these ids (one BatchGetItem of at most 100), in the order asked."""
    if not order_ids:
        return []
    request = {table: {"Keys": [records.order_key(i) for i in order_ids]}}
    found = {o.id: o for o in map(records.order_from_item, batch_get_all(client, request).get(table, []))}
    return [found[i] for i in order_ids if i in found]


def orders_of(client: Any, table: str, kind: str, key: str, limit: int = 20) -> list[str]:
    """The buyer's order ids, newest first (one Query)."""
    return records.buyer_order_ids(client, table, kind, key, limit)


def unpaid_orders(
    client: Any, table: str, now: str, limit: int = 50, after: dict[str, Any] | None = None
) -> tuple[list[str], dict[str, Any] | None]:
    """One page of the orders still waiting for payment whose deadline is ``now`` or earlier (oldest
    first), from ``after`` (the previous page's position), and the position after it (None: the end)."""
    items, last = query_page(client, limit, after, **records.unpaid_query(table, now))
    return [deserialize(i)["order_id"] for i in items], last


def order_in(image: dict[str, Any] | None) -> Order | None:
    """The order in a stream record's image of the orders table; None for any other item."""
    if not image or (image.get("type") or {}).get("S") != "order":
        return None
    return records.order_from_item(image)


@dataclass(frozen=True)
class OrderProgress:
    order: Order
    stage: Stage
    timeline: list[TimelineEntry]
    shipments: list[Shipment]


def read_progress(client: Any, table: str, order_id: str) -> OrderProgress | None:
    """The order, its stage, timeline (oldest first) and shipments: one consistent Query."""
    found = records.read_partition(query_all(client, **records.partition_query(table, order_id)))
    if found.order is None:
        return None
    stage = stage_of(found.order, found.entries, found.shipments)
    shipments = sorted(found.shipments, key=lambda s: s.shipment_id)
    return OrderProgress(found.order, stage, sorted_timeline(found.order, found.entries), shipments)
