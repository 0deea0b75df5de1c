"""How many checkouts one source may start in a window: each holds stock for the payment window and opens
a PaymentIntent, so without a limit anyone could tie up the shop's stock anonymously.

A checkout that gets as far as pricing counts once against its cart, its customer (signed in) and its
client address, in fixed windows; the next one over any limit is a 429 whose Retry-After is the rest of
the window. Requests answered by the idempotency layer (a retry with the same key) never get here. The counters live in checkout's orders table with a TTL
(``checkout.adapters.counters``); the gateway's per-IP WAF rule is the coarser first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cart.domain.models import CartOwner, OwnerKind
from checkout.domain.fraud import normalise_ip
from shop_kernel.limits import AttemptKey, TooManyAttempts, attempt_key

_WHO = {"cart": "this cart", "customer": "your account", "ip": "your network address"}


@dataclass(frozen=True)
class AttemptLimits:
    """Checkouts per source per window. A shopper pays within minutes; a cart that keeps failing is a
    script, and an address with more open checkouts than a household needs is holding stock."""

    window: timedelta = timedelta(hours=1)
    per_cart: int = 5
    per_customer: int = 5
    per_ip: int = 10


def too_many_checkouts(key: AttemptKey, now: datetime) -> TooManyAttempts:
    detail = f"too many checkouts were started from {_WHO[key.source]} in a short time"
    return TooManyAttempts(f"{detail}: retry after the Retry-After seconds", key, now)


def attempt_keys(
    owner: CartOwner, client_ip: str | None, now: datetime, limits: AttemptLimits
) -> list[AttemptKey]:
    """The counters a checkout of ``owner``'s cart from ``client_ip`` counts against."""
    guest = owner.kind is OwnerKind.GUEST
    sources = [
        ("cart", owner.key, limits.per_cart) if guest else ("customer", owner.key, limits.per_customer),
        ("ip", normalise_ip(client_ip) if client_ip else "", limits.per_ip),
    ]
    return [
        attempt_key(source, value, now, limits.window, limit) for source, value, limit in sources if value
    ]
