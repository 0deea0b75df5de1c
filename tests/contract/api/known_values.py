"""Real ids taken from the running stack, so fuzzed requests reach resources that exist.

A fuzzer that only invents ids tests the 404 path of every ``{id}`` route and nothing behind it. These
values come from the API itself (the seeded demo catalog as a merchandiser lists it), plus what a
shopper creates through the API: a warehouse with stock, guest and customer carts holding a line, and
an order from each checkout. Each step is best effort: what the stack cannot yet do is left out and
written in ``notes`` (the fuzzer then invents those ids), so a broken checkout shows up in the fuzz
findings instead of hiding every other operation.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from infra.local.seed_loyalty import GIFT_CERTIFICATES
from infra.local.seed_promotions import CODES

TIMEOUT_S = 20
LOCATION_ID = "fuzz-dc"
STOCK_PER_SKU = 100_000
LOCATION: dict[str, Any] = {
    "kind": "warehouse",
    "name": {"en": "Fuzz DC", "uk": "Склад Fuzz"},
    "address": {"line1": "Promyslova 1", "city": "Kyiv", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "opening_hours": {"mon": [{"opens": "09:00", "closes": "18:00"}]},
    "carrier_cutoff": "15:00",
}
SHIPPING: dict[str, Any] = {
    "email": "fuzz@example.com",
    "shipping_address": {"name": "Fuzz Shopper", "line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"},
}


@dataclass
class KnownValues:
    """Real values per parameter name (lower-case), and what could not be made."""

    by_name: dict[str, list[str]] = field(default_factory=dict)
    groups: list[dict[str, str]] = field(default_factory=list)  # values that belong together
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, *values: str) -> None:
        bucket = self.by_name.setdefault(name.lower(), [])
        bucket.extend(v for v in values if v and v not in bucket)

    def add_group(self, **values: str) -> None:
        """Values that only make sense together, keyed by lower-case parameter name."""
        for name, value in values.items():
            self.add(name, value)
        self.groups.append({name.lower(): value for name, value in values.items()})

    def get(self, name: str) -> list[str]:
        return self.by_name.get(name.lower(), [])

    def counts(self) -> dict[str, int]:
        return {name: len(values) for name, values in sorted(self.by_name.items())}


def _items(response: requests.Response) -> list[dict[str, Any]]:
    if response.status_code != 200:
        return []
    body = response.json()
    return list(body.get("items", [])) if isinstance(body, dict) else []


def _catalog(api: str, merch: dict[str, str], known: KnownValues) -> list[str]:
    products = _items(
        requests.get(
            f"{api}/admin/catalog/products",
            params={"status": "published", "limit": "50"},
            headers=merch,
            timeout=TIMEOUT_S,
        )
    )
    skus: list[str] = []
    for product in products:
        known.add("product_id", product["id"])
        known.add("slug", *product.get("seo", {}).get("slug", {}).values())
        known.add("category_id", product.get("category_id", ""))
        known.add("brand_id", product.get("brand_id") or "")
        known.add("type_id", product.get("product_type_id", ""))
        skus.extend(variant["sku"] for variant in product.get("variants", []))
    known.add("sku", *skus)
    for collection, name in (
        ("categories", "category_id"),
        ("brands", "brand_id"),
        ("product-types", "type_id"),
    ):
        ids = [
            item["id"]
            for item in _items(
                requests.get(f"{api}/admin/catalog/{collection}", headers=merch, timeout=TIMEOUT_S)
            )
        ]
        known.add(name, *ids)
        if ids:
            known.add_group(collection=collection, entity_id=ids[0])
    if products:
        known.add_group(collection="products", entity_id=products[0]["id"])
    known.add("version", "1")
    if not products:
        known.notes.append("no published product listed: product, slug and sku ids are invented")
    return skus


def _stock(api: str, ops: dict[str, str], skus: list[str], known: KnownValues) -> None:
    placed = requests.put(
        f"{api}/admin/inventory/locations/{LOCATION_ID}", json=LOCATION, headers=ops, timeout=TIMEOUT_S
    )
    if placed.status_code not in (200, 201):
        known.notes.append(f"creating a warehouse answered {placed.status_code}: location ids are invented")
        return
    known.add("location_id", LOCATION_ID)
    for sku in skus[:6]:
        requests.put(
            f"{api}/admin/inventory/stock/{sku}/{LOCATION_ID}",
            json={"on_hand": STOCK_PER_SKU},
            headers=ops,
            timeout=TIMEOUT_S,
        )


def _retry_until_ok(send: Callable[[], requests.Response], timeout_s: float) -> requests.Response:
    """The cart learns SKUs from catalog events: the first adds may come before the projection."""
    deadline = time.monotonic() + timeout_s
    response = send()
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        response = send()
    return response


def _cart_with_a_line(
    api: str, prefix: str, headers: dict[str, str], sku: str, known: KnownValues
) -> dict[str, str] | None:
    created = requests.post(
        f"{api}{prefix}/cart",
        json={"currency": "UAH", "destination_country": "UA"},
        headers=headers,
        timeout=TIMEOUT_S,
    )
    if created.status_code not in (200, 201):
        known.notes.append(f"POST {prefix}/cart answered {created.status_code}: no {prefix or 'guest'} cart")
        return None
    cart = dict(headers)
    token = created.json().get("token")
    if token:
        cart["X-Cart-Token"] = token
        known.add("x-cart-token", token)
    added = _retry_until_ok(
        lambda: requests.post(
            f"{api}{prefix}/cart/lines", json={"sku": sku, "quantity": 1}, headers=cart, timeout=TIMEOUT_S
        ),
        30,
    )
    if added.status_code != 200:
        known.notes.append(
            f"POST {prefix}/cart/lines answered {added.status_code}: the {prefix or 'guest'} cart is empty"
        )
        return None
    return cart


def _order(api: str, prefix: str, headers: dict[str, str], sku: str, known: KnownValues) -> None:
    cart = _cart_with_a_line(api, prefix, headers, sku, known)
    if cart is None:
        return
    placed = requests.post(
        f"{api}{prefix}/checkout",
        json=SHIPPING,
        headers={**cart, "Idempotency-Key": str(uuid.uuid4())},
        timeout=TIMEOUT_S,
    )
    if placed.status_code not in (200, 201):
        known.notes.append(
            f"POST {prefix}/checkout answered {placed.status_code}: no {prefix or 'guest'} order id"
        )
        return
    order_id = placed.json()["order"]["id"]
    if "X-Cart-Token" in cart:
        known.add_group(order_id=order_id, **{"x-cart-token": cart["X-Cart-Token"]})
    else:
        known.add("order_id", order_id)


def _loyalty(api: str, auth: Callable[[str], dict[str, str]], known: KnownValues) -> None:
    """The customer's member id, an adjustment waiting for a second agent, and a campaign."""
    me = requests.get(f"{api}/me/loyalty", headers=auth("customers"), timeout=TIMEOUT_S)
    if me.status_code != 200:
        known.notes.append(f"GET /me/loyalty answered {me.status_code}: member ids are invented")
        return
    member = me.json()["member_id"]
    known.add("member_id", member)
    adjustment = requests.post(
        f"{api}/admin/loyalty/members/{member}/adjustments",
        json={"points": 6_000, "note": "fuzz: waits for a second agent"},
        headers=auth("agents"),
        timeout=TIMEOUT_S,
    )
    if adjustment.status_code == 202:
        known.add("adjustment_id", adjustment.json()["id"])
    else:
        known.notes.append(f"an adjustment answered {adjustment.status_code}: adjustment ids are invented")
    campaign = {
        "id": "fuzz-week",
        "name": "Fuzz week",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2027-01-01T00:00:00Z",
    }
    put = requests.put(
        f"{api}/admin/loyalty/campaigns/fuzz-week",
        json=campaign,
        headers=auth("merchandisers"),
        timeout=TIMEOUT_S,
    )
    if put.status_code in (200, 201):
        known.add("campaign_id", "fuzz-week")
    else:
        known.notes.append(f"creating a campaign answered {put.status_code}: campaign ids are invented")


