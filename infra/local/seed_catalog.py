"""Seeds a demo catalog through the real admin API, as a merchandiser would.

Product types with typed attributes, brands, a three-level category tree (Electronics > Computers >
Laptops, ...) in English and Ukrainian, and ``products`` published products with variants and EUR
and UAH prices. Everything is derived from the product number, so the same call always builds the
same catalog, and a second run changes nothing: reference data that exists answers 409 and is kept,
and the product import compares content and leaves identical products alone.

    python -m infra.local.seed_catalog --api http://127.0.0.1:8000 --token "$(make -s token)"
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

CHUNK = (
    60  # products per import request: well under the 500 limit and the 1 MB body limit; progress per chunk
)


def _label(en: str, uk: str) -> dict[str, str]:
    return {"en": en, "uk": uk}


def _colour_attribute() -> dict[str, Any]:
    colours = [
        ("black", "Black", "Чорний"),
        ("silver", "Silver", "Срібний"),
        ("blue", "Blue", "Синій"),
        ("white", "White", "Білий"),
    ]
    return {
        "code": "colour",
        "label": _label("Colour", "Колір"),
        "kind": "enum",
        "variant": True,
        "required": True,
        "options": [{"code": c, "label": _label(en, uk)} for c, en, uk in colours],
    }


PRODUCT_TYPES: list[dict[str, Any]] = [
    {
        "id": "laptop",
        "name": _label("Laptop", "Ноутбук"),
        "attributes": [
            {
                "code": "screen_size",
                "label": _label("Screen size", "Діагональ екрана"),
                "kind": "number",
                "unit": "in",
                "required": True,
            },
            {"code": "ram", "label": _label("Memory", "Оперативна пам'ять"), "kind": "number", "unit": "GB"},
            {"code": "touch", "label": _label("Touch screen", "Сенсорний екран"), "kind": "boolean"},
            {"code": "cpu", "label": _label("Processor", "Процесор"), "kind": "text"},
            _colour_attribute(),
        ],
    },
    {
        "id": "smartphone",
        "name": _label("Smartphone", "Смартфон"),
        "attributes": [
            {
                "code": "screen_size",
                "label": _label("Screen size", "Діагональ екрана"),
                "kind": "number",
                "unit": "in",
                "required": True,
            },
            {"code": "storage", "label": _label("Storage", "Пам'ять"), "kind": "number", "unit": "GB"},
            {"code": "dual_sim", "label": _label("Dual SIM", "Дві SIM-картки"), "kind": "boolean"},
            _colour_attribute(),
        ],
    },
    {
        "id": "headphones",
        "name": _label("Headphones", "Навушники"),
        "attributes": [
            {
                "code": "wireless",
                "label": _label("Wireless", "Бездротові"),
                "kind": "boolean",
                "required": True,
            },
            {
                "code": "noise_cancelling",
                "label": _label("Noise cancelling", "Шумозаглушення"),
                "kind": "boolean",
            },
            {
                "code": "battery_life",
                "label": _label("Battery life", "Час роботи"),
                "kind": "number",
                "unit": "h",
            },
            _colour_attribute(),
        ],
    },
    {
        "id": "coffee_machine",
        "name": _label("Coffee machine", "Кавоварка"),
        "attributes": [
            {
                "code": "pressure",
                "label": _label("Pressure", "Тиск"),
                "kind": "number",
                "unit": "bar",
                "required": True,
            },
            {
                "code": "capacity",
                "label": _label("Water tank", "Резервуар для води"),
                "kind": "number",
                "unit": "l",
            },
            {"code": "milk_frother", "label": _label("Milk frother", "Капучинатор"), "kind": "boolean"},
            _colour_attribute(),
        ],
    },
]

# Gift cards: the boolean ``gift_certificate`` attribute makes loyalty issue a certificate of the unit price for
# each card of a confirmed order. ``GIFT-CARD`` is a physical card that ships like any item (stock, shipping);
# ``E-GIFT`` is an e-certificate: its ``fulfilment`` attribute is ``digital``, so it has no stock, no shipping
# and no shipment, and is charged when the order is confirmed (the buyer's e-mail is where it goes).
GIFT_CARD_TYPE: dict[str, Any] = {
    "id": "gift_card",
    "name": _label("Gift card", "Подарунковий сертифікат"),
    "attributes": [
        {
            "code": "gift_certificate",
            "label": _label("Gift certificate", "Подарунковий сертифікат"),
            "kind": "boolean",
            "required": True,
        },
        {
            "code": "denomination",
            "label": _label("Value", "Номінал"),
            "kind": "number",
            "unit": "EUR",
            "variant": True,
            "required": True,
        },
        {
            "code": "fulfilment",
            "label": _label("Delivery", "Доставка"),
            "kind": "enum",
            "options": [
                {"code": "shipped", "label": _label("Shipped", "Доставляється")},
                {"code": "digital", "label": _label("By e-mail", "Електронною поштою")},
            ],
        },
    ],
}
PRODUCT_TYPES.append(GIFT_CARD_TYPE)
GIFT_CARD_CODE = "GIFT-CARD"
E_GIFT_CODE = "E-GIFT"


def gift_card_product(code: str = GIFT_CARD_CODE) -> dict[str, Any]:
    """The demo shop's gift card: 25 and 50 EUR (1 100 and 2 200 UAH at the demo rate)."""
    variants = [
        {
            "sku": f"{code}-{eur}",
            "attributes": {"denomination": eur},
            "prices": [
                {"amount": eur * 100, "currency": "EUR"},
                {"amount": eur * 100 * UAH_PER_EUR, "currency": "UAH"},
            ],
            "media": [],
        }
        for eur in (25, 50)
    ]
    return {
        "code": code,
        "status": "published",
        "product_type_id": GIFT_CARD_TYPE["id"],
        "category_id": "gift-cards",
        "name": _label("Gift card", "Подарунковий сертифікат"),
        "description": _label(
            "A card with a code to spend in the shop: issued when the order is paid.",
            "Картка з кодом для покупок в магазині: видається, коли замовлення оплачене.",
        ),
        "attributes": {"gift_certificate": True, "fulfilment": "shipped"},
        "variants": variants,
        "media": [],
        "seo": {"slug": {"en": "gift-card", "uk": "podarunkovyi-sertyfikat"}},
    }


