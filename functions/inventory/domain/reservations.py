"""Reservation writes as ``TransactWriteItems`` entries, for checkout's and inventory's transactions.

Checkout puts ``reservation_transact_items(...)`` into ONE transaction with its order item (and promo /
gift certificate redemptions): each stock entry is conditioned on ``available >= :q``, so either every
line is reserved together with the order, or nothing is written. Release, expiry and commit are
conditioned on the reservation's status, so running one twice (a retried call, a replayed stream
record) changes nothing the second time.

Pure data (the low-level attribute-value form botocore sends); no SDK, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inventory.domain.allocation import Allocation, ReservationPlan
from inventory.domain.records import (
    ACTIVE_RESERVATIONS,
    RETENTION_S,
    ReservationStatus,
    expiry_sort_key,
    reservation_key,
    stock_key,
)
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import serialize, serialize_value

MIN_TTL = timedelta(minutes=1)
MAX_TTL = timedelta(days=30)


@dataclass(frozen=True)
class ReservedLine:
    sku: str
    location_id: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    """A stored reservation, as release/commit/expiry need it."""

    id: str
    order_id: str
    status: ReservationStatus
    lines: tuple[ReservedLine, ...]
    expires_at: int
    created_at: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Reservation:
        """``item`` is a deserialised reservation item (plain Python values)."""
        return cls(
            id=item["reservation_id"],
            order_id=item["order_id"],
            status=ReservationStatus(item["status"]),
            lines=tuple(
                ReservedLine(line["sku"], line["location_id"], int(line["quantity"]))
                for line in item["lines"]
            ),
            expires_at=int(item["expires_at"]),
            created_at=item["created_at"],
        )


def merged_lines(allocations: Iterable[Allocation]) -> tuple[ReservedLine, ...]:
    """One line per (sku, location): a transaction may touch each stock item only once."""
    totals: dict[tuple[str, str], int] = {}
    for allocation in allocations:
        key = (allocation.sku, allocation.location_id)
        totals[key] = totals.get(key, 0) + allocation.quantity
    return tuple(ReservedLine(sku, location, quantity) for (sku, location), quantity in totals.items())


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
