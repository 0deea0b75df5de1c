"""What the loyalty domain needs from its store (``loyalty.adapters.dynamo`` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from loyalty.domain.adjustments import Adjustment
from loyalty.domain.member import MemberState
from loyalty.domain.orders import OrderFacts
from loyalty.domain.plans import Plan
from loyalty.domain.rules import Campaign, LoyaltyRules


class SummaryChanged(Exception):
    """The summary or the order's facts changed since the plan was made: read and plan again."""


class AlreadyWritten(Exception):
    """An entry of the plan exists already (the same event delivered again): nothing was written."""


class LoyaltyStore(Protocol):
    def configuration(self) -> tuple[LoyaltyRules, int, list[Campaign]]:
        """The rule set, its version (0: the defaults, never stored) and every campaign."""
        ...

    def member(self, member_id: str) -> MemberState: ...

    def order(self, order_id: str) -> OrderFacts | None: ...

    def member_and_order(self, member_id: str, order_id: str) -> tuple[MemberState, OrderFacts | None]:
        """Both in one read."""
        ...

    def sku_facts(self, skus: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(category, brand) per SKU the catalog's events described; others are absent."""
        ...

    def project_product(
        self, version: int, skus: Sequence[str], category: str | None, brand: str | None
    ) -> int: ...

    def record_order(self, facts: OrderFacts) -> bool:
        """Stores an order's facts unless they are stored; True when this call stored them."""
        ...

    def commit(self, plan: Plan, adjustment: Adjustment | None = None) -> None:
        """Writes the plan in one transaction (see ``loyalty.domain.plans``); ``adjustment``: the approved
        pending adjustment the plan applies, conditioned on it still waiting. Raises ``AlreadyWritten``,
        ``SummaryChanged`` or ``InsufficientPoints``."""
        ...

    def due_members(self, now: datetime, limit: int) -> Sequence[str]: ...

    def add_adjustment(self, adjustment: Adjustment) -> None: ...

    def adjustment(self, adjustment_id: str) -> Adjustment | None: ...

    def reject_adjustment(self, adjustment: Adjustment) -> None: ...