def e_gift_product() -> dict[str, Any]:
    """The demo shop's e-certificate: the gift card's values, sent by e-mail (no stock, no shipping)."""
    product = gift_card_product(E_GIFT_CODE)
    return {
        **product,
        "code": E_GIFT_CODE,
        "name": _label("E-gift certificate", "Електронний подарунковий сертифікат"),
        "description": _label(
            "A code to spend in the shop, sent by e-mail when the order is confirmed: nothing is shipped.",
            "Код для покупок в магазині, надісланий електронною поштою, коли замовлення підтверджене.",
        ),
        "attributes": {"gift_certificate": True, "fulfilment": "digital"},
        "seo": {"slug": {"en": "e-gift-certificate", "uk": "elektronnyi-podarunkovyi-sertyfikat"}},
    }


BRANDS: list[dict[str, Any]] = [
    {
        "id": "acme",
        "name": "Acme",
        "description": _label("Tools for every job.", "Інструменти для будь-якої справи."),
    },
    {"id": "globex", "name": "Globex"},
    {"id": "initech", "name": "Initech"},
    {"id": "umbrella", "name": "Umbrella"},
    {"id": "stark", "name": "Stark"},
    {"id": "wayne", "name": "Wayne"},
]

# (id, parent, en, uk, uk slug)
CATEGORY_TREE: list[tuple[str, str | None, str, str, str]] = [
    ("electronics", None, "Electronics", "Електроніка", "elektronika"),
    ("computers", "electronics", "Computers", "Комп'ютери", "kompiutery"),
    ("laptops", "computers", "Laptops", "Ноутбуки", "noutbuky"),
    ("ultrabooks", "computers", "Ultrabooks", "Ультрабуки", "ultrabuky"),
    ("phones", "electronics", "Phones", "Телефони", "telefony"),
    ("smartphones", "phones", "Smartphones", "Смартфони", "smartfony"),
    ("audio", "electronics", "Audio", "Аудіо", "audio"),
    ("headphones", "audio", "Headphones", "Навушники", "navushnyky"),
    ("home", None, "Home", "Дім", "dim"),
    ("kitchen", "home", "Kitchen", "Кухня", "kukhnia"),
    ("coffee-machines", "kitchen", "Coffee machines", "Кавоварки", "kavovarky"),
    ("gift-cards", None, "Gift cards", "Подарункові сертифікати", "podarunkovi-sertyfikaty"),
]

