"""What a cancellation request does to an order's shipments, before dispatch (pure rules).

A request names the whole order or some units (per SKU). Units may be cancelled while their shipment
waits for the warehouse (``planned``, ``pick_requested``); once the warehouse reported a shipment packed,
it is on its way to the carrier booking and the capture, and its units are ``dispatched`` for a request:
refused. So the packed report and a cancellation decide on the same item, each conditioned on its
version: exactly one of them wins, and a cancellation that arrives while the carrier is being booked is
refused, never half applied.

A store pickup packed in the store, or a transfer delivered to the pickup store, waits for its shopper
(``Shipment.waits_for_shopper``): not handed over and not charged, so the whole order may still be
cancelled; the store's "collected" and the request decide on the shipment's version in the same way, so
exactly one of them wins. A transfer still with the carrier is ``dispatched``.

* The whole order: every shipment still waiting (for the warehouse or for its shopper) is ``cancelled``;
  refused if any was packed for a carrier (or collected). A request for some units that are everything
  the order still has is the whole order.
* Some units of a shipment waiting in the store: taken off what it holds (``packed``) and kept as
  ``left_in_store``; it goes on waiting for its shopper with the rest. Nothing of it was charged, so the
  collection captures only what it still holds, and the units left in the store are released with that
  capture (or with the rest when nobody collects it, or when the order is cancelled). The store's
  "collected" and the request decide on the shipment's version, so the shopper is handed over exactly
  what was charged. A request that leaves it nothing withdraws the whole shipment: its collection wait
  ends with ``WithdrawnByRequest`` into the uncollected path (every unit it was packed with released, the
  order voided only if nothing else was or will be captured).
* Some units: taken from waiting shipments (the latest collection first). A shipment left with nothing to
  pick is ``withdrawn``: its wait ends at once as a pick of nothing (the workflow releases its units as
  unpicked). A shipment left with some units is told to pick fewer; its cancelled units are released with
  the warehouse's report, like a short pick. Units the order never had (or already gave up) are refused
  as ``not_in_order``; units only packed shipments hold as ``dispatched``. When the units are everything
  the order still has to ship and nothing shipped, the request cancels the whole order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from fulfilment.domain.models import OrderLine, Shipment, ShipmentLine, ShipmentStatus, units
from shop_kernel.money import Money

WAITING = frozenset({ShipmentStatus.PLANNED, ShipmentStatus.PICK_REQUESTED})
CLOSED = frozenset({ShipmentStatus.CANCELLED, ShipmentStatus.NOTHING_PACKED, ShipmentStatus.WITHDRAWN})
Outcome = Literal["cancelled", "lines_cancelled", "refused", "review_cancelled", "pending"]


class CancelledByRequest(Exception):
    """The order was cancelled by request: the workflow's error name for its cancel path."""


class WithdrawnByRequest(Exception):
    """Every unit of a shipment waiting in the store was cancelled by request (lines only): the workflow's
    error name for ending its collection wait into the uncollected path (release; the rest goes on)."""


class CancellationNotReady(Exception):
    """The order is between two steps (its review approved, its allocation not stored yet; a shipment
    not yet sent to the warehouse): decide again when the request is delivered again."""


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None
    changed: tuple[Shipment, ...] = ()  # the shipments' new states
    withdrawn: dict[str, tuple[ShipmentLine, ...]] = field(default_factory=dict)  # per shipment id
    lines: tuple[ShipmentLine, ...] = ()  # every unit this request cancels


def refused(reason: str) -> Decision:
    return Decision("refused", reason)


def _as_lines(totals: dict[str, int]) -> tuple[ShipmentLine, ...]:
    return tuple(ShipmentLine(sku=sku, quantity=q) for sku, q in totals.items() if q > 0)


def decide(shipments: Sequence[Shipment], lines: Sequence[ShipmentLine] | None, request_id: str) -> Decision:
    """What the request does (see the module docstring)."""
    if lines is not None and units(lines) == _still_in_order(shipments):
        lines = None  # everything left: the whole order
    if lines is not None:
        decision = _some_units(shipments, lines, request_id)
        if decision.outcome != "lines_cancelled" or not _nothing_left(shipments, decision.changed):
            return decision
    return _whole_order(shipments, request_id)


def _whole_order(shipments: Sequence[Shipment], request_id: str) -> Decision:
    going = [s for s in shipments if s.status not in CLOSED]
    if any(s.status not in WAITING and not s.waits_for_shopper() for s in going):
        return refused("dispatched")
    if not going:
        return refused("already_cancelled")
    changed = tuple(
        s.model_copy(
            update={"status": ShipmentStatus.CANCELLED, "cancelled_by": (*s.cancelled_by, request_id)}
        )
        for s in going
    )
    withdrawn = {s.id: s.packed if s.waits_for_shopper() else s.asked() for s in going}
    everything: dict[str, int] = {}
    for asked in withdrawn.values():
        for sku, quantity in units(asked).items():
            everything[sku] = everything.get(sku, 0) + quantity
    return Decision("cancelled", changed=changed, withdrawn=withdrawn, lines=_as_lines(everything))


