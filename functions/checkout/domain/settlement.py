"""What each shipment of an order is charged, and the order's payment ledger as fulfilment moves it.

The charging rule (decision "Capture per shipment"), pure and split-invariant:

* A line is charged its ``total`` as pricing made it: its discounts (order-level promotions are already
  allocated over the lines by pricing, in proportion to their value) and its tax. Its units share that
  total: once ``k`` of its ``q`` units have shipped, the line has been charged ``total * k // q``, so the
  last unit takes the rounding remainder and the whole line is charged exactly ``total``.
* Shipping (its price less its discount, with its tax: ``shipping.total``) is charged with the first
  shipment; when nothing ships it is never charged.
* The card pays ``payment.amount`` (the grand total less gift certificates), the same share of every
  amount: of a charged value ``V`` the card has paid ``V * amount // grand_total``.
* A shipment captures ``card(everything shipped after it) - card(everything shipped before it)``.

Whatever the split into shipments, the captures add up to ``card(what shipped)``: never more than the
authorised ``payment.amount``, exactly it when everything ships. What never ships is voided, so
captured + voided = authorised once the order is settled (``settled``).

Every change here returns the order's next version (the caller writes it conditioned on the version
read); none talks to Stripe or to storage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from orders.domain.models import DroppedLines, Order, Payment, ShipmentCharge, ShippedLine, StatusChange
from shop_kernel.clock import isoformat
from shop_kernel.money import Money

Units = Mapping[str, int]


class ShipmentRejected(Exception):
    """The lines are not the order's, or more than it still has to ship: nothing was recorded."""


def units(lines: Iterable[ShippedLine]) -> Counter[str]:
    counted: Counter[str] = Counter()
    for line in lines:
        counted[line.sku] += line.quantity
    return counted


def as_lines(counted: Units) -> tuple[ShippedLine, ...]:
    return tuple(ShippedLine(sku=sku, quantity=n) for sku, n in sorted(counted.items()) if n > 0)


def ordered(order: Order) -> Counter[str]:
    return units(ShippedLine(sku=line.sku, quantity=line.quantity) for line in order.lines)


def shipped(order: Order) -> Counter[str]:
    """Units recorded as shipped (whatever their charge's state)."""
    return units(line for charge in order.payment.shipments for line in charge.lines)


def dropped(order: Order) -> Counter[str]:
    return units(line for drop in order.dropped for line in drop.lines)


def outstanding(order: Order) -> Counter[str]:
    """Units neither shipped nor dropped."""
    left = ordered(order)
    left.subtract(shipped(order))
    left.subtract(dropped(order))
    return +left


def charged_value(order: Order, shipped_units: Units) -> int:
    """What ``shipped_units`` are worth (minor units) under the rule above, shipping included."""
    totals: Counter[str] = Counter()
    quantities: Counter[str] = Counter()
    for line in order.lines:
        totals[line.sku] += line.total.amount
        quantities[line.sku] += line.quantity
    value = sum(
        totals[sku] * min(k, quantities[sku]) // quantities[sku] for sku, k in shipped_units.items() if k > 0
    )
    if order.shipping is not None and any(k > 0 for k in shipped_units.values()):
        value += order.shipping.total.amount
    return value