# leaf category -> (product type, code prefix, en noun, uk noun, uk slug noun, base price in EUR cents)
LINES: list[tuple[str, str, str, str, str, str, int]] = [
    ("laptops", "laptop", "LAP", "Laptop", "Ноутбук", "noutbuk", 79_900),
    ("ultrabooks", "laptop", "ULB", "Ultrabook", "Ультрабук", "ultrabuk", 119_900),
    ("smartphones", "smartphone", "PHN", "Smartphone", "Смартфон", "smartfon", 39_900),
    ("headphones", "headphones", "HPH", "Headphones", "Навушники", "navushnyky", 9_900),
    ("coffee-machines", "coffee_machine", "COF", "Coffee machine", "Кавоварка", "kavovarka", 24_900),
]
SERIES = [
    ("Air", "Ейр"),
    ("Pro", "Про"),
    ("Max", "Макс"),
    ("Lite", "Лайт"),
    ("Studio", "Студіо"),
    ("One", "Ван"),
]
COLOURS = ["black", "silver", "blue", "white"]
UAH_PER_EUR = 44  # a fixed demo rate: prices are per currency in the catalog, not converted at runtime


def _attributes(product_type: str, n: int) -> dict[str, Any]:
    if product_type == "laptop":
        return {
            "screen_size": [13, 14, 15.6, 16][n % 4],
            "ram": [8, 16, 32][n % 3],
            "touch": n % 5 == 0,
            "cpu": ["Ryzen 5", "Ryzen 7", "Core i5", "Core i7"][n % 4],
        }
    if product_type == "smartphone":
        return {
            "screen_size": [6.1, 6.4, 6.7][n % 3],
            "storage": [128, 256, 512][n % 3],
            "dual_sim": n % 2 == 0,
        }
    if product_type == "headphones":
        return {"wireless": n % 4 != 0, "noise_cancelling": n % 3 == 0, "battery_life": [20, 30, 40][n % 3]}
    return {"pressure": [15, 19][n % 2], "capacity": [1, 2][n % 2], "milk_frother": n % 2 == 1}