def _gift_certificates(api: str, merch: dict[str, str], known: KnownValues) -> None:
    """A certificate issued through the API (its id) and a certificate batch (its id)."""
    issued = requests.post(
        f"{api}/admin/loyalty/gift-certificates",
        json={"amount": {"amount": 1_000, "currency": "UAH"}, "note": "fuzz"},
        headers=merch,
        timeout=TIMEOUT_S,
    )
    if issued.status_code == 201:
        known.add("certificate_id", issued.json()["certificate"]["id"])
        known.add("code", issued.json()["code"])
    else:
        known.notes.append(
            f"issuing a certificate answered {issued.status_code}: certificate ids are invented"
        )
    batch = requests.post(
        f"{api}/admin/loyalty/gift-certificate-batches",
        json={"amount": {"amount": 1_000, "currency": "UAH"}, "count": 3},
        headers=merch,
        timeout=TIMEOUT_S,
    )
    if batch.status_code == 202:
        known.add("certificate_batch_id", batch.json()["id"])  # pricing has code batches
    else:
        known.notes.append(f"a certificate batch answered {batch.status_code}: its id is invented")


def _promotions(api: str, merch: dict[str, str], known: KnownValues) -> None:
    """The seeded promotions with their codes, and a code batch, as the back office lists them."""
    promotions = _items(requests.get(f"{api}/admin/promotions", headers=merch, timeout=TIMEOUT_S))
    known.add("promotion_id", *(p["id"] for p in promotions))
    for code in CODES:
        known.add_group(promotion_id=code["promotion_id"], code=code["code"])
    batch = requests.post(
        f"{api}/admin/promotions/promo_spring/code-batches",
        json={"count": 5},
        headers=merch,
        timeout=TIMEOUT_S,
    )
    if batch.status_code != 202:
        known.notes.append(f"a code batch answered {batch.status_code}: batch ids are invented")
        return
    known.add_group(promotion_id="promo_spring", batch_id=batch.json()["id"])


