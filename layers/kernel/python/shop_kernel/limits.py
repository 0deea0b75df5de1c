"""Attempt limits in fixed windows: how many times one source (a cart, a customer, a client address) may
do something costly or guessable in a window, and the 429 that says when to come back.

The counting itself is each context's adapter (a conditional ``ADD`` on a counter item in its own table,
expiring with the window); this module is the arithmetic both sides agree on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shop_kernel.errors import TooManyRequests


@dataclass(frozen=True)
class AttemptKey:
    """One counter: ``source`` + ``value`` within ``[window_start, window_end)``, at most ``limit``."""

    source: str
    value: str
    window_start: datetime
    window_end: datetime
    limit: int

    @property
    def sort_key(self) -> str:
        return self.window_start.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_ip(ip: str) -> str:
    """Canonical text of an address, so spellings of one address share a counter (IPv4-mapped -> IPv4)."""
    text = ip.strip().lower()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def window_of(now: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The fixed window ``now`` falls in (aligned to the Unix epoch, UTC)."""
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    return start, start + window


def attempt_key(source: str, value: str, now: datetime, window: timedelta, limit: int) -> AttemptKey:
    start, end = window_of(now, window)
    return AttemptKey(source=source, value=value, window_start=start, window_end=end, limit=limit)


class TooManyAttempts(TooManyRequests):
    """Over an attempt limit; ``Retry-After`` is the rest of the window (at least a second)."""

    def __init__(self, detail: str, key: AttemptKey, now: datetime) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, int((key.window_end - now).total_seconds()))


def attempt_item_key(key: AttemptKey) -> dict[str, dict[str, str]]:
    """The counter item's key in the owner's table: ``ATTEMPTS#<source>#<value>`` / the window start."""
    return {"pk": {"S": f"ATTEMPTS#{key.source}#{key.value}"}, "sk": {"S": key.sort_key}}


def count_attempt_update(table: str, key: AttemptKey) -> dict[str, Any]:
    """``UpdateItem`` parameters: one more on the counter, refused (ConditionalCheckFailedException) when
    it is at its limit; the counter expires (TTL ``expires_at``) when its window ends."""
    return {
        "TableName": table,
        "Key": attempt_item_key(key),
        "UpdateExpression": "ADD #count :one SET #type = :type, expires_at = :expires",
        "ConditionExpression": "attribute_not_exists(#count) OR #count < :limit",
        "ExpressionAttributeNames": {"#count": "count", "#type": "type"},
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": str(key.limit)},
            ":type": {"S": "attempts"},
            ":expires": {"N": str(int(key.window_end.timestamp()))},
        },
    }
