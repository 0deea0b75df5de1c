"""The orders table's item layout: the orders checkout writes (through ``orders.contract``) and what the
orders context projects beside them from events (the timeline, the progress, the shipments).

=================  ==============================  ========================  ==============================
item [type]        pk                              sk                        gsi1pk / gsi1sk
=================  ==============================  ========================  ==============================
order              ORDER#<id>                      ORDER                     ORDERS#pending_payment /
                                                                             <payment_due_by>#<id> (sparse)
order_ref          OWNER#<guest|customer>#<key>    ORDER#<created>#<id>      -
lookup             ORDER#<id>                      LOOKUP#email|phone        EMAIL#<e-mail> | PHONE#<digits>
                                                                             / <created>#<id>
progress           ORDER#<id>                      PROGRESS                  STAGE#<stage> / <created>#<id>
timeline           ORDER#<id>                      EVENT#<at>#<event id>     -
shipment           ORDER#<id>                      SHIPMENT#<shipment id>    -
(checkout's)       VELOCITY#... / ATTEMPTS#...     (``checkout.adapters.counters``: never read here)
=================  ==============================  ========================  ==============================

Access patterns (no Scan):

* Order by id: GetItem (the webhook, the sweeper, status reads). Everything about one order (the order,
  its progress, timeline and shipments): one Query on ``ORDER#<id>``.
* A buyer's orders: Query ``OWNER#...``, newest first.
* Orders waiting for payment past their deadline: Query gsi1 ``ORDERS#pending_payment`` with
  ``gsi1sk <= now`` (the sweeper; staff searching ``pending_payment``). An order is on the index only
  while ``PENDING_PAYMENT``.
* Staff search (``orders.domain.search``), each one Query on gsi1 (a page of keys, ``gsi1sk`` between the
  dates) and one BatchGetItem of the page's orders and progress: by stage (``STAGE#<stage>``, one
  partition per stage, newest first), by e-mail (``EMAIL#<lower-case e-mail>``) and by phone
  (``PHONE#<digits>``), written with the order and never changed. By order number: a Query on the order.

An order item carries ``status`` and ``version`` beside its ``doc`` (the ``Order`` as JSON) so that
every change is a Put conditioned on the version read: two writers can never both win. What is
projected from events lives in items of its own, so checkout's Put of the whole order never erases it.
A shipment item is updated, not replaced: its ``doc`` by the newest report (highest ``sequence``), its
``kind`` and ``pickup_store`` (fulfilment's request alone knows them) by whichever report carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orders.domain.errors import OrderChanged, OrderExists
from orders.domain.models import Order, OrderStatus
from orders.domain.timeline import Shipment, TimelineEntry
from shop_kernel.dynamo import deserialize, serialize
from shop_kernel.transact import TransactPart

ORDER_SK = "ORDER"
PENDING_PAYMENT_GSI_PK = "ORDERS#pending_payment"
GSI = "gsi1"


def order_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": ORDER_SK}}


def owner_pk(kind: str, key: str) -> str:
    return f"OWNER#{kind}#{key}"


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


def buyer_order_ids(client: Any, table: str, kind: str, key: str, limit: int) -> list[str]:
    """The buyer's order ids, newest first (one Query of their references)."""
    response = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :orders)",
        ExpressionAttributeValues={":pk": {"S": owner_pk(kind, key)}, ":orders": {"S": "ORDER#"}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [deserialize(i)["order_id"] for i in response.get("Items", [])]


def unpaid_query(table: str, now: str) -> dict[str, Any]:
    """The Query of orders waiting for payment whose deadline is ``now`` or earlier, oldest first."""
    return {
        "TableName": table,
        "IndexName": GSI,
        "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk <= :now",
        "ExpressionAttributeValues": {":pk": {"S": PENDING_PAYMENT_GSI_PK}, ":now": {"S": f"{now}#~"}},
    }


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


# --- parts of a caller's transaction (``orders.contract`` publishes them) ---------------------------


def new_order(table: str, order: Order) -> TransactPart:
    """The order (must not exist: ``OrderExists``) and the buyer's reference to it."""
    return TransactPart(
        tuple(new_order_items(table, order)), lambda _: OrderExists(f"order {order.id} exists already")
    )


def order_update(table: str, order: Order, expected_version: int) -> TransactPart:
    """The order's next version, if it is still at ``expected_version`` (else ``OrderChanged``)."""
    return TransactPart((order_update_item(table, order, expected_version),), lambda _: OrderChanged())


# --- what the orders context projects beside the order ---------------------------------------------

ORDER_PK_PREFIX = "ORDER#"
PROGRESS_SK = "PROGRESS"


def order_pk(order_id: str) -> str:
    return f"{ORDER_PK_PREFIX}{order_id}"


def email_lookup(email: str) -> str:
    return f"EMAIL#{email.strip().lower()}"


def phone_lookup(phone: str) -> str:
    """Digits only (``+380 44 123-45-67`` and ``+380441234567`` are one phone)."""
    return "PHONE#" + "".join(ch for ch in phone if ch.isdigit())


def stage_lookup(stage: str) -> str:
    return f"STAGE#{stage}"


def created_sort(order: Order) -> str:
    return f"{order.created_at}#{order.id}"


def lookup_puts(table: str, order: Order) -> list[dict[str, Any]]:
    """The order's e-mail and phone lookups (staff search), one small item each; never changed."""
    found = [("email", email_lookup(order.buyer.email))] if order.buyer.email else []
    if order.phone and phone_lookup(order.phone) != "PHONE#":
        found.append(("phone", phone_lookup(order.phone)))
    return [
        {
            "TableName": table,
            "Item": serialize(
                {
                    "pk": order_pk(order.id),
                    "sk": f"LOOKUP#{kind}",
                    "type": "lookup",
                    "order_id": order.id,
                    "gsi1pk": value,
                    "gsi1sk": created_sort(order),
                }
            ),
        }
        for kind, value in found
    ]


def entry_put(table: str, order_id: str, entry: TimelineEntry) -> dict[str, Any]:
    """One timeline entry, once: the key holds the event id, a replay finds it there."""
    return {
        "TableName": table,
        "Item": serialize(
            {
                "pk": order_pk(order_id),
                "sk": f"EVENT#{entry.at}#{entry.event_id}",
                "type": "timeline",
                "doc": entry.model_dump_json(exclude_none=True),
            }
        ),
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def shipment_update(table: str, order_id: str, shipment: Shipment) -> dict[str, Any]:
    """The shipment's state, unless a newer report (a higher sequence) is there already. Its ``kind`` and
    pickup store (known from fulfilment's request only) are attributes of their own, so a carrier's
    report, which knows neither, keeps them (``kind_update`` writes them when the request came late)."""
    sets = ["#type = :type", "#seq = :seq", "doc = :doc"]
    values: dict[str, Any] = {
        ":type": "shipment",
        ":seq": shipment.sequence,
        ":doc": shipment.model_dump_json(exclude_none=True, exclude={"kind", "pickup_store"}),
    }
    update = kind_update(table, order_id, shipment)
    if update is not None:
        sets.append(update["UpdateExpression"].removeprefix("SET "))
        values.update(deserialize(update["ExpressionAttributeValues"]))
    return {
        "TableName": table,
        "Key": serialize({"pk": order_pk(order_id), "sk": f"SHIPMENT#{shipment.shipment_id}"}),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": "attribute_not_exists(#seq) OR #seq < :seq",
        "ExpressionAttributeNames": {"#seq": "sequence", "#type": "type"},
        "ExpressionAttributeValues": serialize(values),
    }


def kind_update(table: str, order_id: str, shipment: Shipment) -> dict[str, Any] | None:
    """The shipment's kind and pickup store alone (None when the report does not know them)."""
    if shipment.kind is None:
        return None
    values: dict[str, str] = {":kind": shipment.kind}
    expression = "SET kind = :kind"
    if shipment.pickup_store is not None:
        values[":store"] = shipment.pickup_store
        expression += ", pickup_store = :store"
    return {
        "TableName": table,
        "Key": serialize({"pk": order_pk(order_id), "sk": f"SHIPMENT#{shipment.shipment_id}"}),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": serialize(values),
    }


def progress_put(table: str, order: Order, stage: str, known: int) -> dict[str, Any]:
    """The order's stage for the staff search, computed from ``known`` items of its partition: a
    computation that saw fewer (a concurrent, older one) never overwrites one that saw more."""
    return {
        "TableName": table,
        "Item": serialize(
            {
                "pk": order_pk(order.id),
                "sk": PROGRESS_SK,
                "type": "progress",
                "order_id": order.id,
                "stage": stage,
                "known": known,
                "gsi1pk": stage_lookup(stage),
                "gsi1sk": created_sort(order),
            }
        ),
        "ConditionExpression": "attribute_not_exists(pk) OR #known <= :known",
        "ExpressionAttributeNames": {"#known": "known"},
        "ExpressionAttributeValues": {":known": {"N": str(known)}},
    }


def partition_query(table: str, order_id: str) -> dict[str, Any]:
    """Everything about one order: the order, its lookups, progress, shipments and timeline."""
    return {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": order_pk(order_id)}},
        "ConsistentRead": True,
    }


def progress_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": order_pk(order_id)}, "sk": {"S": PROGRESS_SK}}


def lookup_query(table: str, partition: str, since: str | None, until: str | None) -> dict[str, Any]:
    """A page of one search partition of gsi1 (a stage, an e-mail, a phone), newest first, between the dates."""
    low, high = since or "0", f"{until}~" if until else "~"
    return {
        "TableName": table,
        "IndexName": GSI,
        "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}},
        "ScanIndexForward": False,
    }


@dataclass(frozen=True)
class Partition:
    """What one Query of an order's partition found."""

    order: Order | None
    entries: tuple[TimelineEntry, ...]
    shipments: tuple[Shipment, ...]
    lookups: frozenset[str]
    stage: str | None
    size: int


def read_partition(items: list[dict[str, Any]]) -> Partition:
    order = None
    entries: list[TimelineEntry] = []
    shipments: list[Shipment] = []
    lookups: set[str] = set()
    stage = None
    for raw in items:
        item = deserialize(raw)
        kind = item.get("type")
        if kind == "order":
            order = Order.model_validate_json(item["doc"])
        elif kind == "timeline":
            entries.append(TimelineEntry.model_validate_json(item["doc"]))
        elif kind == "shipment":
            shipment = Shipment.model_validate_json(item["doc"])
            if item.get("kind"):
                shipment = shipment.model_copy(
                    update={"kind": item["kind"], "pickup_store": item.get("pickup_store")}
                )
            shipments.append(shipment)
        elif kind == "lookup":
            lookups.add(item["sk"])
        elif kind == "progress":
            stage = item["stage"]
    return Partition(
        order,
        tuple(entries),
        tuple(shipments),
        frozenset(lookups),
        stage,
        len(entries) + len(shipments),
    )
