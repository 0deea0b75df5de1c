"""What the fulfilment service needs from the outside: its table, the workflow's callbacks, the bus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fulfilment.domain.models import Shipment


@dataclass(frozen=True)
class StoredShipment:
    shipment: Shipment
    version: int
    pick_token: str | None = None
    delivery_token: str | None = None  # written by the workflow's "Wait for delivery" state


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


class FulfilmentStore(Protocol):
    def hold_for_review(self, order_id: str, token: str, at: str) -> None: ...
    def review(self, order_id: str) -> ReviewHold | None: ...
    def decide_review(self, order_id: str, decision: str, by: str, at: str) -> None: ...
    def await_delivery(self, shipment_id: str, token: str) -> bool: ...
    def allocation(self, order_id: str) -> list[Shipment] | None: ...
    def save_allocation(self, order_id: str, shipments: Sequence[Shipment]) -> None: ...
    def shipment(self, shipment_id: str) -> StoredShipment | None: ...
    def request_pick(self, shipment: Shipment, token: str) -> StoredShipment: ...
    def save(self, stored: StoredShipment, shipment: Shipment) -> None: ...


class WorkflowCallbacks(Protocol):
    """Answers a waiting workflow task. False when the token is spent or unknown (already answered,
    timed out, the execution ended): the caller treats that as done, never as an error to retry."""

    def succeed(self, token: str, output: dict[str, Any]) -> bool: ...
    def fail(self, token: str, error: str, cause: str) -> bool: ...
