"""Staff search over orders: by order number, e-mail, phone or stage, within a date range, paged.

Each search reads one partition of the orders table's gsi1 (newest first) and then the page's orders
(``orders.adapters.records`` lists the partitions):

* order number: one Query of the order's own partition (no index);
* e-mail / phone: the lookup items written on the order's first event (an order still waiting for its
  payment is found by its number or ``pending_payment``); ``status`` then filters the page;
* stage: the progress items (``STAGE#<stage>``); ``pending_payment`` reads the sweeper's index of
  orders waiting for payment, sorted by their payment deadline (30 minutes after creation).

A page costs one Query (eventually consistent, at most ``limit`` small index items: under 1 read unit
per 4 KB) and one BatchGetItem of the page's orders and their progress (about 1 read unit per order
item of up to 8 KB, eventually consistent), so a page of 20 is about 20-25 read units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orders.domain.timeline import Stage
from shop_kernel.errors import ValidationFailed


@dataclass(frozen=True)
class SearchCriteria:
    order_id: str | None = None
    email: str | None = None
    phone: str | None = None
    stage: Stage | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if not (self.order_id or self.email or self.phone or self.stage):
            message = "search by order number, e-mail, phone or status (a date range narrows any of them)"
            # A domain refusal (the document says so), not a field the schema requires: no code of the validator's.
            raise ValidationFailed.on("query.status", message, "no_criterion")
        if self.since and self.until and self.since > self.until:
            raise ValidationFailed.on("query.until", "the range ends before it starts", "range")

    @property
    def filters_stage(self) -> bool:
        """The stage narrows a page read by e-mail or phone (their partitions hold every stage)."""
        return self.stage is not None and bool(self.email or self.phone)
