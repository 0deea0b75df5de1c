"""How many checkouts one source may start in a window: each holds stock for the payment window and opens
a PaymentIntent, so without a limit anyone could tie up the shop's stock anonymously.

A checkout that gets as far as pricing counts once against its cart, its customer (signed in) and its
client address, in fixed windows; the next one over any limit is a 429 whose Retry-After is the rest of
the window. Requests answered by the idempotency layer (a retry with the same key) never get here, and a
refused attempt counts against nothing. The counters live in checkout's orders table with a TTL
(``checkout.domain.records``); the gateway's per-IP WAF rule is the coarser first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cart.domain.models import CartOwner, OwnerKind
from checkout.domain.fraud import normalise_ip
from shop_kernel.errors import TooManyRequests


class AttemptSource(StrEnum):
    CART = "cart"
    CUSTOMER = "customer"
    IP = "ip"


@dataclass(frozen=True)
class AttemptLimits:
    """Checkouts per source per window. A shopper pays within minutes; a cart that keeps failing is a
    script, and an address with more open checkouts than a household needs is holding stock."""

    window: timedelta = timedelta(hours=1)
    per_cart: int = 5
    per_customer: int = 5
    per_ip: int = 10

    def limit(self, source: AttemptSource) -> int:
        return {
            AttemptSource.CART: self.per_cart,
            AttemptSource.CUSTOMER: self.per_customer,
            AttemptSource.IP: self.per_ip,
        }[source]


@dataclass(frozen=True)
class AttemptKey:
    """One counter: ``source`` + ``value`` within the window that starts at ``window_start``."""

    source: AttemptSource
    value: str
    window_start: datetime
    window_end: datetime
    limit: int


class TooManyCheckouts(TooManyRequests):
    def __init__(self, key: AttemptKey, now: datetime) -> None:
        what = {"cart": "this cart", "customer": "your account", "ip": "your network address"}[key.source]
        super().__init__(
            f"too many checkouts were started from {what} in a short time: retry after the Retry-After seconds"
        )
        # The instance's own wait: the rest of the window (at least a second).
        self.retry_after_s = max(1, int((key.window_end - now).total_seconds()))


def window_of(now: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The fixed window ``now`` falls in (aligned to the Unix epoch, UTC)."""
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    return start, start + window


def attempt_keys(
    owner: CartOwner, client_ip: str | None, now: datetime, limits: AttemptLimits
) -> list[AttemptKey]:
    """The counters a checkout of ``owner``'s cart from ``client_ip`` counts against."""
    start, end = window_of(now, limits.window)
    cart = AttemptSource.CART if owner.kind is OwnerKind.GUEST else AttemptSource.CUSTOMER
    values = [(cart, owner.key), (AttemptSource.IP, normalise_ip(client_ip) if client_ip else None)]
    return [
        AttemptKey(source=source, value=value, window_start=start, window_end=end, limit=limits.limit(source))
        for source, value in values
        if value
    ]
