"""The inventory table's item layout, shared by the adapter and the reservation write builders.

==================  ====================  ===============  ====================================
item [type]         pk                    sk               gsi1pk / gsi1sk
==================  ====================  ===============  ====================================
location            LOC#<id>              LOCATION         LOCATIONS / <id>
locations_config    CONFIG#locations      CONFIG           -
stock level         SKU#<sku>             LOC#<location>   -
reservation         RES#<id>              RESERVATION      RESERVATIONS#active / <expires>#<id>
==================  ====================  ===============  ====================================

The ``locations_config`` item is every location's document in one versioned item (``version``, ``doc``:
``{id: location}``), written in the same transaction as each location change. Cart and checkout read it
in the ``BatchGetItem`` they already make, so a new or changed location counts on their next request
(tens of locations of a few hundred bytes each: far below the 400 KB item limit).

A reservation is on the sparse ``gsi1`` only while ``active``; ``expires_at`` (epoch seconds) is the
table's TTL attribute. Stock items carry ``on_hand``, ``reserved`` and ``available`` (= on_hand -
reserved), because a condition cannot subtract two attributes: ``available >= :q`` is what protects a
reservation from overselling.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shop_kernel.dynamo import deserialize

LOCATION_SK = "LOCATION"
LOCATIONS_CONFIG_PK = "CONFIG#locations"
CONFIG_SK = "CONFIG"
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


def locations_config_key() -> dict[str, dict[str, str]]:
    return {"pk": {"S": LOCATIONS_CONFIG_PK}, "sk": {"S": CONFIG_SK}}


@dataclass(frozen=True)
class LocationDirectory:
    """Every location's document, as of ``version`` of the ``locations_config`` item (0: none written)."""

    version: int = 0
    documents: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> LocationDirectory:
        """From the item in attribute-value (botocore) form; ``None`` is the empty directory."""
        if not item:
            return cls()
        plain = deserialize(item)
        return cls(version=int(plain["version"]), documents=json.loads(plain["doc"]))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.documents))

    def of_kind(self, kind: str) -> frozenset[str]:
        return frozenset(k for k, doc in self.documents.items() if doc.get("kind") == kind)

    @property
    def warehouses(self) -> frozenset[str]:
        return self.of_kind("warehouse")

    @property
    def pickup_stores(self) -> frozenset[str]:
        return frozenset(k for k in self.of_kind("store") if self.documents[k].get("pickup"))
