"""The inventory table's item layout, shared by the adapter and the reservation write builders.

==================  ====================  ===============  ====================================
item [type]         pk                    sk               gsi1pk / gsi1sk
==================  ====================  ===============  ====================================
location            LOC#<id>              LOCATION         LOCATIONS / <id>
stock level         SKU#<sku>             LOC#<location>   -
reservation         RES#<id>              RESERVATION      RESERVATIONS#active / <expires>#<id>
==================  ====================  ===============  ====================================

A reservation is on the sparse ``gsi1`` only while ``active``; ``expires_at`` (epoch seconds) is the
table's TTL attribute. Stock items carry ``on_hand``, ``reserved`` and ``available`` (= on_hand -
reserved), because a condition cannot subtract two attributes: ``available >= :q`` is what protects a
reservation from overselling.
"""

from __future__ import annotations

from enum import StrEnum

LOCATION_SK = "LOCATION"
LOCATIONS_GSI_PK = "LOCATIONS"
RESERVATION_SK = "RESERVATION"
ACTIVE_RESERVATIONS = "RESERVATIONS#active"
GSI = "gsi1"
# Finished reservations stay readable this long (support, audits), then TTL removes them.
RETENTION_S = 90 * 24 * 3600


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"  # the order was cancelled or not paid
    EXPIRED = "expired"  # its time ran out before checkout finished
    COMMITTED = "committed"  # shipped: the stock left the building


def location_key(location_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"LOC#{location_id}"}, "sk": {"S": LOCATION_SK}}


def stock_key(sku: str, location_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": f"LOC#{location_id}"}}


def reservation_key(reservation_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"RES#{reservation_id}"}, "sk": {"S": RESERVATION_SK}}


def expiry_sort_key(expires_at: int, reservation_id: str) -> str:
    return f"{expires_at:012d}#{reservation_id}"
