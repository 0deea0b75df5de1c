"""What the search API answers, as the OpenAPI document describes it (request bodies included).

The routes build plain dicts (``search.domain.documents.summary``, the service's results); these models
are the published contract for them, and the integration suites validate every answer they get against
the served document. Names start with ``Search`` because the gateway merges every context's document
into one and a component name must mean one thing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.openapi import LocaleCode


class _Documented(BaseModel):
    """Built lazily: the routes answer plain dicts, so these schemas are needed only for the document."""

    model_config = ConfigDict(defer_build=True)


class SearchHitBrand(_Documented):
    id: str = Field(examples=["acme"])
    name: str = Field(examples=["Acme"])


class SearchHitImage(_Documented):
    url: str = Field(examples=["https://cdn.shop.example/p/lap-0001.jpg"])
    kind: Literal["image", "video"] = Field(examples=["image"])
    alt: dict[str, str] | None = Field(
        default=None, description="Alternative text per locale (en always, uk when given)"
    )


class SearchHitPrice(_Documented):
    price_list: str = Field(examples=["retail"])
    currency: str = Field(description="ISO 4217", examples=["EUR"])
    amount: int = Field(
        description="The lowest price over the product's variants, in minor units", examples=[129900]
    )


class SearchHit(_Documented):
    """One published product as a result list shows it, in the answer's locale (``en`` fallback).

    Open to additions: a client must ignore fields it does not know.
    """

    id: str = Field(examples=["prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1"])
    code: str | None = Field(examples=["LAP-0001"])
    name: str | None = Field(examples=["Acme Ultrabook 14"])
    slug: str | None = Field(description="For the product page URL", examples=["acme-ultrabook-14"])
    brand: SearchHitBrand | None
    image: SearchHitImage | None = Field(description="The product's first image, else its first variant's")
    prices: list[SearchHitPrice] = Field(description="One per price list and currency, sorted")
    availability: Literal["in_stock", "low_stock", "sold_out"] = Field(
        description="Whether it can be bought for the country and/or pickup store asked for (anywhere when "
        "neither): its best variant at its best location; low_stock below the SKU's threshold. A product "
        "delivered electronically (fulfilment digital: e-certificates) holds no stock and is in_stock for "
        "every country and every pickup store: it is sent by e-mail, nothing is collected",
        examples=["in_stock"],
    )


class SearchFacetBucket(_Documented):
    value: str = Field(
        description='A category or brand id, an attribute value, or a price range "min-max" ("*" open-ended)',
        examples=["laptops"],
    )
    count: int = Field(description="Matching products with this value", examples=[12])
    min: int | None = Field(default=None, description="Price buckets: lower bound in minor units")
    max: int | None = Field(default=None, description="Price buckets: upper bound (exclusive); absent = open")


class SearchResults(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "ноутбук",
                    "locale": "uk",
                    "total": 1,
                    "items": [
                        {
                            "id": "prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1",
                            "code": "LAP-0001",
                            "name": "Acme Ультрабук 14",
                            "slug": "acme-ultrabook-14",
                            "brand": {"id": "acme", "name": "Acme"},
                            "image": None,
                            "prices": [{"price_list": "retail", "currency": "EUR", "amount": 129900}],
                            "availability": "in_stock",
                        }
                    ],
                    "facets": {"brand": [{"value": "acme", "count": 1}]},
                    "did_you_mean": None,
                    "relaxed": False,
                    "next_cursor": None,
                }
            ]
        }
    )

    query: str = Field(description="The text as sent")
    locale: LocaleCode = Field(description="The language of names and slugs (also in Content-Language)")
    total: int = Field(description="Matching products over all pages", examples=[42])
    items: list[SearchHit] = Field(description="This page, best first (or in the chosen sort)")
    facets: dict[str, list[SearchFacetBucket]] = Field(
        description='Per requested facet: "category", "brand", "price", "attributes.<code>"'
    )
    did_you_mean: str | None = Field(description="A corrected query when the text looked misspelt")
    relaxed: bool = Field(description="True when nothing matched strictly and a looser query ran")
    next_cursor: str | None = Field(description="Send as cursor for the next page; null on the last page")


class SearchSuggestion(_Documented):
    text: str = Field(examples=["Acme Ultrabook 14"])
    product_id: str | None = Field(description="The product the completion names, when it names one")


class SearchSuggestions(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "ultr",
                    "locale": "en",
                    "items": [{"text": "Acme Ultrabook 14", "product_id": "prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1"}],
                }
            ]
        }
    )

    query: str
    locale: LocaleCode
    items: list[SearchSuggestion] = Field(description="Completions, best first; empty for an empty q")


class SearchLinkedProducts(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product_id": "prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1",
                    "items": [
                        {
                            "id": "prod_01J9Z6X2M3N4P5Q6R7S8T9V0W2",
                            "code": "LAP-0002",
                            "name": "Globex Notebook Pro",
                            "slug": "globex-notebook-pro",
                            "brand": {"id": "globex", "name": "Globex"},
                            "image": None,
                            "prices": [{"price_list": "retail", "currency": "EUR", "amount": 99900}],
                            "availability": "in_stock",
                        }
                    ],
                }
            ]
        }
    )

    product_id: str = Field(description="The product asked about")
    items: list[SearchHit] = Field(description="Published products only, most relevant first")


SynonymTerm = Annotated[str, Field(min_length=1, max_length=100)]


class SearchSynonymsBody(_Documented):
    """Every synonym group at once (a replacement, not a patch)."""

    model_config = ConfigDict(extra="forbid")

    groups: list[list[SynonymTerm]] = Field(
        max_length=1000,
        description="Groups of 2 to 20 different terms that mean the same; no commas in a term",
        examples=[[["laptop", "notebook", "ноутбук"]]],
    )


class SearchSynonyms(_Documented):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"groups": [["laptop", "notebook", "ноутбук"]], "version": 3}]}
    )

    groups: list[list[str]] = Field(description="Trimmed, de-duplicated groups as applied")
    version: int = Field(description="0 when never set; the ETag carries it too", examples=[3])


class SearchRelatedBody(_Documented):
    model_config = ConfigDict(extra="forbid")

    product_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        max_length=50,
        description="Published products to show with this one, in this order; [] removes every link",
        examples=[["prod_01J9Z6X2M3N4P5Q6R7S8T9V0W2"]],
    )


class SearchRelatedLinks(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product_id": "prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1",
                    "product_ids": ["prod_01J9Z6X2M3N4P5Q6R7S8T9V0W2"],
                }
            ]
        }
    )

    product_id: str
    product_ids: list[str] = Field(description="As saved: duplicates dropped, order kept")
