"""What the warehouse packed against what the shipment asked for.

A warehouse reports packed quantities per SKU. Fewer than asked is a short pick: the rest of the line is
dropped (never charged, its stock released when the order is settled) and announced with
``OrderLinesDropped``. More than asked, or a SKU the shipment does not hold, is refused. The same report
delivered twice is the same answer; a different report for a shipment already packed is a conflict.

Units a cancellation request withdrew (``Shipment.cancelled``) are not asked for. A warehouse that packed
them before it read the cancellation reports them anyway: they are left out (it unpacks them), not refused.
They join the dropped units, so the workflow releases them like a short pick, but only the short-picked
units are announced as dropped (``short_picked``); the cancelled ones were announced when cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence

from fulfilment.domain.models import Shipment, ShipmentLine, ShipmentStatus, units
from shop_kernel.errors import Conflict, ValidationFailed


class PickNotExpected(Conflict):
    type_slug = "pick-not-expected"
    title = "This shipment is not waiting for a pick"


def _by_sku(lines: Sequence[ShipmentLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def _checked(shipment: Shipment, packed: Sequence[ShipmentLine]) -> dict[str, int]:
    ordered, asked, reported = _by_sku(shipment.lines), _by_sku(shipment.asked()), _by_sku(packed)
    for index, (sku, quantity) in enumerate(reported.items()):
        if sku not in ordered:
            raise ValidationFailed.on(f"lines.{index}.sku", f"{sku} is not in this shipment", "unknown_sku")
        if quantity > ordered[sku]:
            raise ValidationFailed.on(
                f"lines.{index}.quantity", f"{quantity} of {sku} packed, {ordered[sku]} asked", "too_many"
            )
    # Units cancelled meanwhile are not packed, whatever the warehouse had done before it heard.
    return {sku: min(quantity, asked.get(sku, 0)) for sku, quantity in reported.items()}


def same_report(shipment: Shipment, packed: Sequence[ShipmentLine]) -> bool:
    """``packed`` is what this already-packed shipment recorded (a repeated delivery of the report); units
    taken out of the parcel in the store since (``left_in_store``) were packed too."""
    recorded = {sku: q for sku, q in _by_sku((*shipment.packed, *shipment.left_in_store)).items() if q}
    asked = _by_sku(shipment.asked())
    reported = {sku: min(q, asked.get(sku, 0)) for sku, q in _by_sku(packed).items()}
    return recorded == {sku: q for sku, q in reported.items() if q}


def record_pick(shipment: Shipment, packed: Sequence[ShipmentLine]) -> Shipment:
    """The shipment packed as reported, with its dropped remainder; ``PickNotExpected`` unless it waits."""
    if shipment.status is not ShipmentStatus.PICK_REQUESTED:
        raise PickNotExpected(f"shipment {shipment.id} is {shipment.status.value}, not waiting for a pick")
    reported = _checked(shipment, packed)
    asked = shipment.asked()
    packed_lines = tuple(
        ShipmentLine(sku=line.sku, quantity=reported.get(line.sku, 0))
        for line in asked
        if reported.get(line.sku, 0)
    )
    dropped = (
        tuple(
            ShipmentLine(sku=line.sku, quantity=line.quantity - reported.get(line.sku, 0))
            for line in asked
            if line.quantity > reported.get(line.sku, 0)
        )
        + shipment.cancelled
    )
    status = ShipmentStatus.PACKED if packed_lines else ShipmentStatus.NOTHING_PACKED
    return shipment.model_copy(update={"status": status, "packed": packed_lines, "dropped": dropped})


def short_picked(shipment: Shipment) -> tuple[ShipmentLine, ...]:
    """The dropped units the warehouse could not find (not those cancelled by request)."""
    withdrawn = units(shipment.cancelled)
    short = units(shipment.dropped)
    for sku, quantity in withdrawn.items():
        short[sku] = short.get(sku, 0) - quantity
    return tuple(ShipmentLine(sku=sku, quantity=q) for sku, q in short.items() if q > 0)


def pick_answer(shipment: Shipment) -> dict[str, object]:
    """What the waiting workflow resumes with (``$.pick`` of the shipment's iteration)."""
    return {
        "packed": [line.model_dump() for line in shipment.packed],
        "dropped": [line.model_dump() for line in shipment.dropped],
        "packed_units": sum(line.quantity for line in shipment.packed),
    }
