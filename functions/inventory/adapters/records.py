"""The inventory table's item layout and the reservation writes, as ``TransactWriteItems`` entries.

==================  ====================  ===============  ====================================
item [type]         pk                    sk               gsi1pk / gsi1sk
==================  ====================  ===============  ====================================
location            LOC#<id>              LOCATION         LOCATIONS / <id>
locations_config    CONFIG#locations      CONFIG           -
stock level         SKU#<sku>             LOC#<location>   -
reservation         RES#<id>              RESERVATION      RESERVATIONS#active / <expires>#<id>
==================  ====================  ===============  ====================================

The ``locations_config`` item is every location's document in one versioned item (``version``, ``doc``:
``{id: location}``), written in the same transaction as each location change. Cart and checkout read it
in the ``BatchGetItem`` they already make, so a new or changed location counts on their next request
(tens of locations of a few hundred bytes each: far below the 400 KB item limit).

A reservation is on the sparse ``gsi1`` only while ``active``; ``expires_at`` (epoch seconds) is the
table's TTL attribute. Stock items carry ``on_hand``, ``reserved`` and ``available`` (= on_hand -
reserved), because a condition cannot subtract two attributes: ``available >= :q`` is what protects a
reservation from overselling.

Reservation writes: ``reservation_transact_items`` goes into checkout's order transaction (through
``inventory.contract``): each stock entry is conditioned on ``available >= :q``, so either every line is
reserved together with the order, or nothing is written. Release, expiry and commit are conditioned on the
reservation's status, so running one twice (a retried call, a replayed stream record) changes nothing the
second time. Pure data (the low-level attribute-value form botocore sends); no SDK, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from inventory.domain.allocation import ReservationPlan
from inventory.domain.models import StockLevel
from inventory.domain.reservations import (
    MAX_TTL,
    MIN_TTL,
    Reservation,
    ReservationStatus,
    ReservedLine,
    merged_lines,
)
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize, query_all, serialize, serialize_value

LOCATION_SK = "LOCATION"
LOCATIONS_CONFIG_PK = "CONFIG#locations"
CONFIG_SK = "CONFIG"
LOCATIONS_GSI_PK = "LOCATIONS"
RESERVATION_SK = "RESERVATION"
ACTIVE_RESERVATIONS = "RESERVATIONS#active"
GSI = "gsi1"
# Finished reservations stay readable this long (support, audits), then TTL removes them.
RETENTION_S = 90 * 24 * 3600


def location_key(location_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"LOC#{location_id}"}, "sk": {"S": LOCATION_SK}}


def stock_key(sku: str, location_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": f"LOC#{location_id}"}}


def reservation_key(reservation_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"RES#{reservation_id}"}, "sk": {"S": RESERVATION_SK}}


def expiry_sort_key(expires_at: int, reservation_id: str) -> str:
    return f"{expires_at:012d}#{reservation_id}"


def locations_config_key() -> dict[str, dict[str, str]]:
    return {"pk": {"S": LOCATIONS_CONFIG_PK}, "sk": {"S": CONFIG_SK}}


@dataclass(frozen=True)
class LocationDirectory:
    """Every location's document, as of ``version`` of the ``locations_config`` item (0: none written)."""

    version: int = 0
    documents: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> LocationDirectory:
        """From the item in attribute-value (botocore) form; ``None`` is the empty directory."""
        if not item:
            return cls()
        plain = deserialize(item)
        return cls(version=int(plain["version"]), documents=json.loads(plain["doc"]))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.documents))

    def of_kind(self, kind: str) -> frozenset[str]:
        return frozenset(k for k, doc in self.documents.items() if doc.get("kind") == kind)

    @property
    def warehouses(self) -> frozenset[str]:
        return self.of_kind("warehouse")

    @property
    def pickup_stores(self) -> frozenset[str]:
        return frozenset(k for k in self.of_kind("store") if self.documents[k].get("pickup"))


# --- reads ------------------------------------------------------------------------------------------


def reservation_from_item(item: dict[str, Any]) -> Reservation:
    """A reservation from its item (plain values, deserialised: as read, or a stream's old image)."""
    return Reservation(
        id=item["reservation_id"],
        order_id=item["order_id"],
        status=ReservationStatus(item["status"]),
        lines=tuple(
            ReservedLine(line["sku"], line["location_id"], int(line["quantity"])) for line in item["lines"]
        ),
        expires_at=int(item["expires_at"]),
        created_at=item["created_at"],
    )


def stock_from_item(item: dict[str, Any]) -> StockLevel:
    """A stock level from its item (plain values, deserialised)."""
    return StockLevel(
        sku=item["sku"],
        location_id=item["location_id"],
        on_hand=item["on_hand"],
        reserved=item["reserved"],
        available=item["available"],
        version=item["version"],
        updated_at=item.get("updated_at"),
    )


