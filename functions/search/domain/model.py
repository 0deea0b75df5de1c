"""The documents the search index holds and the queries and results that cross the ``SearchIndex`` port.

A ``SearchDocument`` is a denormalised, published product: localised text per locale, the brand, the
category and all its ancestors (so a category filter or facet covers descendants with one term), typed
attributes and one price per ``"<CURRENCY>:<price_list>"`` key (the minimum over variants, the kernel's
``Money``). Stored (the engines' stored document, a cursor's scope), a price is the minor units its key's
currency names, the shape documents had before they held ``Money``: indices written by either read alike.

``SearchQuery.page_token`` and ``SearchResult.next_page`` are engine-specific opaque strings (an offset for
the embedded engine, ``search_after`` values for OpenSearch); the service wraps them in a signed cursor and
never lets a client forge one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from shop_kernel.availability import StockLevelName
from shop_kernel.money import CurrencyMismatch, Money

MAX_LIMIT = 100
MAX_QUERY_CHARS = 1_000

AttributeScalar = StrictBool | StrictInt | StrictStr
FacetName = Literal["category", "brand", "price", "attributes"]
SortOrder = Literal["relevance", "price_asc", "price_desc", "newest"]

# Price facet bucket edges in minor units; the last bucket is open-ended.
DEFAULT_PRICE_EDGES: tuple[int, ...] = (500_00, 1_000_00, 2_500_00, 5_000_00, 10_000_00, 25_000_00, 50_000_00)


def price_key(currency: str, price_list: str) -> str:
    """The key of a price in ``SearchDocument.prices``."""
    return f"{currency}:{price_list}"


def key_currency(key: str) -> str:
    return key.partition(":")[0]


def key_price_list(key: str) -> str:
    return key.partition(":")[2]


def _minor_units(price: Money) -> int:
    return price.amount


class _InJsonAsMinorUnits:
    """In JSON, the Money is its amount alone: the key or filter beside it names the currency. (A core
    schema rather than ``field_serializer``: that would import a pydantic module nothing else needs at
    cold start.)"""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        serialization = core_schema.plain_serializer_function_ser_schema(_minor_units, when_used="json")
        return {**handler(source), "serialization": serialization}


# Money that the stored document and a cursor's scope hold as minor units, the shape they had before.
StoredMoney = Annotated[Money, _InJsonAsMinorUnits]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchDocument(_Frozen):
    product_id: str = Field(min_length=1)
    name: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    brand_id: str | None = None
    brand_name: str | None = None
    category_ids: list[str] = Field(
        default_factory=list, description="Own category first, then every ancestor"
    )
    attributes: dict[str, AttributeScalar] = Field(default_factory=dict)
    prices: dict[str, StoredMoney] = Field(
        default_factory=dict,
        description='"<CURRENCY>:<price_list>" -> the lowest price; stored as minor units of the key\'s currency',
    )
    skus: list[str] = Field(default_factory=list)
    slugs: dict[str, str] = Field(default_factory=dict)
    published_at: str = Field(description="UTC ISO-8601")
    popularity: int = 0
    related_ids: list[str] = Field(default_factory=list)
    # What a hit shows, so a page is answered from the index alone (never looked up in the catalog).
    code: str | None = None
    image: dict[str, Any] | None = None
    version: int = Field(default=0, description="The catalog's product version this document shows")
    availability: dict[str, StockLevelName] = Field(
        default_factory=dict,
        description='"any" | "country:<CC>" | "store:<location id>" -> best level over the variants',
    )

    @field_validator("prices", mode="before")
    @classmethod
    def _stored_amounts_are_money(cls, prices: Any) -> Any:
        if not isinstance(prices, dict):
            return prices
        return {
            key: Money.of(value, key_currency(key)) if type(value) is int else value
            for key, value in prices.items()
        }

    @field_validator("prices")
    @classmethod
    def _in_the_key_currency(cls, prices: dict[str, Money]) -> dict[str, Money]:
        for key, price in prices.items():
            if price.currency != key_currency(key):
                raise CurrencyMismatch(f"a {price.currency} price under {key!r}")
        return prices


class PriceFilter(_Frozen):
    """Products with a price in ``currency`` and ``price_list``, within the bounds when given (inclusive)."""

    currency: str
    price_list: str = "retail"
    # Minor units in JSON: a cursor's scope hashes the query's JSON, and one handed out before bounds were
    # Money still opens its next page after.
    min: StoredMoney | None = None
    max: StoredMoney | None = None

    @property
    def key(self) -> str:
        return price_key(self.currency, self.price_list)

    @model_validator(mode="after")
    def _ordered(self) -> PriceFilter:
        for bound in (self.min, self.max):
            if bound is not None and (bound.currency != self.currency or bound.amount < 0):
                raise ValueError(f"a price bound is a non-negative amount in {self.currency}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("price min must not exceed price max")
        return self


class SearchFilters(_Frozen):
    category_id: str | None = Field(default=None, description="Matches the category and all its descendants")
    brand_ids: list[str] = Field(default_factory=list)
    price: PriceFilter | None = None
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="code -> accepted values (OR within a code, AND across codes)"
    )
    buyable_in: list[str] = Field(
        default_factory=list,
        description="Only products that can be bought in one of these availability contexts (any of them)",
    )


class SearchQuery(_Frozen):
    text: str = Field(default="", max_length=MAX_QUERY_CHARS, description='"" lists by filters and sort only')
    locale: str = "en"
    filters: SearchFilters = Field(default_factory=SearchFilters)
    facets: list[FacetName] = Field(default_factory=list)
    sort: SortOrder = "relevance"
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    page_token: str | None = Field(
        default=None, description="Engine-specific; from a previous SearchResult.next_page"
    )
    price_context: str | None = Field(
        default=None,
        description='"<CURRENCY>:<price_list>" for price sort and price facet; defaults to filters.price',
    )
    price_edges: tuple[int, ...] = DEFAULT_PRICE_EDGES

    @property
    def effective_price_key(self) -> str | None:
        if self.price_context:
            return self.price_context
        return self.filters.price.key if self.filters.price else None


class Hit(_Frozen):
    product_id: str
    score: float
    document: SearchDocument | None = Field(
        default=None, description="The indexed document: what the result page shows for this hit"
    )


class FacetBucket(_Frozen):
    value: str = Field(
        description='Category/brand id, attribute value, or a price range "min-max" ("*" open)'
    )
    count: int
    min: int | None = None
    max: int | None = None


class SearchResult(_Frozen):
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetBucket]] = Field(
        default_factory=dict, description='"category", "brand", "price", "attributes.<code>"'
    )
    did_you_mean: str | None = None
    relaxed: bool = Field(
        default=False, description="True when the strict query found nothing and a looser one ran"
    )
    next_page: str | None = None


class Suggestion(_Frozen):
    text: str
    product_id: str | None = None
    score: float = 0.0
