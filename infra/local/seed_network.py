"""Seeds the demo fulfilment network: two warehouses, three pickup stores in two time zones, and stock
for every SKU of the demo catalog, so that pickup dates, split deliveries and "sold out" can be seen.

Locations go through the real ops API (``PUT /admin/inventory/locations/{id}``): an existing one
answers 428 and is kept. Opening stock goes through inventory's adapter
(``InventoryStore.receive_opening_stock``: ~45 levels per transaction, existing levels left alone), so
a second run changes nothing and never undoes a sale.

Every SKU gets a stock class from a CRC-32 of its text, the same on every run and machine:

=============  =====  ==========================================================================
class          share  stock
=============  =====  ==========================================================================
``sold_out``   6 %    0 at both warehouses: add to cart answers 409
``low``        10 %   2 at kyiv-dc only
``one_store``  10 %   3 in one store, none in a warehouse: pickup there only (no delivery)
``split``      8 %    3 at kyiv-dc and 3 at warsaw-dc: 4 or more are delivered from both
``in_stock``   66 %   20-79 at kyiv-dc, 10-39 at warsaw-dc, 2-6 in one store
=============  =====  ==========================================================================

``examples()`` names the first SKUs of each class (also logged and shown by ``/health``), e.g. for a
README: ``ULB-0001-SILVER`` is in stock, ``COF-0019-SILVER`` sold out, ``HPH-0003-BLACK`` low,
``HPH-0003-WHITE`` in one store only and ``HPH-0008-BLACK`` split over both warehouses (with 40 or more
products; ``tests/integration/inventory/test_demo_network.py`` pins two of them).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from infra.local.seed_catalog import demo_product, gift_card_product

WAREHOUSES = ("kyiv-dc", "warsaw-dc")
STORES = ("kyiv-khreshchatyk", "lviv-rynok", "warsaw-centrum")
STOCK_CLASSES = ("sold_out", "low", "one_store", "split", "in_stock")
SEED_ACTOR = "demo-seed"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _hours(weekdays: str, saturday: str | None = None, sunday: str | None = None) -> dict[str, Any]:
    opens, closes = weekdays.split("-")
    hours: dict[str, Any] = {day: [{"opens": opens, "closes": closes}] for day in _WEEKDAYS}
    for day, interval in (("sat", saturday), ("sun", sunday)):
        if interval:
            opens, closes = interval.split("-")
            hours[day] = [{"opens": opens, "closes": closes}]
    return hours


def _holidays(today: date, month_days: tuple[tuple[int, int], ...]) -> list[str]:
    """Public holidays (month, day) of this year and the next that are still ahead."""
    dates = [date(year, m, d) for year in (today.year, today.year + 1) for m, d in month_days]
    return [d.isoformat() for d in sorted(dates) if d >= today]


UA_HOLIDAYS = ((1, 1), (8, 24), (12, 25))
PL_HOLIDAYS = ((1, 1), (11, 11), (12, 25), (12, 26))


def locations(today: date) -> dict[str, dict[str, Any]]:
    """The demo network as ops would send it (closed dates: the coming public holidays)."""
    ua, pl = _holidays(today, UA_HOLIDAYS), _holidays(today, PL_HOLIDAYS)
    return {
        "kyiv-dc": {
            "kind": "warehouse",
            "name": {"en": "Kyiv distribution centre", "uk": "Київський розподільчий центр"},
            "address": {"line1": "Promyslova 5", "city": "Kyiv", "postal_code": "02090", "country": "UA"},
            "timezone": "Europe/Kyiv",
            "opening_hours": _hours("07:00-22:00", saturday="08:00-16:00"),
            "closed_dates": ua,
            "priority": 10,
            "carrier_cutoff": "16:00",
        },
        "warsaw-dc": {
            "kind": "warehouse",
            "name": {"en": "Warsaw distribution centre", "uk": "Варшавський розподільчий центр"},
            "address": {
                "line1": "Logistyczna 12",
                "city": "Warsaw",
                "postal_code": "02-001",
                "country": "PL",
            },
            "timezone": "Europe/Warsaw",
            "opening_hours": _hours("08:00-18:00"),
            "closed_dates": pl,
            "priority": 20,
            "carrier_cutoff": "13:00",
        },
        "kyiv-khreshchatyk": {
            "kind": "store",
            "name": {"en": "Kyiv, Khreshchatyk", "uk": "Київ, Хрещатик"},
            "address": {"line1": "Khreshchatyk 22", "city": "Kyiv", "postal_code": "01001", "country": "UA"},
            "timezone": "Europe/Kyiv",
            "opening_hours": _hours("10:00-21:00", saturday="10:00-21:00", sunday="11:00-19:00"),
            "closed_dates": ua,
            "pickup": True,
            "transfer_lead_time_hours": {"kyiv-dc": 24, "warsaw-dc": 72},
            "handling_minutes": 30,
        },
        "lviv-rynok": {
            "kind": "store",
            "name": {"en": "Lviv, Rynok Square", "uk": "Львів, площа Ринок"},
            "address": {"line1": "Rynok Square 10", "city": "Lviv", "postal_code": "79008", "country": "UA"},
            "timezone": "Europe/Kyiv",
            "opening_hours": _hours("10:00-20:00", saturday="10:00-18:00"),
            "closed_dates": ua,
            "pickup": True,
            "transfer_lead_time_hours": {"kyiv-dc": 48, "warsaw-dc": 48},
            "handling_minutes": 45,
        },
        "warsaw-centrum": {
            "kind": "store",
            "name": {"en": "Warsaw, Centrum", "uk": "Варшава, Центр"},
            "address": {
                "line1": "Marszałkowska 100",
                "city": "Warsaw",
                "postal_code": "00-026",
                "country": "PL",
            },
            "timezone": "Europe/Warsaw",
            "opening_hours": _hours("09:00-21:00", saturday="10:00-20:00"),
            "closed_dates": pl,
            "pickup": True,
            "transfer_lead_time_hours": {"kyiv-dc": 96, "warsaw-dc": 24},
            "handling_minutes": 30,
        },
    }


def _hash(sku: str) -> int:
    return zlib.crc32(sku.encode())


def stock_class(sku: str) -> str:
    bucket = _hash(sku) % 100
    if bucket < 6:
        return "sold_out"
    if bucket < 16:
        return "low"
    if bucket < 26:
        return "one_store"
    if bucket < 34:
        return "split"
    return "in_stock"


def stock_levels(sku: str) -> list[tuple[str, int]]:
    """``(location, on_hand)`` of one SKU, from its class."""
    h = _hash(sku)
    store = STORES[(h // 100) % len(STORES)]
    kind = stock_class(sku)
    if kind == "sold_out":
        return [("kyiv-dc", 0), ("warsaw-dc", 0)]
    if kind == "low":
        return [("kyiv-dc", 2)]
    if kind == "one_store":
        return [(store, 3)]
    if kind == "split":
        return [("kyiv-dc", 3), ("warsaw-dc", 3)]
    return [("kyiv-dc", 20 + (h >> 8) % 60), ("warsaw-dc", 10 + (h >> 16) % 30), (store, 2 + (h >> 24) % 5)]


def demo_skus(products: int) -> Iterator[str]:
    for n in range(1, products + 1):
        for variant in demo_product(n)["variants"]:
            yield variant["sku"]


def gift_card_stock() -> list[tuple[str, str, int]]:
    """Blank gift cards at the main warehouse: the card ships like any item."""
    return [(variant["sku"], "kyiv-dc", 500) for variant in gift_card_product()["variants"]]


def opening_stock(products: int) -> list[tuple[str, str, int]]:
    """Every ``(sku, location, on_hand)`` the stack seeds: the demo SKUs' by class and the blank gift cards'.
    ``seed_stock`` writes exactly these; the demo seed bench derives the expected availability from them."""
    levels = [(sku, loc, qty) for sku in demo_skus(products) for loc, qty in stock_levels(sku)]
    return levels + gift_card_stock()


def examples(products: int, per_class: int = 3) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {kind: [] for kind in STOCK_CLASSES}
    for sku in demo_skus(products):
        bucket = found[stock_class(sku)]
        if len(bucket) < per_class:
            bucket.append(sku)
    return found


def _put_location(base_url: str, token: str, location_id: str, body: dict[str, Any]) -> bool:
    """True if created, False if it existed (428: kept as it is)."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("base_url must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{base_url.rstrip('/')}/admin/inventory/locations/{location_id}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return bool(response.status == 201)
    except urllib.error.HTTPError as exc:
        if exc.code == 428:
            return False
        raise RuntimeError(f"PUT location {location_id}: HTTP {exc.code} {exc.read()[:500]!r}") from exc


def seed_locations(base_url: str, ops_token: str, today: date | None = None) -> dict[str, int]:
    today = today or datetime.now(UTC).date()
    created = sum(_put_location(base_url, ops_token, k, v) for k, v in locations(today).items())
    return {"locations": len(WAREHOUSES) + len(STORES), "created": created}


def seed_stock(store: Any, products: int) -> dict[str, int]:
    """Opening stock of every demo SKU through ``store`` (an ``inventory.adapters.dynamo.InventoryStore``)."""
    levels = opening_stock(products)
    report = store.receive_opening_stock(levels, SEED_ACTOR, datetime.now(UTC))
    return {"skus": len({sku for sku, _, _ in levels}), "levels": len(levels), **report}