def discover(api: str, auth: Callable[[str], dict[str, str]]) -> KnownValues:
    """Lists the catalog, stocks a warehouse and places a guest and a customer order through the API; a
    loyalty member, adjustment and campaign."""
    known = KnownValues()
    skus = _catalog(api, auth("merchandisers"), known)
    _loyalty(api, auth, known)
    _gift_certificates(api, auth("merchandisers"), known)
    known.add("code", *(c["code"] for c in CODES), *(str(g[0]) for g in GIFT_CERTIFICATES))
    # A shipment id of the right shape: the warehouse's packed report for a shipment nobody asked for is the
    # documented 404 (the fuzz stack's orders are not fulfilled by the time it runs).
    known.add("shipment_id", "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z")
    # The carriers whose webhooks the stack verifies (an unsigned fuzz body is their documented 400).
    known.add("carrier", "standin", "nova-poshta")
    known.add("channel", "email", "sms", "viber", "telegram")
    # A customer id of the right shape that is not the fuzzing customer's: staff routes answer it with
    # their documented 404, and the erasure route cannot erase the customer the /me routes are fuzzed as.
    known.add("customer_id", "5c1b2f7e-0d3a-4e8b-9f61-2a7c4d9e8b10")
    # A link token of the signed shape whose signature does not verify: the documented 400/404.
    known.add("token", "eyJjIjoiNWMxYiIsImNoIjoiZW1haWwifQ.bm90LWEtc2lnbmF0dXJl")
    _promotions(api, auth("merchandisers"), known)
    if not skus:
        return known
    _stock(api, auth("ops"), skus, known)
    _order(api, "", {}, skus[0], known)
    _order(api, "/me", auth("customers"), skus[1 % len(skus)], known)
    # A guest cart left open with a line, for the cart routes (the ordered carts are closed).
    _cart_with_a_line(api, "", {}, skus[2 % len(skus)], known)
    return known
