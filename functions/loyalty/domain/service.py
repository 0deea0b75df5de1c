"""Loyalty's use cases: orders earning and giving back, the scheduled job, agents' adjustments.

Each use case reads what it plans from, plans in the pure domain and writes the plan as one
transaction; a plan whose summary changed meanwhile is made again (a few times), and a plan whose
entry exists already (an event delivered twice) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from loyalty.domain.adjustments import Adjustment, check_approver, needs_approval, plan_adjustment
from loyalty.domain.earning import plan_earning, plan_refund
from loyalty.domain.errors import LoyaltyBusy, UnknownMember
from loyalty.domain.ledger import Reason
from loyalty.domain.orders import OrderFacts, void_order
from loyalty.domain.plans import Plan
from loyalty.domain.ports import AlreadyWritten, LoyaltyStore, SummaryChanged
from loyalty.domain.schedule import plan_due
from shop_kernel.clock import Clock
from shop_kernel.ids import new_id

ATTEMPTS = 4
Outcome = Literal["written", "duplicate", "nothing", "unknown-order"]


class OrderNotRecorded(Exception):
    """An order event arrived before the order's ``OrderPlaced``: retried until it has been recorded."""


@dataclass
class LoyaltyService:
    store: LoyaltyStore
    clock: Clock

    def _write(self, make: Callable[[], Plan | None], adjustment: Adjustment | None = None) -> Outcome:
        for _ in range(ATTEMPTS):
            plan = make()
            if plan is None or plan.empty:
                return "nothing"
            try:
                self.store.commit(plan, adjustment)
            except AlreadyWritten:
                return "duplicate"
            except SummaryChanged:
                continue
            return "written"
        raise LoyaltyBusy("the member's points changed several times meanwhile; retry")

    # --- orders ------------------------------------------------------------------------------

    def record_order(
        self, facts: OrderFacts, known: Mapping[str, tuple[str | None, str | None]] | None = None
    ) -> bool:
        """Stores the order's lines with their SKUs' category and brand (for multipliers and the return
        window), once; a SKU the catalog never described earns at the base rate. ``known``: the SKUs'
        facts when the caller read them already."""
        if known is None:
            known = self.store.sku_facts(sorted({line.sku for line in facts.lines}))
        lines = tuple(
            line.model_copy(update={"category": known[line.sku][0], "brand": known[line.sku][1]})
            if line.sku in known
            else line
            for line in facts.lines
        )
        return self.store.record_order(facts.model_copy(update={"lines": lines}))

    def earn(self, order_id: str, member_id: str | None, at: datetime) -> Outcome:
        """The order's points and cashback, pending until its return window closes (once per order)."""
        rules, _, campaigns = self.store.configuration()

        def make() -> Plan | None:
            state, facts = self._read(order_id, member_id)
            return plan_earning(state, facts, rules, campaigns, at)

        return self._write(make)

    def refund(
        self, order_id: str, refund_id: str, refunded: int, at: datetime, cancelled: bool = False
    ) -> Outcome:
        """What a refund (or the whole order, cancelled) no longer earns is taken back, once per refund."""
        rules, _, _ = self.store.configuration()
        reason = Reason.CANCELLATION if cancelled else Reason.RETURN

        def make() -> Plan | None:
            facts = self.store.order(order_id)
            if facts is None:
                raise OrderNotRecorded(order_id)
            amount = facts.total if cancelled else refunded
            state, facts = self._read(order_id, facts.member_id)
            return plan_refund(state, facts, amount, refund_id, reason, rules, at)

        return self._write(make)

    def cancel(self, order_id: str, at: datetime) -> Outcome:
        """Everything the order earned is taken back; an order never seen placed is voided (never earns)."""
        if self.store.order(order_id) is None and self.store.record_order(void_order(order_id, at)):
            return "written"
        return self.refund(order_id, f"cancel#{order_id}", 0, at, cancelled=True)

    def _read(self, order_id: str, member_id: str | None):  # type: ignore[no-untyped-def]
        if member_id is None:
            facts = self.store.order(order_id)
            if facts is None:
                raise OrderNotRecorded(order_id)
            member_id = facts.member_id
        state, facts = self.store.member_and_order(member_id, order_id)
        if facts is None:
            raise OrderNotRecorded(order_id)
        if state.claimed_by is not None:
            # A guest's order whose points a customer claimed: it earns and gives back on theirs.
            state = self.store.member(state.claimed_by)
        return state, facts

    # --- the scheduled job ---------------------------------------------------------------------

    def run_due(self, limit: int = 500) -> dict[str, int]:
        """Matures, expires and announces for every member due now; counts by outcome."""
        rules, _, _ = self.store.configuration()
        now = self.clock.now()
        counts: dict[str, int] = {}
        for member_id in self.store.due_members(now, limit):
            outcome = self._write(lambda m=member_id: plan_due(self.store.member(m), rules, now))  # type: ignore[misc]
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    # --- agents ---------------------------------------------------------------------------------

    def adjust(self, member_id: str, points: int, note: str, agent: str) -> Adjustment:
        """Applied at once up to the configured size; above it, waits for another agent."""
        rules, _, _ = self.store.configuration()
        now = self.clock.now()
        adjustment = Adjustment(
            id=new_id("adj"),
            member_id=member_id,
            points=points,
            note=note,
            requested_by=agent,
            requested_at=now,
        )
        if needs_approval(points, rules):
            self.store.add_adjustment(adjustment)
            return adjustment
        state = self.store.member(member_id)
        if state.version == 0 and points < 0:
            raise UnknownMember(f"no loyalty member {member_id!r}")
        self._write(lambda: plan_adjustment(self.store.member(member_id), adjustment, rules, now, None))
        return adjustment.model_copy(update={"status": "applied", "decided_at": now})

    def decide(self, adjustment_id: str, agent: str, approve: bool) -> Adjustment:
        adjustment = self.store.adjustment(adjustment_id)
        if adjustment is None:
            raise UnknownMember(f"no adjustment {adjustment_id!r}")
        check_approver(adjustment, agent)
        now = self.clock.now()
        decided = adjustment.model_copy(
            update={"status": "applied" if approve else "rejected", "decided_by": agent, "decided_at": now}
        )
        if not approve:
            self.store.reject_adjustment(decided)
            return decided
        rules, _, _ = self.store.configuration()
        self._write(
            lambda: plan_adjustment(self.store.member(adjustment.member_id), adjustment, rules, now, agent),
            decided,
        )
        return decided
