"""The fulfilment service: the workflow's tasks and the callbacks that resume it.

Every operation is idempotent, because the workflow retries tasks and warehouses and carriers deliver
callbacks more than once: an allocation is stored once and a retry reads it back; a pick request keeps the
newest task token and publishes the same event id; a packed report delivered twice answers the same and
resumes the workflow at most once (a spent token is not an error); a tracking update is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fulfilment.domain.cancellation import CancelledByRequest, WithdrawnByRequest
from fulfilment.domain.events import (
    collected,
    electronic_lines_fulfilled,
    fulfilment_requested,
    lines_dropped,
    ready_for_collection,
)
from fulfilment.domain.models import (
    Allocated,
    FulfilmentMode,
    OrderLine,
    Shipment,
    ShipmentKind,
    ShipmentLine,
    ShipmentStatus,
)
from fulfilment.domain.picking import PickNotExpected, pick_answer, record_pick, same_report, short_picked
from fulfilment.domain.planning import plan_shipments
from fulfilment.domain.ports import (
    AllocationExists,
    FulfilmentStore,
    ShipmentChanged,
    StoredShipment,
    WorkflowCallbacks,
)
from inventory.domain.models import Location
from shop_kernel.clock import Clock, isoformat
from shop_kernel.errors import Conflict, NotFound
from shop_kernel.events import EventPublisher
from shop_kernel.observability import logger

# Carrier tracking statuses that end the wait for delivery, and how the workflow resumes.
DELIVERED = {"delivered": ShipmentStatus.DELIVERED}
UNDELIVERED = {
    "failed_delivery": (ShipmentStatus.DELIVERY_FAILED, "DeliveryFailed"),
    "returned_to_sender": (ShipmentStatus.RETURNED, "ReturnedToSender"),
}
FINISHED = {
    ShipmentStatus.DELIVERED,
    ShipmentStatus.DELIVERY_FAILED,
    ShipmentStatus.RETURNED,
    ShipmentStatus.COLLECTED,
    ShipmentStatus.NOT_COLLECTED,
}


class NotWaitingForCollection(Conflict):
    type_slug = "not-waiting-for-collection"
    title = "This shipment is not waiting in the store for its shopper"


class DeliveryNotAwaited(Exception):
    """A tracking update came before the workflow stored its delivery token: try again later."""


def _collection(shipment: Shipment, by: str) -> dict[str, Any]:
    """What the collection wait resumes with (``$.collection``): who handed it over, what the shopper
    took (to capture) and the units cancelled while it waited (released with that capture)."""
    return {
        "collected_by": by,
        "packed": [line.model_dump() for line in shipment.packed],
        "left_in_store": [line.model_dump() for line in shipment.left_in_store],
    }


class ReviewNotPending(Conflict):
    type_slug = "review-not-pending"
    title = "This order is not waiting for a review decision"


REJECTED = "OrderRejected"  # the error a rejection fails the workflow's review wait with
# The errors "Allocate shipments" answers its own token with when the order is not ready to allocate; the
# workflow's Catch routes each to the state that makes it ready, which leads back to allocation.
HELD_FOR_REVIEW = "OrderHeldForReview"
ELECTRONIC_TO_CHARGE = "ElectronicLinesToCharge"
ALLOCATED = "allocated"


def allocation_answer(shipments: Sequence[Shipment]) -> dict[str, Any]:
    """What the workflow carries of an allocation: each shipment's task view, and how many."""
    return {"shipments": [s.task_view() for s in shipments], "count": len(shipments)}


