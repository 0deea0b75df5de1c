"""In-memory stand-ins for the fulfilment service's ports (its table, the workflow's callbacks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fulfilment.domain.cancellation import CancelledByRequest
from fulfilment.domain.models import OrderLine, Shipment, ShipmentStatus
from fulfilment.domain.ports import (
    AllocationExists,
    CancellationRace,
    CancellationRecord,
    ReviewHold,
    ShipmentChanged,
    StoredShipment,
)


class MemoryStore:
    def __init__(self) -> None:
        self.allocations: dict[str, list[Shipment]] = {}
        self.shipments: dict[str, StoredShipment] = {}
        self.reviews: dict[str, ReviewHold] = {}
        self.lines: dict[str, list[OrderLine]] = {}
        self.cancellations: dict[tuple[str, str], CancellationRecord] = {}
        self.pending: set[str] = set()

    def allocation(self, order_id: str) -> list[Shipment] | None:
        return self.allocations.get(order_id)

    def save_allocation(
        self, order_id: str, shipments: Sequence[Shipment], order_lines: Sequence[OrderLine] = ()
    ) -> None:
        if order_id in self.pending:
            raise CancelledByRequest(order_id)
        if order_id in self.allocations:
            raise AllocationExists(order_id)
        self.allocations[order_id] = list(shipments)
        self.lines[order_id] = list(order_lines)
        for shipment in shipments:
            self.shipments[shipment.id] = StoredShipment(shipment, 1)

    def shipment(self, shipment_id: str) -> StoredShipment | None:
        return self.shipments.get(shipment_id)

    def request_pick(self, shipment: Shipment, token: str) -> StoredShipment:
        stored = self.shipments[shipment.id]
        requested = shipment.model_copy(update={"status": ShipmentStatus.PICK_REQUESTED})
        self.shipments[shipment.id] = replace(
            stored, shipment=requested, version=stored.version + 1, pick_token=token
        )
        return self.shipments[shipment.id]

    def save(self, stored: StoredShipment, shipment: Shipment) -> None:
        if self.shipments[shipment.id].version != stored.version:
            raise ShipmentChanged(shipment.id)
        self.shipments[shipment.id] = replace(stored, shipment=shipment, version=stored.version + 1)

    def order_lines(self, order_id: str) -> list[OrderLine]:
        return self.lines.get(order_id, [])

    def cancellation(self, order_id: str, request_id: str) -> CancellationRecord | None:
        return self.cancellations.get((order_id, request_id))

    def _put(self, record: CancellationRecord) -> None:
        if (record.order_id, record.request_id) in self.cancellations:
            raise CancellationRace(record.request_id)

    def record_cancellation(
        self, record: CancellationRecord, changes: Sequence[tuple[StoredShipment, Shipment]]
    ) -> None:
        self._put(record)
        if any(self.shipments[s.id].version != stored.version for stored, s in changes):
            raise CancellationRace(record.request_id)
        for stored, shipment in changes:
            self.shipments[shipment.id] = replace(
                self.shipments[shipment.id], shipment=shipment, version=stored.version + 1
            )
        self.cancellations[(record.order_id, record.request_id)] = record

    def cancel_review(self, record: CancellationRecord) -> None:
        self._put(record)
        held = self.reviews.get(record.order_id)
        if held is None or held.status != "waiting":
            raise CancellationRace(record.request_id)
        self.reviews[record.order_id] = replace(held, status="cancelled")
        self.cancellations[(record.order_id, record.request_id)] = record

    def hold_cancellation(self, record: CancellationRecord) -> None:
        self._put(record)
        order_id = record.order_id
        if order_id in self.pending or order_id in self.allocations or order_id in self.reviews:
            raise CancellationRace(record.request_id)
        self.pending.add(order_id)
        self.cancellations[(order_id, record.request_id)] = record

    def close_review(self, order_id: str, at: str) -> None:
        self.reviews[order_id] = replace(self.reviews[order_id], status="closed")

    def hold_for_review(self, order_id: str, token: str, at: str) -> None:
        if order_id in self.pending:
            raise CancelledByRequest(order_id)
        held = self.reviews.get(order_id)
        if held is None or held.status == "waiting":
            self.reviews[order_id] = ReviewHold(order_id, token, "waiting")

    def review(self, order_id: str) -> ReviewHold | None:
        return self.reviews.get(order_id)

    def decide_review(self, order_id: str, decision: str, by: str, at: str) -> bool:
        if self.reviews[order_id].status != "waiting":
            return False
        self.reviews[order_id] = replace(self.reviews[order_id], status=decision, decided_by=by)
        return True

    def await_collection(self, shipment_id: str, token: str) -> bool:
        waiting = (ShipmentStatus.PACKED, ShipmentStatus.AT_STORE)
        if shipment_id not in self.shipments or self.shipments[shipment_id].shipment.status not in waiting:
            return False
        self.shipments[shipment_id] = replace(self.shipments[shipment_id], collection_token=token)
        return True

    def await_delivery(self, shipment_id: str, token: str) -> bool:
        if shipment_id not in self.shipments:
            return False
        self.shipments[shipment_id] = replace(self.shipments[shipment_id], delivery_token=token)
        return True


class RecordingCallbacks:
    """Answers tokens once each, as Step Functions does: a second answer finds the token spent."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, Any]] = []  # (token, "success"|error name, output or cause)

    def _spent(self, token: str) -> bool:
        return any(answer[0] == token for answer in self.answers)

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        if self._spent(token):
            return False
        self.answers.append((token, "success", output))
        return True

    def fail(self, token: str, error: str, cause: str) -> bool:
        if self._spent(token):
            return False
        self.answers.append((token, error, cause))
        return True