def card_share(order: Order, value: int) -> Money:
    """What the card pays of ``value`` (the rest was paid by gift certificates)."""
    grand, due = order.totals.grand_total.amount, order.payment.amount
    if grand <= 0 or due.amount <= 0:
        return Money.zero(due.currency)
    return Money.of(min(value, grand) * due.amount // grand, due.currency)


def shipment_amount(order: Order, lines: Iterable[ShippedLine]) -> Money:
    """What the card is charged for shipping ``lines`` after what the order already shipped."""
    before = shipped(order)
    after = before + units(lines)
    return card_share(order, charged_value(order, after)) - card_share(order, charged_value(order, before))


def charge_of(order: Order, shipment_id: str) -> ShipmentCharge | None:
    return next((c for c in order.payment.shipments if c.shipment_id == shipment_id), None)


def captured_total(payment: Payment) -> Money:
    return Money.of(
        sum(c.amount.amount for c in payment.shipments if c.status == "captured"), payment.amount.currency
    )


def deferred_total(payment: Payment) -> Money:
    return Money.of(
        sum(c.amount.amount for c in payment.shipments if c.status == "deferred"), payment.amount.currency
    )


def _check(order: Order, wanted: Units) -> None:
    left = outstanding(order)
    for sku, quantity in wanted.items():
        if quantity > left.get(sku, 0):
            raise ShipmentRejected(
                f"{order.id}: {quantity} x {sku} asked for, {left.get(sku, 0)} left to ship"
            )


def _next(order: Order, now: datetime, note: str, payment: Payment, **changes: object) -> Order:
    at = isoformat(now)
    return order.model_copy(
        update={
            **changes,
            "payment": payment,
            "version": order.version + 1,
            "updated_at": at,
            "history": (*order.history, StatusChange(at=at, status=order.status, note=note)),
        }
    )


def shipment_recorded(
    order: Order, shipment_id: str, lines: Iterable[ShippedLine], location_id: str | None, now: datetime
) -> Order:
    """The shipment and its charge, ``pending`` until Stripe took it: a retry finds the amount to ask for.

    ``final`` when nothing is left to ship after it (Stripe then releases the rest of the authorisation).
    """
    wanted = units(lines)
    if not wanted:
        raise ShipmentRejected(f"{order.id}: shipment {shipment_id} has no lines")
    _check(order, wanted)
    left = outstanding(order)
    left.subtract(wanted)
    charge = ShipmentCharge(
        shipment_id=shipment_id,
        lines=as_lines(wanted),
        location_id=location_id,
        amount=shipment_amount(order, as_lines(wanted)),
        final=not +left,
        status="pending",
        requested_at=isoformat(now),
    )
    payment = order.payment.model_copy(update={"shipments": (*order.payment.shipments, charge)})
    return _next(order, now, f"shipment {shipment_id}: {charge.amount.format()} to capture", payment)


def shipment_charged(order: Order, shipment_id: str, now: datetime, deferred: bool) -> Order:
    """Stripe took the shipment's charge (or, without multicapture, it waits for the last shipment: a
    final capture takes every deferred charge with it)."""
    charge = charge_of(order, shipment_id)
    assert charge is not None
    assert charge.status == "pending"
    at = isoformat(now)
    done = charge.model_copy(update={"status": "deferred" if deferred else "captured", "captured_at": at})
    charges = []
    for c in order.payment.shipments:
        if c.shipment_id == shipment_id:
            c = done
        elif charge.final and not deferred and c.status == "deferred":
            c = c.model_copy(update={"status": "captured", "captured_at": at})
        charges.append(c)
    payment = order.payment.model_copy(update={"shipments": tuple(charges)})
    payment = payment.model_copy(update={"captured": captured_total(payment)})
    if charge.final and not deferred:
        payment = payment.model_copy(update={"voided": payment.amount - captured_total(payment)})
    what = "deferred to the last shipment" if deferred else "captured"
    return _next(order, now, f"shipment {shipment_id}: {charge.amount.format()} {what}", payment)


def shipment_refused(order: Order, shipment_id: str, now: datetime, reason: str) -> Order:
    """Stripe refused the pending charge for good (declined, the authorisation gone): the shipment is
    taken off the order, as if it had not been dispatched, so compensation finds its units outstanding
    (to release) and, when nothing else shipped, an order it may void."""
    charges = tuple(c for c in order.payment.shipments if c.shipment_id != shipment_id)
    payment = order.payment.model_copy(update={"shipments": charges})
    return _next(order, now, f"shipment {shipment_id}: capture refused ({reason})", payment)


def lines_dropped(order: Order, release_id: str, lines: Iterable[ShippedLine], now: datetime) -> Order:
    """Units the order gives up: never charged; their stock is released with this change."""
    wanted = units(lines)
    _check(order, wanted)
    drop = DroppedLines(release_id=release_id, lines=as_lines(wanted), at=isoformat(now))
    described = ", ".join(f"{line.quantity} x {line.sku}" for line in drop.lines)
    return _next(order, now, f"dropped {described}", order.payment, dropped=(*order.dropped, drop))


def is_settled(order: Order) -> bool:
    """Nothing left to ship or charge: what was not captured is (or must now be) voided."""
    return not outstanding(order) and all(c.status == "captured" for c in order.payment.shipments)


def needs_final_capture(order: Order) -> bool:
    """Everything shipped or dropped, and charges wait for a capture no shipment will make (no
    multicapture, the last shipment's units dropped)."""
    return (
        not outstanding(order)
        and any(c.status == "deferred" for c in order.payment.shipments)
        and all(c.status != "pending" for c in order.payment.shipments)
    )


def settled(order: Order, now: datetime) -> Order:
    """Records what was voided: the authorisation less what was captured."""
    payment = order.payment.model_copy(
        update={"voided": order.payment.amount - captured_total(order.payment)}
    )
    return _next(order, now, f"settled: {payment.voided.format() if payment.voided else ''} voided", payment)


def deferred_captured(order: Order, now: datetime) -> Order:
    """The deferred charges captured at once (the final capture), and the rest voided with it."""
    at = isoformat(now)
    charges = tuple(
        c.model_copy(update={"status": "captured", "captured_at": at}) if c.status == "deferred" else c
        for c in order.payment.shipments
    )
    payment = order.payment.model_copy(update={"shipments": charges})
    payment = payment.model_copy(
        update={"captured": captured_total(payment), "voided": payment.amount - captured_total(payment)}
    )
    return _next(order, now, f"captured {captured_total(payment).format()} in all", payment)