class Fulfilment:
    def __init__(
        self,
        store: FulfilmentStore,
        callbacks: WorkflowCallbacks,
        publisher: EventPublisher,
        clock: Clock,
        locations: Callable[[], Mapping[str, Location]],
        new_id: Callable[[], str],
        carrier: str,
        pickup_hold_s: int = 7 * 24 * 3600,
    ) -> None:
        self.store, self.callbacks, self.publisher, self.clock = store, callbacks, publisher, clock
        self.locations, self.new_id, self.carrier = locations, new_id, carrier
        self.pickup_hold_s = pickup_hold_s

    def allocate(
        self,
        order_id: str,
        lines: Sequence[OrderLine],
        allocations: Sequence[Allocated],
        mode: FulfilmentMode,
        destination: Mapping[str, Any] | None,
        currency: str,
    ) -> list[Shipment]:
        """The order's shipments, planned and stored once (a retry answers the stored ones). An order with
        electronic lines is announced here (``ElectronicLinesFulfilled``): the workflow charged them just before."""
        if any(line.digital for line in lines):
            self.publisher.publish([electronic_lines_fulfilled(order_id, isoformat(self.clock.now()))])
        existing = self.store.allocation(order_id)
        if existing is not None:
            return existing
        shipments = plan_shipments(
            order_id,
            lines,
            allocations,
            mode,
            destination,
            locations=self.locations(),
            carrier=self.carrier,
            currency=currency,
            now=self.clock.now(),
            new_id=self.new_id,
        )
        shipments = [s.model_copy(update={"collect_within_s": self.pickup_hold_s}) for s in shipments]
        try:
            self.store.save_allocation(order_id, shipments, lines)
        except AllocationExists:
            return self.store.allocation(order_id) or shipments
        return shipments

    def allocate_when_ready(
        self,
        token: str,
        order_id: str,
        lines: Sequence[OrderLine],
        allocations: Sequence[Allocated],
        mode: FulfilmentMode,
        destination: Mapping[str, Any] | None,
        currency: str,
        *,
        review_required: bool | None,
        electronic_charged: bool,
    ) -> str:
        """The workflow's "Allocate shipments" (``.waitForTaskToken``) answers its own token here, so one
        Task both routes and allocates (no Choice state before it). An order the screening did not clear
        (only an explicit ``review_required`` false does) waits for a review first, unless an agent
        approved it already: ``OrderHeldForReview``. Then electronic lines not yet charged:
        ``ElectronicLinesToCharge``. Else the allocation (stored once: a retry answers the same shipments).
        A cancellation request that came first answers ``CancelledByRequest``. Every outcome is an answer,
        never a raise (the function's errors page ops); a spent token (a retried invocation's, already
        answered) is no error. Returns the outcome: the error name, or ``allocated``."""
        if review_required is not False and not self._review_approved(order_id):
            return self._route(token, HELD_FOR_REVIEW, f"order {order_id} waits for a fraud review")
        if any(line.digital for line in lines) and not electronic_charged:
            return self._route(token, ELECTRONIC_TO_CHARGE, f"order {order_id}: electronic lines to charge")
        try:
            shipments = self.allocate(order_id, lines, allocations, mode, destination, currency)
        except CancelledByRequest as exc:
            return self._route(token, type(exc).__name__, str(exc))
        self.callbacks.succeed(token, allocation_answer(shipments))
        return ALLOCATED

    def _review_approved(self, order_id: str) -> bool:
        hold = self.store.review(order_id)
        return hold is not None and hold.status == "approve"

    def _route(self, token: str, error: str, cause: str) -> str:
        self.callbacks.fail(token, error, cause)
        return error

    def request_pick(self, shipment_id: str, token: str) -> None:
        """Store the task token the packed report will answer, then ask the warehouse (the event)."""
        stored = self._stored(shipment_id)
        if stored.shipment.status is ShipmentStatus.CANCELLED and stored.shipment.cancelled_by:
            raise CancelledByRequest(f"shipment {shipment_id} was cancelled by request")
        if stored.shipment.status not in (ShipmentStatus.PLANNED, ShipmentStatus.PICK_REQUESTED):
            raise PickNotExpected(f"shipment {shipment_id} is {stored.shipment.status.value}")
        stored = self.store.request_pick(stored.shipment, token)
        self.publisher.publish([fulfilment_requested(stored.shipment, isoformat(self.clock.now()))])

    def packed(self, shipment_id: str, lines: Sequence[ShipmentLine]) -> dict[str, Any]:
        """The warehouse's report: record it, announce dropped units, resume the workflow."""
        stored = self._stored(shipment_id)
        shipment = stored.shipment
        if shipment.status in (ShipmentStatus.PACKED, ShipmentStatus.NOTHING_PACKED) and same_report(
            shipment, lines
        ):
            self._resume_pick(stored.pick_token, shipment)  # a repeat: the token is spent, or was not sent
            return pick_answer(shipment)
        if stored.pick_token is None:
            raise PickNotExpected(f"shipment {shipment_id} is not waiting for a pick")
        picked = record_pick(shipment, lines)
        self.store.save(stored, picked)
        if short_picked(picked):
            self.publisher.publish([lines_dropped(picked, isoformat(self.clock.now()))])
        self._resume_pick(stored.pick_token, picked)
        return pick_answer(picked)

    def cancel(self, order_id: str) -> list[str]:
        """Compensation: the order's shipments not yet finished are cancelled (again: no change)."""
        cancelled = []
        for shipment in self.store.allocation(order_id) or []:
            stored = self.store.shipment(shipment.id)
            if stored is None or stored.shipment.status in FINISHED | {ShipmentStatus.CANCELLED}:
                continue
            self.store.save(stored, stored.shipment.model_copy(update={"status": ShipmentStatus.CANCELLED}))
            cancelled.append(shipment.id)
        return cancelled

    def tracking_update(self, shipment_id: str, status: str, occurred_at: str) -> bool:
        """A carrier status of a shipment: delivered, failed or returned ends the workflow's wait.

        False when the update is not for one of our shipments, or changes nothing."""
        if status not in DELIVERED and status not in UNDELIVERED:
            return False
        stored = self.store.shipment(shipment_id)
        if stored is None:
            logger.info(
                "tracking for a shipment fulfilment does not know", extra={"shipment_id": shipment_id}
            )
            return False
        new_status = DELIVERED.get(status) or UNDELIVERED[status][0]
        if new_status is ShipmentStatus.DELIVERED and stored.shipment.kind is ShipmentKind.TRANSFER:
            new_status = ShipmentStatus.AT_STORE  # delivered to the pickup store: its shopper collects it
        ended = FINISHED | {ShipmentStatus.CANCELLED}
        if stored.shipment.status in ended and stored.shipment.status is not new_status:
            logger.info("late tracking ignored", extra={"shipment_id": shipment_id, "status": status})
            return False
        if stored.shipment.status is ShipmentStatus.AT_STORE and new_status is not ShipmentStatus.AT_STORE:
            logger.info(
                "tracking after arrival ignored", extra={"shipment_id": shipment_id, "status": status}
            )
            return False
        if stored.delivery_token is None:
            raise DeliveryNotAwaited(f"shipment {shipment_id} is not awaited yet")
        if stored.shipment.status is not new_status:
            self.store.save(stored, stored.shipment.model_copy(update={"status": new_status}))
        output = {"shipment_id": shipment_id, "status": status, "occurred_at": occurred_at}
        if status in DELIVERED:
            return self.callbacks.succeed(stored.delivery_token, output)
        error = UNDELIVERED[status][1]
        return self.callbacks.fail(stored.delivery_token, error, f"shipment {shipment_id}: {status}")

    def hold_for_review(self, order_id: str, token: str) -> None:
        """The workflow waits for an agent: keep the token the decision will answer."""
        self.store.hold_for_review(order_id, token, isoformat(self.clock.now()))

    def decide_review(self, order_id: str, decision: str, by: str) -> dict[str, Any]:
        """An agent's approve/reject. The same decision twice answers the same; a different one, a
        decision for an order not held, or after the wait timed out (the order is cancelled), a 409."""
        hold = self.store.review(order_id)
        if hold is None:
            raise ReviewNotPending(f"order {order_id} is not waiting for a review")
        answer = {"order_id": order_id, "decision": decision}
        now = isoformat(self.clock.now())
        # Recorded first, conditionally: a cancellation request decides on the same item, so only one
        # of them answers the token.
        if hold.status == "waiting" and self.store.decide_review(order_id, decision, by, now):
            if not self._answer_review(hold.token, decision, by):
                self.store.close_review(order_id, now)  # the wait timed out: the order was cancelled
                raise ReviewNotPending(f"order {order_id}: its review window has closed")
            return answer
        hold = self.store.review(order_id) or hold
        if hold.status != decision:
            raise ReviewNotPending(f"order {order_id} was already decided: {hold.status}")
        self._answer_review(hold.token, decision, by)  # again: the first may have died before it
        return answer

    def review_decided(self, order_id: str, decision: str, by: str) -> bool:
        """The orders context's ``OrderReviewDecided``: answered as ``decide_review`` answers (recorded
        before the token, so a cancellation and a decision cannot both answer it; a repeat changes
        nothing). A decision for an order that is not waiting (cancelled meanwhile, timed out, decided
        the other way) is logged and ignored: False."""
        try:
            self.decide_review(order_id, decision, by)
        except ReviewNotPending as exc:
            logger.warning("review decision ignored", extra={"order_id": order_id, "why": str(exc)})
            return False
        return True

    def _answer_review(self, token: str, decision: str, by: str) -> bool:
        if decision == "approve":
            return self.callbacks.succeed(token, {"decision": "approve", "by": by})
        return self.callbacks.fail(token, REJECTED, f"rejected by {by}")

    def await_delivery(self, shipment_id: str, token: str) -> None:
        """The workflow waits for the carrier's last word on a shipment: keep its token."""
        if not self.store.await_delivery(shipment_id, token):
            raise NotFound(f"no shipment {shipment_id}")

    def await_collection(self, shipment_id: str, token: str) -> None:
        """A store pickup, or a transfer delivered to the pickup store, waits for its shopper: keep the
        token the collection answers and announce it ready (once: a retried task repeats the same event).
        Cancelled by request before the wait began: ``CancelledByRequest`` (the workflow voids), or
        ``WithdrawnByRequest`` when only its lines were (the workflow releases them)."""
        stored = self._stored(shipment_id)
        shipment = stored.shipment
        if shipment.status is ShipmentStatus.CANCELLED and shipment.cancelled_by:
            raise CancelledByRequest(f"shipment {shipment_id} was cancelled by request")
        if shipment.status is ShipmentStatus.WITHDRAWN and shipment.cancelled_by:
            raise WithdrawnByRequest(f"shipment {shipment_id}: its lines were cancelled by request")
        if not shipment.waits_for_shopper():
            raise NotWaitingForCollection(f"shipment {shipment_id} is {shipment.status.value}")
        if shipment.ready_at is None:
            shipment = shipment.model_copy(update={"ready_at": isoformat(self.clock.now())})
            try:
                self.store.save(stored, shipment)
            except ShipmentChanged:
                return self.await_collection(shipment_id, token)  # a cancellation came: decide on it
        if not self.store.await_collection(shipment_id, token):
            return self.await_collection(shipment_id, token)  # changed meanwhile: decide on what it is
        assert shipment.ready_at is not None
        ready = self._parse(shipment.ready_at)
        collect_by = isoformat(ready + timedelta(seconds=shipment.collect_within_s))
        self.publisher.publish([ready_for_collection(shipment, shipment.ready_at, collect_by)])

    def collected(self, shipment_id: str, by: str) -> dict[str, Any]:
        """The store's staff handed the parcel over. Recorded first (conditioned on the version read,
        so a cancellation request and the collection cannot both win), then the workflow resumed to
        capture what the shipment holds at that version (units cancelled while it waited are left out and
        released with the capture); the same confirmation twice answers the same. Before the wait
        started, after the hold period ran out (the order was released) or after a cancellation, a 409."""
        stored = self._stored(shipment_id)
        shipment = stored.shipment
        answer = {"shipment_id": shipment_id, "status": ShipmentStatus.COLLECTED.value}
        if shipment.status is ShipmentStatus.COLLECTED:
            if stored.collection_token is not None:
                self.callbacks.succeed(stored.collection_token, _collection(shipment, by))  # spent: no change
            # Again, in case the first confirmation died before it announced the collection (same id).
            at = shipment.collected_at or isoformat(self.clock.now())
            self.publisher.publish([collected(shipment, at)])
            return answer
        if not shipment.waits_for_shopper() or stored.collection_token is None:
            raise NotWaitingForCollection(f"shipment {shipment_id} is {shipment.status.value}")
        now = isoformat(self.clock.now())
        taken = shipment.model_copy(update={"status": ShipmentStatus.COLLECTED, "collected_at": now})
        try:
            self.store.save(stored, taken)
        except ShipmentChanged:
            return self.collected(shipment_id, by)  # a concurrent confirmation or cancellation: decide again
        if not self.callbacks.succeed(stored.collection_token, _collection(taken, by)):
            again = self._stored(shipment_id)
            self.store.save(again, again.shipment.model_copy(update={"status": ShipmentStatus.NOT_COLLECTED}))
            raise NotWaitingForCollection(f"shipment {shipment_id}: its hold period ran out")
        self.publisher.publish([collected(taken, now)])
        return answer

    @staticmethod
    def _parse(at: str) -> datetime:
        return datetime.fromisoformat(at.replace("Z", "+00:00"))

    def _resume_pick(self, token: str | None, shipment: Shipment) -> None:
        if token is not None:
            self.callbacks.succeed(token, pick_answer(shipment))

    def _stored(self, shipment_id: str) -> StoredShipment:
        stored = self.store.shipment(shipment_id)
        if stored is None:
            raise NotFound(f"no shipment {shipment_id}")
        return stored