def _still_in_order(shipments: Sequence[Shipment]) -> dict[str, int]:
    left: dict[str, int] = {}
    for shipment in shipments:
        if shipment.status in CLOSED:
            continue
        held = shipment.asked() if shipment.status in WAITING else shipment.packed
        for sku, quantity in units(held).items():
            left[sku] = left.get(sku, 0) + quantity
    return left


def _some_units(shipments: Sequence[Shipment], lines: Sequence[ShipmentLine], request_id: str) -> Decision:
    wanted, left = units(lines), _still_in_order(shipments)
    if any(quantity > left.get(sku, 0) for sku, quantity in wanted.items()):
        return refused("not_in_order")
    remaining, changed, withdrawn = dict(wanted), [], {}
    waiting = sorted(
        (s for s in shipments if s.status in WAITING or s.waits_for_shopper()),
        key=lambda s: s.dispatch_by,
        reverse=True,
    )
    for shipment in waiting:
        if shipment.waits_for_shopper():
            taken = _in_store(shipment, remaining, request_id)
            if taken is not None:
                withdrawn[shipment.id], after = taken
                changed.append(after)
            continue
        asked = units(shipment.asked())
        take = {sku: min(asked.get(sku, 0), q) for sku, q in remaining.items() if min(asked.get(sku, 0), q)}
        if not take:
            continue
        if shipment.status is ShipmentStatus.PLANNED:
            raise CancellationNotReady(f"shipment {shipment.id} is not at the warehouse yet")
        for sku, quantity in take.items():
            remaining[sku] -= quantity
        withdrawn[shipment.id] = _as_lines(take)
        changed.append(_withdraw(shipment, withdrawn[shipment.id], request_id))
    if any(remaining.values()):
        return refused("dispatched")
    return Decision("lines_cancelled", changed=tuple(changed), withdrawn=withdrawn, lines=_as_lines(wanted))


def _in_store(
    shipment: Shipment, remaining: dict[str, int], request_id: str
) -> tuple[tuple[ShipmentLine, ...], Shipment] | None:
    """The units of ``remaining`` a shipment waiting in the store holds, taken from ``remaining``, and the
    shipment after: still waiting with the rest (the taken units ``left_in_store``), or ``withdrawn`` when
    nothing is left of it. None when it holds none of them."""
    held = units(shipment.packed)
    take = {sku: min(held.get(sku, 0), q) for sku, q in remaining.items() if min(held.get(sku, 0), q) > 0}
    if not take:
        return None
    for sku, quantity in take.items():
        remaining[sku] -= quantity
    taken = _as_lines(take)
    by = (*shipment.cancelled_by, request_id)
    if take == held:
        after = {"status": ShipmentStatus.WITHDRAWN, "cancelled": taken, "cancelled_by": by}
        return taken, shipment.model_copy(update=after)
    left = units(shipment.left_in_store)
    for sku, quantity in take.items():
        left[sku] = left.get(sku, 0) + quantity
    packed = tuple(
        ShipmentLine(sku=line.sku, quantity=line.quantity - take.get(line.sku, 0))
        for line in shipment.packed
        if line.quantity > take.get(line.sku, 0)
    )
    after = {"packed": packed, "left_in_store": _as_lines(left), "cancelled_by": by}
    return taken, shipment.model_copy(update=after)


def _withdraw(shipment: Shipment, lines: tuple[ShipmentLine, ...], request_id: str) -> Shipment:
    cancelled = units(shipment.cancelled)
    for sku, quantity in units(lines).items():
        cancelled[sku] = cancelled.get(sku, 0) + quantity
    after = shipment.model_copy(
        update={"cancelled": _as_lines(cancelled), "cancelled_by": (*shipment.cancelled_by, request_id)}
    )
    if after.asked():
        return after
    # Nothing left to pick: the pick ends now, everything "dropped" (released as unpicked).
    return after.model_copy(
        update={"status": ShipmentStatus.WITHDRAWN, "packed": (), "dropped": after.cancelled}
    )


def _nothing_left(shipments: Sequence[Shipment], changed: Sequence[Shipment]) -> bool:
    """After ``changed``, no shipment has anything to ship and none was packed: the whole order goes."""
    after = {s.id: s for s in shipments} | {s.id: s for s in changed}
    return all(s.status in CLOSED for s in after.values())


def released_value(
    order_lines: Sequence[OrderLine], before: dict[str, int], now: dict[str, int]
) -> Money | None:
    """The value of ``now`` units cancelled after ``before`` were, by checkout's charge rule (after ``k``
    of a line's ``q`` units, ``total * k // q``; cancelled units are the line's last ones). None when the
    order's lines carry no totals."""
    quantity: dict[str, int] = {}
    total: dict[str, Money] = {}
    for line in order_lines:
        if line.total is None:
            return None
        quantity[line.sku] = quantity.get(line.sku, 0) + line.quantity
        total[line.sku] = total[line.sku] + line.total if line.sku in total else line.total
    if not total:
        return None
    currency = next(iter(total.values())).currency
    amount = 0
    for sku, cancelled in now.items():
        if sku not in total:
            continue
        q, t, k0 = quantity[sku], total[sku].amount, before.get(sku, 0)
        amount += (t * (q - k0) // q) - (t * (q - k0 - cancelled) // q)
    return Money.of(amount, currency)
