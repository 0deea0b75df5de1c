"""Stock holds against reservations: every ``reserved`` counter must be what its active reservations hold.

A stock level's ``reserved`` is changed only in the same transaction as a reservation (reserve, release,
expire, commit), so it always equals the sum of the active reservations' lines at that SKU and location,
and ``available`` equals ``on_hand - reserved``. The reconciler reads both sides in one consistent pass
and compares them here, without I/O:

======================  ===============================================  ==========================
kind                    what differs                                     repair
======================  ===============================================  ==========================
``reserved_mismatch``   ``reserved`` is not the sum of the active holds  recount, when the level
                        (or is negative)                                 has been quiet a while
``available_mismatch``  ``available`` is not ``on_hand - reserved``      recount, likewise
``oversold``            the active holds exceed ``on_hand``              flag for ops
``overdue_hold``        an active hold is long past its expiry (the      flag (the sweeper's job)
                        sweeper is not keeping up)
``hold_without_stock``  an active hold names a level that does not       flag for ops
                        exist
======================  ===============================================  ==========================

A level written after the pass began is not judged (the pass may have seen half of a change). A recount
is only proposed for a level unchanged for ``settle`` before the pass: the stream releases the stock of a
reservation TTL deleted within seconds, and a recount must not race that release. The write itself is
conditioned on the level being exactly as read, so a change in between makes it a no-op.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from inventory.domain.events import SCHEMA_VERSION, SOURCE, StockHoldDriftFound, StockHoldDriftItem
from shop_kernel.clock import Clock, isoformat
from shop_kernel.events import DomainEvent, make_event

SETTLE = timedelta(minutes=15)
EVENT_DRIFTS = 100
_NAMESPACE = uuid.UUID("8a1f3c5e-2b7d-4e9a-a6c4-5d0e8f1b3a27")
OVERDUE_GRACE = timedelta(minutes=30)


class HoldDriftKind(StrEnum):
    RESERVED_MISMATCH = "reserved_mismatch"
    AVAILABLE_MISMATCH = "available_mismatch"
    OVERSOLD = "oversold"
    OVERDUE_HOLD = "overdue_hold"
    HOLD_WITHOUT_STOCK = "hold_without_stock"


class HoldRepair(StrEnum):
    RECOUNT = "recount"
    FLAG = "flag"


@dataclass(frozen=True)
class LevelSeen:
    """A stock level as the pass read it (``updated_at``: UTC ISO-8601, as every stock write sets it)."""

    sku: str
    location_id: str
    on_hand: int
    reserved: int
    available: int
    updated_at: str


@dataclass(frozen=True)
class HoldSeen:
    """One line of an active reservation as the pass read it."""

    reservation_id: str
    sku: str
    location_id: str
    quantity: int
    expires_at: int  # epoch seconds


@dataclass(frozen=True)
class HoldDrift:
    kind: HoldDriftKind
    repair: HoldRepair
    sku: str
    location_id: str
    detail: str
    level: LevelSeen | None = None
    held: int = 0  # the sum of the active holds: what ``reserved`` should be
    reservation_id: str | None = None


def held_by_level(holds: Iterable[HoldSeen]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for hold in holds:
        totals[(hold.sku, hold.location_id)] += hold.quantity
    return dict(totals)


def compare_holds(
    levels: Sequence[LevelSeen],
    holds: Sequence[HoldSeen],
    started: datetime,
    *,
    settle: timedelta = SETTLE,
    grace: timedelta = OVERDUE_GRACE,
) -> list[HoldDrift]:
    """Every difference between the levels and the active holds read by a pass begun at ``started``."""
    held = held_by_level(holds)
    began, quiet_before = _iso(started), _iso(started - settle)
    drifts: list[HoldDrift] = []
    for level in levels:
        if level.updated_at >= began:
            continue  # changed during the pass: judged by the next one
        drift = compare_level(
            level, held.get((level.sku, level.location_id), 0), level.updated_at <= quiet_before
        )
        if drift is not None:
            drifts.append(drift)
    known = {(level.sku, level.location_id) for level in levels}
    overdue_before = int((started - grace).timestamp())
    for hold in holds:
        if (hold.sku, hold.location_id) not in known:
            detail = f"{hold.quantity} held at a level that does not exist"
            drifts.append(_hold_drift(HoldDriftKind.HOLD_WITHOUT_STOCK, hold, detail))
        if hold.expires_at < overdue_before:
            detail = f"expired at {hold.expires_at}, still active"
            drifts.append(_hold_drift(HoldDriftKind.OVERDUE_HOLD, hold, detail))
    return drifts


def compare_level(level: LevelSeen, held: int, quiet: bool) -> HoldDrift | None:
    """One level against what its active holds add up to (``quiet``: unchanged for the settle time)."""
    if held > level.on_hand:
        detail = f"{held} held, {level.on_hand} on hand"
        return HoldDrift(
            HoldDriftKind.OVERSOLD, HoldRepair.FLAG, level.sku, level.location_id, detail, level, held
        )
    repair = HoldRepair.RECOUNT if quiet else HoldRepair.FLAG
    if level.reserved != held:
        detail = f"reserved {level.reserved}, active holds {held}"
        return HoldDrift(
            HoldDriftKind.RESERVED_MISMATCH, repair, level.sku, level.location_id, detail, level, held
        )
    if level.available != level.on_hand - level.reserved:
        detail = f"available {level.available}, on hand {level.on_hand} - reserved {level.reserved}"
        return HoldDrift(
            HoldDriftKind.AVAILABLE_MISMATCH, repair, level.sku, level.location_id, detail, level, held
        )
    return None


def _hold_drift(kind: HoldDriftKind, hold: HoldSeen, detail: str) -> HoldDrift:
    return HoldDrift(
        kind,
        HoldRepair.FLAG,
        hold.sku,
        hold.location_id,
        detail,
        held=hold.quantity,
        reservation_id=hold.reservation_id,
    )


def _iso(moment: datetime) -> str:
    return isoformat(moment)


@dataclass(frozen=True)
class HoldsReport:
    levels_checked: int
    holds_checked: int  # active reservations
    drifts: tuple[HoldDrift, ...]
    repaired: tuple[HoldDrift, ...]

    def found_by_kind(self) -> dict[str, int]:
        return dict(Counter(d.kind.value for d in self.drifts))

    def repaired_by_kind(self) -> dict[str, int]:
        return dict(Counter(d.kind.value for d in self.repaired))

    @property
    def flagged(self) -> tuple[HoldDrift, ...]:
        return tuple(d for d in self.drifts if d not in self.repaired)


class HoldsLedger(Protocol):
    """Both sides of the inventory table, and the one repair (the adapter: ``InventoryStore``)."""

    def holds_snapshot(self) -> tuple[list[LevelSeen], list[HoldSeen]]:
        """Every stock level and every line of every active reservation, read consistently."""
        ...

    def recount_reserved(self, level: LevelSeen, held: int, now: datetime) -> bool:
        """``reserved = held``, ``available = on_hand - held`` if the level is still exactly ``level``."""
        ...


@dataclass
class HoldsReconciler:
    ledger: HoldsLedger
    clock: Clock
    settle: timedelta = SETTLE
    grace: timedelta = OVERDUE_GRACE

    def run(self) -> HoldsReport:
        started = self.clock.now()
        levels, holds = self.ledger.holds_snapshot()
        drifts = compare_holds(levels, holds, started, settle=self.settle, grace=self.grace)
        repaired = tuple(d for d in drifts if self._repair(d))
        reservations = len({h.reservation_id for h in holds})
        return HoldsReport(len(levels), reservations, tuple(drifts), repaired)

    def _repair(self, drift: HoldDrift) -> bool:
        if drift.repair is not HoldRepair.RECOUNT or drift.level is None:
            return False
        return self.ledger.recount_reserved(drift.level, drift.held, self.clock.now())


def drift_event(report: HoldsReport, run_at: str) -> DomainEvent | None:
    """``StockHoldDriftFound`` for a run that found something (None when every counter adds up)."""
    if not report.drifts:
        return None
    items = [
        StockHoldDriftItem(
            kind=d.kind.value,
            repair=d.repair.value,
            repaired=d in report.repaired,
            sku=d.sku,
            location_id=d.location_id,
            reservation_id=d.reservation_id,
            reserved=d.level.reserved if d.level else None,
            held=d.held,
            detail=d.detail,
        )
        for d in report.drifts[:EVENT_DRIFTS]
    ]
    data = StockHoldDriftFound(
        run_at=run_at,
        levels_checked=report.levels_checked,
        holds_checked=report.holds_checked,
        found=report.found_by_kind(),
        repaired=report.repaired_by_kind(),
        drifts=items,
        truncated=len(report.drifts) > EVENT_DRIFTS,
    )
    return make_event(
        SOURCE,
        "StockHoldDriftFound",
        data,
        version=SCHEMA_VERSION,
        occurred_at=run_at,
        event_id=str(uuid.uuid5(_NAMESPACE, f"holds:{run_at}")),
    )


__all__ = [
    "HoldDrift",
    "HoldDriftKind",
    "HoldRepair",
    "HoldSeen",
    "HoldsLedger",
    "HoldsReconciler",
    "HoldsReport",
    "LevelSeen",
    "compare_holds",
    "compare_level",
    "drift_event",
    "held_by_level",
]
