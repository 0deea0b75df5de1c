"""Cancellation requests (``OrderCancellationRequested``) carried out on the fulfilment side.

Each request is decided once and recorded with what it changed, in the write that changes it
(``FulfilmentStore.record_cancellation``); a redelivered request finds its record and carries the same
outcome out again (the same event ids, a spent token is no error), so it is idempotent per request.

Where the order is decides what the request does (``fulfilment.domain.cancellation`` for shipments):

* waiting for an agent's review: the hold is cancelled and its token failed with ``CancelledByRequest``
  (the workflow voids the authorisation: checkout cancels the order, gives back stock, codes and
  certificates, and publishes ``OrderCancelled``). Lines only: refused (``under_review``).
* not yet held nor allocated (the workflow just started): a pending cancellation the review hold and the
  allocation refuse to pass (``CancelledByRequest``); lines only: decided again later.
* allocated: shipments still waiting (for the warehouse, or in the pickup store for their shopper) are
  cancelled (the warehouse told with ``FulfilmentCancelled``, each
  waiting task failed with ``CancelledByRequest``), or some units withdrawn (``OrderLinesCancelled``);
  refused once what it names was packed for a carrier or collected (``OrderCancellationRefused``). Units
  taken off a shipment that goes on waiting in the store are only told to the store
  (``FulfilmentCancelled``: take them out of the parcel); its collection wait goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from fulfilment.domain.cancellation import (
    CancellationNotReady,
    CancelledByRequest,
    Decision,
    WithdrawnByRequest,
    decide,
    refused,
    released_value,
)
from fulfilment.domain.events import cancellation_refused, fulfilment_cancelled, lines_cancelled
from fulfilment.domain.models import ShipmentLine, ShipmentStatus, units
from fulfilment.domain.picking import pick_answer
from fulfilment.domain.ports import (
    CancellationRace,
    CancellationRecord,
    FulfilmentStore,
    StoredShipment,
    WorkflowCallbacks,
)
from shop_kernel.clock import Clock, isoformat
from shop_kernel.events import DomainEvent, EventPublisher
from shop_kernel.money import Money

ATTEMPTS = 4
CANCELLED = CancelledByRequest.__name__  # the error the workflow's waits are failed with
WITHDRAWN = WithdrawnByRequest.__name__  # a store's collection wait, when only its shipment is cancelled


class CancellationRequests:
    def __init__(
        self, store: FulfilmentStore, callbacks: WorkflowCallbacks, publisher: EventPublisher, clock: Clock
    ) -> None:
        self.store, self.callbacks, self.publisher, self.clock = store, callbacks, publisher, clock

    def request(
        self, order_id: str, request_id: str, lines: Sequence[ShipmentLine] | None
    ) -> CancellationRecord:
        """Decide (once) and carry out a request; ``CancellationNotReady``: deliver it again later."""
        for _ in range(ATTEMPTS):
            record = self.store.cancellation(order_id, request_id)
            if record is None:
                try:
                    record = self._decide(order_id, request_id, lines)
                except CancellationRace:
                    continue
            self._carry_out(record)
            return record
        raise CancellationNotReady(f"order {order_id} kept changing while request {request_id} was decided")

    # --- deciding ----------------------------------------------------------------------------------

    def _record(
        self, order_id: str, request_id: str, decision: Decision, amount: Money | None = None
    ) -> CancellationRecord:
        return CancellationRecord(
            order_id=order_id,
            request_id=request_id,
            outcome=decision.outcome,
            reason=decision.reason,
            lines=decision.lines,
            amount_released=amount,
            withdrawn=decision.withdrawn,
            decided_at=isoformat(self.clock.now()),
        )

    def _decide(
        self, order_id: str, request_id: str, lines: Sequence[ShipmentLine] | None
    ) -> CancellationRecord:
        allocation = self.store.allocation(order_id)
        if allocation is None:
            return self._before_allocation(order_id, request_id, lines)
        stored = [self.store.shipment(s.id) for s in allocation]
        current = {s.shipment.id: s for s in stored if s is not None}
        decision = decide([s.shipment for s in current.values()], lines, request_id)
        amount = None
        if decision.outcome == "lines_cancelled":
            before: dict[str, int] = {}
            for s in current.values():
                gone = (*s.shipment.cancelled, *s.shipment.left_in_store)
                for sku, quantity in units(gone).items():
                    before[sku] = before.get(sku, 0) + quantity
            amount = released_value(self.store.order_lines(order_id), before, units(decision.lines))
        record = self._record(order_id, request_id, decision, amount)
        changes = [(current[s.id], s) for s in decision.changed]
        self.store.record_cancellation(record, changes)
        return record

    def _before_allocation(
        self, order_id: str, request_id: str, lines: Sequence[ShipmentLine] | None
    ) -> CancellationRecord:
        review = self.store.review(order_id)
        if review is not None and review.status == "waiting":
            if lines is not None:
                record = self._record(order_id, request_id, refused("under_review"))
                self.store.record_cancellation(record, [])
                return record
            record = self._record(order_id, request_id, Decision("review_cancelled"))
            self.store.cancel_review(record)
            return record
        if review is not None and review.status != "approve":
            record = self._record(order_id, request_id, refused("already_cancelled"))
            self.store.record_cancellation(record, [])
            return record
        if review is not None or lines is not None:
            raise CancellationNotReady(f"order {order_id} is being allocated")
        record = self._record(order_id, request_id, Decision("pending"))
        self.store.hold_cancellation(record)
        return record

    # --- carrying out ------------------------------------------------------------------------------

    def _carry_out(self, record: CancellationRecord) -> None:
        at = record.decided_at
        events: list[DomainEvent] = []
        if record.outcome == "refused":
            events.append(cancellation_refused(record.order_id, record.reason or "", record.request_id, at))
        elif record.outcome == "review_cancelled":
            hold = self.store.review(record.order_id)
            if hold is not None:
                # Spent: the review had timed out, so the workflow cancelled the order already.
                self.callbacks.fail(hold.token, CANCELLED, f"cancelled by request {record.request_id}")
        for shipment_id, withdrawn in record.withdrawn.items():
            stored = self.store.shipment(shipment_id)
            if stored is None or stored.pick_token is None:
                continue  # never sent to the warehouse: its pick request finds it cancelled
            events.append(fulfilment_cancelled(stored.shipment, list(withdrawn), record.request_id, at))
            self._end_wait(record, stored)
        if record.outcome == "lines_cancelled":
            events.append(
                lines_cancelled(
                    record.order_id, list(record.lines), record.amount_released, record.request_id, at
                )
            )
        if events:
            self.publisher.publish(events)

    def _end_wait(self, record: CancellationRecord, stored: StoredShipment) -> None:
        token = stored.pick_token
        assert token is not None
        if stored.shipment.status is ShipmentStatus.CANCELLED:
            # A shipment waiting in the store for its shopper has answered its pick already (spent):
            # its collection wait ends instead. One that had not begun it finds the shipment cancelled.
            for waiting in (token, stored.collection_token):
                if waiting is not None:
                    self.callbacks.fail(waiting, CANCELLED, f"cancelled by request {record.request_id}")
        elif stored.shipment.status is ShipmentStatus.WITHDRAWN:
            self.callbacks.succeed(token, pick_answer(stored.shipment))  # spent when it waits in the store
            if stored.collection_token is not None:
                self.callbacks.fail(stored.collection_token, WITHDRAWN, f"withdrawn by {record.request_id}")
