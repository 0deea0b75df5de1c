"""Deterministic catalogue generator for search tests and benchmarks: ``SearchDocument``s in en + uk.

``generate(n, seed)`` always returns the same products for the same arguments. The first products are
the hand-written "heroes" (well-known models, each name unique in the corpus) that the relevance query set
in ``bench/search_queries.jsonl`` targets; the rest are combinations of real brands, series and specs per
category, so heroes compete with many near-namesakes (same brand, same category, same words). Ids are
``prod_`` + 26 characters derived from the seed and position, stable across runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from search.domain.model import SearchDocument
from shop_kernel.money import Money

# category id -> (parent id, en noun, uk noun)
CATEGORIES: dict[str, tuple[str | None, str, str]] = {
    "electronics": (None, "electronics", "електроніка"),
    "computers": ("electronics", "computers", "комп'ютери"),
    "laptops": ("computers", "laptop", "ноутбук"),
    "tablets": ("computers", "tablet", "планшет"),
    "phones": ("electronics", "smartphone", "смартфон"),
    "audio": ("electronics", "audio", "аудіо"),
    "headphones": ("audio", "headphones", "навушники"),
    "speakers": ("audio", "speaker", "колонка"),
    "tv": ("electronics", "TV", "телевізор"),
    "home": (None, "home", "дім"),
    "vacuums": ("home", "vacuum cleaner", "пилосос"),
    "coffee": ("home", "coffee machine", "кавоварка"),
    "kettles": ("home", "electric kettle", "електрочайник"),
    "fashion": (None, "fashion", "одяг"),
    "sneakers": ("fashion", "sneakers", "кросівки"),
    "jackets": ("fashion", "jacket", "куртка"),
    "sports": (None, "sports", "спорт"),
    "bikes": ("sports", "bicycle", "велосипед"),
}

# leaf category -> brand -> series
LINES: dict[str, dict[str, list[str]]] = {
    "laptops": {
        "Lenovo": ["IdeaPad", "Legion", "Yoga", "ThinkBook"], "HP": ["Pavilion", "EliteBook", "Envy", "Omen"],
        "Dell": ["Inspiron", "Latitude", "Vostro"], "Asus": ["VivoBook", "ZenBook", "ROG Strix", "TUF Gaming"],
        "Acer": ["Aspire", "Swift", "Nitro"],
    },
    "tablets": {"Samsung": ["Galaxy Tab A", "Galaxy Tab S"], "Lenovo": ["Tab M", "Tab P"], "Xiaomi": ["Redmi Pad"]},
    "phones": {
        "Samsung": ["Galaxy A", "Galaxy M"], "Xiaomi": ["Redmi Note", "Poco X", "Redmi"], "Motorola": ["Moto G", "Edge"],
        "Nokia": ["G", "C"], "Huawei": ["Nova", "P Smart"],
    },
    "headphones": {"Sony": ["WH-CH", "WF-C"], "JBL": ["Tune", "Live", "Endurance"], "Sennheiser": ["HD", "CX"]},
    "speakers": {"JBL": ["Charge", "Flip", "Go", "Xtreme"], "Sony": ["SRS-XB", "SRS-XG"], "Marshall": ["Emberton"]},
    "tv": {"Samsung": ["Crystal UHD", "QLED Q"], "LG": ["NanoCell", "UHD UR"], "Philips": ["Ambilight PUS"]},
    "vacuums": {"Philips": ["PowerPro", "SpeedPro"], "Rowenta": ["X-Force", "Compact Power"], "Xiaomi": ["Mi Robot"]},
    "coffee": {"DeLonghi": ["Magnifica", "Dedica", "Eletta"], "Philips": ["LatteGo", "Series"]},
    "kettles": {"Tefal": ["Vitesse", "Express"], "Bosch": ["TWK", "Styline"], "Philips": ["HD"]},
    "sneakers": {"Nike": ["Air Max", "Pegasus", "Revolution"], "Adidas": ["Ultraboost", "Runfalcon", "Forum"]},
    "jackets": {"Columbia": ["Powder Lite", "Watertight"], "The North Face": ["Resolve", "Nuptse"]},
    "bikes": {"Cannondale": ["Trail", "Quick"], "Merida": ["Big Nine", "Scultura"], "Trek": ["Marlin", "FX"]},
}  # fmt: skip

COLOURS = [("black", "чорний"), ("white", "білий"), ("grey", "сірий"), ("blue", "синій"), ("red", "червоний")]
ADJECTIVES = [
    ("lightweight", "легкий"), ("wireless", "бездротовий"), ("compact", "компактний"), ("durable", "міцний"),
    ("quiet", "тихий"), ("powerful", "потужний"), ("stylish", "стильний"), ("reliable", "надійний"),
]  # fmt: skip


@dataclass(frozen=True)
class Hero:
    key: str
    category: str
    brand: str
    en: str
    uk: str
    attributes: dict[str, str | int | bool]
    price: int


HEROES: list[Hero] = [
    Hero("iphone15pro", "phones", "Apple", "Apple iPhone 15 Pro 256GB smartphone", "Смартфон Apple iPhone 15 Pro 256GB", {"storage_gb": 256, "nfc": True}, 5_499_900),
    Hero("galaxys24ultra", "phones", "Samsung", "Samsung Galaxy S24 Ultra smartphone", "Смартфон Samsung Galaxy S24 Ultra", {"storage_gb": 512, "nfc": True}, 5_999_900),
    Hero("pixel8", "phones", "Google", "Google Pixel 8 smartphone", "Смартфон Google Pixel 8", {"storage_gb": 128, "nfc": True}, 2_999_900),
    Hero("thinkpadx1", "laptops", "Lenovo", "Lenovo ThinkPad X1 Carbon laptop", "Ноутбук Lenovo ThinkPad X1 Carbon", {"ram_gb": 32, "screen_in": 14}, 8_999_900),
    Hero("macbookair", "laptops", "Apple", "Apple MacBook Air 13 M3 laptop", "Ноутбук Apple MacBook Air 13 M3", {"ram_gb": 16, "screen_in": 13}, 5_299_900),
    Hero("xps13", "laptops", "Dell", "Dell XPS 13 Plus laptop", "Ноутбук Dell XPS 13 Plus", {"ram_gb": 16, "screen_in": 13}, 6_499_900),
    Hero("ipadair", "tablets", "Apple", "Apple iPad Air 11 tablet", "Планшет Apple iPad Air 11", {"storage_gb": 128}, 3_199_900),
    Hero("wh1000xm5", "headphones", "Sony", "Sony WH-1000XM5 wireless noise cancelling headphones", "Бездротові навушники Sony WH-1000XM5 з шумозаглушенням", {"wireless": True}, 1_399_900),
    Hero("airpodspro", "headphones", "Apple", "Apple AirPods Pro 2 earbuds", "Навушники Apple AirPods Pro 2", {"wireless": True}, 999_900),
    Hero("bosesoundlink", "speakers", "Bose", "Bose SoundLink Flex portable speaker", "Портативна колонка Bose SoundLink Flex", {"wireless": True}, 649_900),
    Hero("lgoled", "tv", "LG", "LG OLED evo C3 65 TV", "Телевізор LG OLED evo C3 65", {"screen_in": 65}, 8_499_900),
    Hero("dysonv15", "vacuums", "Dyson", "Dyson V15 Detect cordless vacuum cleaner", "Бездротовий пилосос Dyson V15 Detect", {"wireless": True}, 2_899_900),
    Hero("roomba", "vacuums", "iRobot", "iRobot Roomba Combo j7 robot vacuum", "Робот-пилосос iRobot Roomba Combo j7", {"wireless": True}, 3_499_900),
    Hero("nespresso", "coffee", "Nespresso", "Nespresso Vertuo Next coffee machine", "Капсульна кавоварка Nespresso Vertuo Next", {"volume_ml": 1100}, 699_900),
    Hero("kindle", "tablets", "Amazon", "Amazon Kindle Paperwhite e-reader", "Електронна книга Amazon Kindle Paperwhite", {"storage_gb": 16}, 749_900),
    Hero("ps5", "electronics", "Sony", "Sony PlayStation 5 Slim console", "Ігрова консоль Sony PlayStation 5 Slim", {"storage_gb": 1000}, 2_299_900),
    Hero("switch", "electronics", "Nintendo", "Nintendo Switch OLED console", "Ігрова консоль Nintendo Switch OLED", {"storage_gb": 64}, 1_499_900),
    Hero("gopro", "electronics", "GoPro", "GoPro HERO12 Black action camera", "Екшн-камера GoPro HERO12 Black", {"waterproof": True}, 1_799_900),
    Hero("stanley", "kettles", "Stanley", "Stanley Classic thermos bottle", "Термос Stanley Classic", {"volume_ml": 1000}, 199_900),
    Hero("jordan1", "sneakers", "Nike", "Nike Air Jordan 1 Mid sneakers", "Кросівки Nike Air Jordan 1 Mid", {"size_eu": 42}, 599_900),
    Hero("samba", "sneakers", "Adidas", "Adidas Samba OG sneakers", "Кросівки Adidas Samba OG", {"size_eu": 43}, 449_900),
    Hero("thermoball", "jackets", "The North Face", "The North Face ThermoBall Eco jacket", "Куртка The North Face ThermoBall Eco", {"size": "M"}, 899_900),
    Hero("brompton", "bikes", "Brompton", "Brompton C Line folding bicycle", "Складаний велосипед Brompton C Line", {"gears": 6}, 7_999_900),
    Hero("philipsairfryer", "kettles", "Philips", "Philips Airfryer XXL kitchen fryer", "Мультипіч Philips Airfryer XXL", {"volume_ml": 7300}, 1_099_900),
]  # fmt: skip


def ancestors(category_id: str) -> list[str]:
    """The category, then each parent up to the root."""
    chain = []
    current: str | None = category_id
    while current is not None:
        chain.append(current)
        current = CATEGORIES[current][0]
    return chain


def brand_id(brand: str) -> str:
    return "brand_" + "".join(c for c in brand.lower() if c.isalnum())


def _product_id(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "prod_" + "".join(rng.choice(alphabet) for _ in range(26))


def _published(rng: random.Random) -> str:
    day = rng.randrange(0, 900)
    year, rest = 2023 + day // 365, day % 365
    return f"{year}-{1 + rest // 31 % 12:02d}-{1 + rest % 28:02d}T{rng.randrange(24):02d}:00:00Z"


def _document(
    rng: random.Random, category: str, brand: str, en: str, uk: str, attributes: dict, price: int
) -> SearchDocument:  # type: ignore[type-arg]
    noun_en, noun_uk = CATEGORIES[category][1], CATEGORIES[category][2]
    adjective_en, adjective_uk = rng.choice(ADJECTIVES)
    return SearchDocument(
        product_id=_product_id(rng),
        name={"en": en, "uk": uk},
        description={
            "en": f"{adjective_en.capitalize()} {noun_en} from {brand}. {en} comes with a two-year warranty.",
            "uk": f"{adjective_uk.capitalize()} {noun_uk} від {brand}. {uk} з гарантією два роки.",
        },
        brand_id=brand_id(brand),
        brand_name=brand,
        category_ids=ancestors(category),
        attributes=attributes,
        prices={"UAH:retail": Money.of(price, "UAH"), "EUR:retail": Money.of(price // 45, "EUR")},
        skus=[f"{brand[:3].upper()}-{rng.randrange(10**6):06d}"],
        published_at=_published(rng),
        popularity=rng.randrange(0, 1000),
    )


def _generated(rng: random.Random) -> SearchDocument:
    category = rng.choice(list(LINES))
    brand = rng.choice(list(LINES[category]))
    series = rng.choice(LINES[category][brand])
    model = f"{series} {rng.randrange(1, 99)}{rng.choice(['', '', 'S', 'X', 'Pro', 'Lite'])}".strip()
    colour_en, colour_uk = rng.choice(COLOURS)
    noun_en, noun_uk = CATEGORIES[category][1], CATEGORIES[category][2]
    attributes: dict[str, str | int | bool] = {"color": colour_en}
    spec_en = spec_uk = ""
    if category in ("laptops", "tablets", "phones"):
        memory = rng.choice([4, 8, 16, 32])
        attributes["ram_gb"] = memory
        spec_en, spec_uk = f" {memory}GB", f" {memory}GB"
    if category in ("headphones", "speakers", "vacuums"):
        attributes["wireless"] = rng.random() < 0.6
    en = f"{brand} {model}{spec_en} {colour_en} {noun_en}"
    uk = f"{noun_uk.capitalize()} {brand} {model}{spec_uk} {colour_uk}"
    price = rng.randrange(200, 90_000) * 100
    return _document(rng, category, brand, en, uk, attributes, price)


def heroes(seed: int = 7) -> dict[str, SearchDocument]:
    """The hero products by key, as they appear at the start of ``generate(n, seed)``."""
    rng = random.Random(seed)
    return {
        h.key: _document(rng, h.category, h.brand, h.en, h.uk, dict(h.attributes), h.price) for h in HEROES
    }


def generate(n: int, seed: int = 7) -> Iterator[SearchDocument]:
    """``n`` products: the heroes first, then generated ones (fewer than the heroes if ``n`` is small)."""
    hero_docs = list(heroes(seed).values())
    yield from hero_docs[:n]
    rng = random.Random(seed * 7919 + 1)
    for _ in range(max(0, n - len(hero_docs))):
        yield _generated(rng)
