"""Checkout's own items in the orders table: fraud velocity counters and checkout attempt counters.

=================  ==============================  ======================
item [type]        pk                              sk
=================  ==============================  ======================
velocity           VELOCITY#<dimension>#<value>    <UTC hour yyyymmddhh>
attempts           ATTEMPTS#<source>#<value>       <window start, ISO>
=================  ==============================  ======================

The orders context owns the table and the order items (``orders.contract``); these two key spaces are
checkout's, never read by orders (decision "The orders context"). Access patterns (no Scan):

* Fraud velocity: BatchGetItem of this hour's counters, ``ADD count :one`` in the authorisation
  transaction; counters expire (TTL ``expires_at``) after two days.
* Checkout attempts (``checkout.domain.throttle``): one ``UpdateItem`` per source's counter of the
  window (``ADD count :one`` if ``count < :limit``, ``shop_kernel.limits``) before anything is held; a
  counter expires (TTL) when its window has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from checkout.domain.fraud import VelocityKey
from shop_kernel.transact import TransactPart

VELOCITY_RETENTION = timedelta(days=2)


def velocity_key(key: VelocityKey) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"VELOCITY#{key.dimension.value}#{key.value}"}, "sk": {"S": key.bucket}}


def velocity_count_items(table: str, keys: list[VelocityKey], now: datetime) -> list[dict[str, Any]]:
    """One more order on each counter of this hour (created on first use, expiring two days later)."""
    expires = int((now + VELOCITY_RETENTION).timestamp())
    return [
        {
            "Update": {
                "TableName": table,
                "Key": velocity_key(key),
                "UpdateExpression": "ADD #count :one SET #type = :type, expires_at = :expires",
                "ExpressionAttributeNames": {"#count": "count", "#type": "type"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":type": {"S": "velocity"},
                    ":expires": {"N": str(expires)},
                },
            }
        }
        for key in keys
    ]


def velocity_counts(table: str, keys: list[VelocityKey], now: datetime) -> TransactPart:
    """One more order on each of this hour's counters (unconditional)."""
    return TransactPart(tuple(velocity_count_items(table, keys, now)))
