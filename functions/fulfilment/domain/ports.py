"""What the fulfilment service needs from the outside: its table, the workflow's callbacks, the bus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from fulfilment.domain.models import OrderLine, Shipment, ShipmentLine
from shop_kernel.money import Money


@dataclass(frozen=True)
class StoredShipment:
    shipment: Shipment
    version: int
    pick_token: str | None = None
    delivery_token: str | None = None  # written by the workflow's "Wait for delivery" state
    collection_token: str | None = None  # written by the workflow's "Wait for collection" state


class AllocationExists(Exception):
    """The order was allocated already (a retried task): read that allocation instead."""


class ShipmentChanged(Exception):
    """The shipment changed since it was read (another delivery of the same callback won)."""


@dataclass(frozen=True)
class ReviewHold:
    """An order waiting for (or given) an agent's fraud review decision."""

    order_id: str
    token: str
    status: str  # waiting | approve | reject
    decided_by: str | None = None


class CancellationRecord(BaseModel):
    """How fulfilment answered one cancellation request (stored once; a redelivery carries it out again)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    request_id: str
    outcome: str  # cancelled | lines_cancelled | refused | review_cancelled | pending
    reason: str | None = None
    lines: tuple[ShipmentLine, ...] = ()
    amount_released: Money | None = None
    withdrawn: dict[str, tuple[ShipmentLine, ...]] = {}  # units withdrawn per shipment id
    decided_at: str


class CancellationRace(Exception):
    """Something the decision read changed before it was recorded (a packed report, another request):
    read again and decide again."""


class FulfilmentStore(Protocol):
    def hold_for_review(self, order_id: str, token: str, at: str) -> None: ...
    def review(self, order_id: str) -> ReviewHold | None: ...
    def decide_review(self, order_id: str, decision: str, by: str, at: str) -> bool:
        """Recorded only while the order waits; False otherwise."""
        ...

    def close_review(self, order_id: str, at: str) -> None:
        """The review's wait ended without a decision (timed out): no decision applies any more."""
        ...

    def await_delivery(self, shipment_id: str, token: str) -> bool: ...
    def await_collection(self, shipment_id: str, token: str) -> bool: ...
    def allocation(self, order_id: str) -> list[Shipment] | None: ...
    def save_allocation(
        self, order_id: str, shipments: Sequence[Shipment], order_lines: Sequence[OrderLine] = ()
    ) -> None:
        """Once per order (``AllocationExists``); ``CancelledByRequest`` when a whole-order cancellation
        came first (``hold_cancellation``)."""
        ...

    def order_lines(self, order_id: str) -> list[OrderLine]: ...
    def cancellation(self, order_id: str, request_id: str) -> CancellationRecord | None: ...

    def record_cancellation(
        self, record: CancellationRecord, changes: Sequence[tuple[StoredShipment, Shipment]]
    ) -> None:
        """The record and the shipments' new states in one write, each shipment only at the version
        read (``CancellationRace`` otherwise, or when the request is recorded already)."""
        ...

    def cancel_review(self, record: CancellationRecord) -> None:
        """The record, and the order's review hold from waiting to cancelled (``CancellationRace``)."""
        ...

    def hold_cancellation(self, record: CancellationRecord) -> None:
        """The record and a pending cancellation the workflow's review hold and allocation refuse to
        pass, only while the order has neither (``CancellationRace``)."""
        ...

    def shipment(self, shipment_id: str) -> StoredShipment | None: ...
    def request_pick(self, shipment: Shipment, token: str) -> StoredShipment: ...
    def save(self, stored: StoredShipment, shipment: Shipment) -> None: ...


class WorkflowCallbacks(Protocol):
    """Answers a waiting workflow task. False when the token is spent or unknown (already answered,
    timed out, the execution ended): the caller treats that as done, never as an error to retry."""

    def succeed(self, token: str, output: dict[str, Any]) -> bool: ...
    def fail(self, token: str, error: str, cause: str) -> bool: ...