def indexed_location_documents(client: Any, table: str) -> dict[str, dict[str, Any]]:
    """Locations written before the config item existed (gsi1 LOCATIONS), until the next location write."""
    items = query_all(
        client,
        TableName=table,
        IndexName=GSI,
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": LOCATIONS_GSI_PK}},
    )
    docs = (json.loads(deserialize(i)["doc"]) for i in items)
    return {doc["id"]: doc for doc in docs}


# --- reservation writes, as TransactWriteItems entries -------------------------------------------


def _stock_update(table: str, line: ReservedLine, update: str, condition: str, now: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": stock_key(line.sku, line.location_id),
            "UpdateExpression": update + ", updated_at = :now",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}, ":now": {"S": now}},
            # Checkout learns which line lost a race from the cancellation reason's item.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def reserve_stock_item(table: str, line: ReservedLine, now: str) -> dict[str, Any]:
    return _stock_update(
        table,
        line,
        "SET available = available - :q, reserved = reserved + :q",
        "available >= :q",
        now,
    )


def release_stock_item(table: str, line: ReservedLine, now: str) -> dict[str, Any]:
    return _stock_update(
        table,
        line,
        "SET available = available + :q, reserved = reserved - :q",
        "reserved >= :q",
        now,
    )


def commit_stock_item(table: str, line: ReservedLine, now: str) -> dict[str, Any]:
    entry = _stock_update(
        table,
        line,
        "SET on_hand = on_hand - :q, reserved = reserved - :q, version = version + :one",
        "reserved >= :q AND on_hand >= :q",
        now,
    )
    entry["Update"]["ExpressionAttributeValues"][":one"] = {"N": "1"}
    return entry


def reservation_item(
    reservation_id: str, order_id: str, lines: Sequence[ReservedLine], plan: ReservationPlan, expires_at: int
) -> dict[str, Any]:
    return serialize(
        {
            "pk": reservation_key(reservation_id)["pk"]["S"],
            "sk": reservation_key(reservation_id)["sk"]["S"],
            "type": "reservation",
            "reservation_id": reservation_id,
            "order_id": order_id,
            "status": ReservationStatus.ACTIVE.value,
            "fulfilment": plan.fulfilment.model_dump(mode="json"),
            "lines": [
                {"sku": ln.sku, "location_id": ln.location_id, "quantity": ln.quantity} for ln in lines
            ],
            "allocations": [a.model_dump(mode="json") for a in plan.allocations],
            "created_at": isoformat(plan.planned_at),
            "expires_at": expires_at,
            "gsi1pk": ACTIVE_RESERVATIONS,
            "gsi1sk": expiry_sort_key(expires_at, reservation_id),
        }
    )