def demo_product(n: int) -> dict[str, Any]:
    """Product number ``n`` of the demo catalog (deterministic)."""
    category, product_type, prefix, noun_en, noun_uk, slug_uk, base = LINES[n % len(LINES)]
    brand = BRANDS[n % len(BRANDS)]
    series_en, series_uk = SERIES[(n // len(LINES)) % len(SERIES)]
    code = f"{prefix}-{n:04d}"
    name_en = f"{brand['name']} {noun_en} {series_en} {n}"
    name_uk = f"{noun_uk} {brand['name']} {series_uk} {n}"
    eur = base + (n * 1_000) % 40_000
    colours = [COLOURS[(n + i) % len(COLOURS)] for i in range(2 + n % 2)]
    variants = []
    for i, colour in enumerate(colours):
        amount = eur + i * 2_000
        prices = [{"amount": amount, "currency": "EUR"}, {"amount": amount * UAH_PER_EUR, "currency": "UAH"}]
        if n % 4 == 0:  # some products carry a business price list too
            prices.append({"amount": amount * 9 // 10, "currency": "EUR", "price_list": "business"})
        variants.append(
            {
                "sku": f"{code}-{colour.upper()}",
                "attributes": {"colour": colour},
                "prices": prices,
                "media": [{"url": f"https://cdn.shop.example/products/{code}/{colour}.jpg"}],
            }
        )
    return {
        "code": code,
        "status": "published",
        "product_type_id": product_type,
        "category_id": category,
        "brand_id": brand["id"],
        "name": _label(name_en, name_uk),
        "description": _label(
            f"{name_en}: a dependable {noun_en.lower()} from {brand['name']}.",
            f"{name_uk}: надійний вибір від {brand['name']}.",
        ),
        "attributes": _attributes(product_type, n),
        "variants": variants,
        "media": [
            {"url": f"https://cdn.shop.example/products/{code}/main.jpg", "alt": _label(name_en, name_uk)}
        ],
        "seo": {
            "slug": {
                "en": f"{brand['id']}-{noun_en.lower().replace(' ', '-')}-{series_en.lower()}-{n}",
                "uk": f"{slug_uk}-{brand['id']}-{series_en.lower()}-{n}",
            },
            "title": _label(f"{name_en} | Shop", f"{name_uk} | Магазин"),
            "description": _label(f"Buy {name_en} online.", f"Купити {name_uk} онлайн."),
            "canonical_url": {
                "en": f"https://shop.example/en/p/{code.lower()}",
                "uk": f"https://shop.example/uk/p/{code.lower()}",
            },
        },
    }


def seeded_products(products: int) -> list[dict[str, Any]]:
    """Every product the catalog seed imports, in order: ``products`` demo products, then the gift card and
    the e-certificate. The demo seed bench derives what search should find from this list."""
    return [demo_product(n) for n in range(1, products + 1)] + [gift_card_product(), e_gift_product()]


def _categories() -> list[dict[str, Any]]:
    return [
        {
            "id": cid,
            **({"parent_id": parent} if parent else {}),
            "name": _label(en, uk),
            "seo": {"slug": {"en": cid, "uk": slug_uk}, "title": _label(en, uk)},
        }
        for cid, parent, en, uk, slug_uk in CATEGORY_TREE
    ]


class _Api:
    def __init__(self, base_url: str, token: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        self._base = base_url.rstrip("/")
        self._token = token

    def post(self, path: str, body: str, content_type: str = "application/json") -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self._base + path,
            data=body.encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def create(self, path: str, document: dict[str, Any]) -> bool:
        """True if created, False if it already existed (409); anything else is an error."""
        status, body = self.post(path, json.dumps(document))
        if status not in (201, 409):
            raise RuntimeError(f"POST {path} {document.get('id')}: HTTP {status} {body}")
        return status == 201


def seed(
    base_url: str,
    token: str,
    *,
    products: int = 240,
    progress: Callable[[int], None] | None = None,
    before_chunk: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, int]:
    """Seed the demo catalog; returns what was created and what was already there. ``progress`` is told
    how many products were imported so far after each chunk; ``before_chunk`` is given each chunk's
    products before they are imported (the local stack waits there for their stock to reach catalog and
    search, see ``infra.local.runner``)."""
    api = _Api(base_url, token)
    counts = {
        "product_types": 0,
        "brands": 0,
        "categories": 0,
        "products": products + 1,  # and the gift card
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    for product_type in PRODUCT_TYPES:
        api.create("/admin/catalog/product-types", product_type)
        counts["product_types"] += 1
    for brand in BRANDS:
        api.create("/admin/catalog/brands", brand)
        counts["brands"] += 1
    for category in _categories():  # parents come first in CATEGORY_TREE
        api.create("/admin/catalog/categories", category)
        counts["categories"] += 1
    seeded = seeded_products(products)
    for start in range(0, len(seeded), CHUNK):
        rows = seeded[start : start + CHUNK]
        if before_chunk is not None:
            before_chunk(rows)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        status, report = api.post("/admin/catalog/imports", text, "application/x-ndjson")
        if status != 200:
            raise RuntimeError(f"import failed: HTTP {status} {report}")
        for key in ("created", "updated", "unchanged", "failed"):
            counts[key] += report[key]
        if report["failed"]:
            failures = [r for r in report["results"] if r["outcome"] == "failed"][:3]
            raise RuntimeError(f"{report['failed']} demo products were refused, e.g. {failures}")
        if progress is not None:
            progress(min(start + len(rows), products))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed the demo catalog through the admin API")
    parser.add_argument("--api", required=True, help="API base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="a merchandisers bearer token")
    parser.add_argument("--products", type=int, default=240)
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.api, args.token, products=args.products)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