def reservation_transact_items(
    plan: ReservationPlan, reservation_id: str, order_id: str, ttl: timedelta, *, table_name: str
) -> list[dict[str, Any]]:
    """Stock decrements + the reservation record, for checkout's ``TransactWriteItems``.

    The reservation expires ``ttl`` after the plan was made (``expires_at``, epoch seconds, the TTL
    attribute); its id must be new (a replay with the same id cancels the whole transaction).
    """
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise ValueError(f"a reservation lives between {MIN_TTL} and {MAX_TTL}")
    lines = merged_lines(plan.allocations)
    now = isoformat(plan.planned_at)
    expires_at = int((plan.planned_at + ttl).timestamp())
    put = {
        "Put": {
            "TableName": table_name,
            "Item": reservation_item(reservation_id, order_id, lines, plan, expires_at),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    return [*(reserve_stock_item(table_name, line, now) for line in lines), put]


def _finish(table: str, reservation: Reservation, status: ReservationStatus, now: datetime) -> dict[str, Any]:
    at = isoformat(now)
    update: dict[str, Any] = {
        "TableName": table,
        "Key": reservation_key(reservation.id),
        "UpdateExpression": "SET #status = :to, finished_at = :now, expires_at = :retain REMOVE gsi1pk, gsi1sk",
        "ConditionExpression": "#status = :active",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":to": {"S": status.value},
            ":active": {"S": ReservationStatus.ACTIVE.value},
            ":now": {"S": at},
            ":retain": serialize_value(int(now.timestamp()) + RETENTION_S),
        },
    }
    if status is ReservationStatus.EXPIRED:
        # Only a hold that is still overdue when the write lands: a payment may have extended it since
        # it was read (or since the index, which lags, listed it).
        update["ConditionExpression"] += " AND expires_at <= :epoch"
        update["ExpressionAttributeValues"][":epoch"] = {"N": str(int(now.timestamp()))}
    return {"Update": update}


def release_transact_items(
    reservation: Reservation,
    now: datetime,
    *,
    table_name: str,
    status: ReservationStatus = ReservationStatus.RELEASED,
) -> list[dict[str, Any]]:
    """Give the stock back (cancelled order: RELEASED; ran out of time: EXPIRED), once.

    EXPIRED is conditioned on ``expires_at <= now`` as well: an extended hold is never expired.
    """
    at = isoformat(now)
    return [
        _finish(table_name, reservation, status, now),
        *(release_stock_item(table_name, line, at) for line in reservation.lines),
    ]


def commit_transact_items(
    reservation: Reservation, now: datetime, *, table_name: str
) -> list[dict[str, Any]]:
    """The goods shipped: they leave ``on_hand`` and ``reserved``; ``available`` is unchanged."""
    at = isoformat(now)
    return [
        _finish(table_name, reservation, ReservationStatus.COMMITTED, now),
        *(commit_stock_item(table_name, line, at) for line in reservation.lines),
    ]


def _lines_value(lines: Sequence[ReservedLine]) -> dict[str, Any]:
    return serialize_value(
        [{"sku": ln.sku, "location_id": ln.location_id, "quantity": ln.quantity} for ln in lines]
    )


def part_transact_items(
    reservation: Reservation,
    taken: Sequence[ReservedLine],
    remaining: Sequence[ReservedLine],
    now: datetime,
    *,
    table_name: str,
    status: ReservationStatus,
) -> list[dict[str, Any]]:
    """Commit (shipped: COMMITTED) or release (dropped: RELEASED) the ``taken`` units of an active
    reservation and keep ``remaining`` held. The reservation's lines become ``remaining`` (it finishes
    with ``status`` when nothing remains), only while it is active with the lines read: two partial writes
    racing cannot both land on the same lines."""
    at = isoformat(now)
    if remaining:
        first: dict[str, Any] = {
            "Update": {
                "TableName": table_name,
                "Key": reservation_key(reservation.id),
                "UpdateExpression": "SET #lines = :remaining, updated_at = :now",
                "ConditionExpression": "#status = :active",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":remaining": _lines_value(remaining),
                    ":active": {"S": ReservationStatus.ACTIVE.value},
                    ":now": {"S": at},
                },
            }
        }
    else:
        first = _finish(table_name, reservation, status, now)
    update = first["Update"]
    update["ConditionExpression"] += " AND #lines = :lines"
    update["ExpressionAttributeNames"]["#lines"] = "lines"
    update["ExpressionAttributeValues"][":lines"] = _lines_value(reservation.lines)
    stock = commit_stock_item if status is ReservationStatus.COMMITTED else release_stock_item
    return [first, *(stock(table_name, line, at) for line in taken)]


def expired_tombstone_items(
    reservation: Reservation, now: datetime, *, table_name: str
) -> list[dict[str, Any]]:
    """TTL already deleted an active reservation: record it as expired and give its stock back, once.

    The tombstone's ``attribute_not_exists`` condition makes a replayed stream record a no-op.
    """
    at = isoformat(now)
    tombstone = serialize(
        {
            "pk": reservation_key(reservation.id)["pk"]["S"],
            "sk": reservation_key(reservation.id)["sk"]["S"],
            "type": "reservation",
            "reservation_id": reservation.id,
            "order_id": reservation.order_id,
            "status": ReservationStatus.EXPIRED.value,
            "lines": [
                {"sku": ln.sku, "location_id": ln.location_id, "quantity": ln.quantity}
                for ln in reservation.lines
            ],
            "created_at": reservation.created_at,
            "finished_at": at,
            "expires_at": int(now.timestamp()) + RETENTION_S,
        }
    )
    put = {
        "Put": {"TableName": table_name, "Item": tombstone, "ConditionExpression": "attribute_not_exists(pk)"}
    }
    return [put, *(release_stock_item(table_name, line, at) for line in reservation.lines)]


def extend_reservation_item(reservation_id: str, expires_at: int, *, table_name: str) -> dict[str, Any]:
    """Keep an active reservation beyond its TTL (e.g. once payment is authorised), as a transaction entry."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": reservation_key(reservation_id),
            "UpdateExpression": "SET expires_at = :until, gsi1sk = :sort",
            "ConditionExpression": "#status = :active",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":until": {"N": str(expires_at)},
                ":sort": {"S": expiry_sort_key(expires_at, reservation_id)},
                ":active": {"S": ReservationStatus.ACTIVE.value},
            },
        }
    }
