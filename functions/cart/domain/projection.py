"""The catalog's product events as the cart's SKU facts (one item per SKU, the read model lines are
checked and priced against).

Which event does what (``product_version`` orders them, because SQS does not):

* ``ProductPublished`` / ``ProductUpdated`` - every variant's facts from the snapshot (name, prices per
  list and currency, category path, brand, weight and tax class attributes), written only over an older
  version; variants that disappeared from the product become ``withdrawn``.
* ``PriceChanged`` - the new prices of the SKUs it names, only while the facts are older than its
  version (the ``ProductUpdated`` of the same version carries the same prices, so either order ends the
  same).
* ``ProductArchived`` - every SKU of the product becomes ``archived``.

Catalog products have no weight or tax class field yet: a ``weight_grams`` (or ``weight`` in grams)
attribute and a ``tax_class`` attribute (standard/reduced/zero) are used when present, else 0 g and
standard. A ``fulfilment`` attribute of ``digital`` (an enum on the product or the variant) marks a SKU
that is delivered electronically, never shipped (an e-certificate): it needs no stock and no shipping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cart.domain.models import SkuFacts, SkuStatus
from pricing.domain import RETAIL, ListPrice, TaxClass
from shop_kernel.money import Money

HANDLED = ("ProductPublished", "ProductUpdated", "ProductArchived", "PriceChanged")


@dataclass(frozen=True)
class ProductFacts:
    """Facts of every SKU of one product at one version."""

    product_id: str
    version: int
    skus: tuple[SkuFacts, ...]


@dataclass(frozen=True)
class PriceUpdate:
    product_id: str
    version: int
    # sku -> (price list, currency) -> amount, or None when removed
    changes: dict[str, dict[tuple[str, str], int | None]]


@dataclass(frozen=True)
class Archival:
    product_id: str
    version: int


def _attribute(attributes: list[dict[str, Any]], *codes: str) -> Any:
    for attribute in attributes:
        if attribute.get("code") in codes:
            return attribute.get("value")
    return None


def list_price(price_list: str, amount: int, currency: str) -> ListPrice:
    return ListPrice(
        price_list=price_list, amount=Money.of(amount, currency), includes_tax=price_list == RETAIL
    )


def _tax_class(value: Any) -> TaxClass:
    try:
        return TaxClass(str(value)) if value is not None else TaxClass.STANDARD
    except ValueError:
        return TaxClass.STANDARD


DIGITAL = "digital"  # the ``fulfilment`` attribute's value for goods that are never shipped


def _weight(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else 0


def product_facts(product: dict[str, Any]) -> ProductFacts:
    """A ``ProductSnapshot`` (dict) -> the facts of each of its variants."""
    version = int(product["version"])
    category = product.get("category") or {}
    brand = product.get("brand") or {}
    shared = product.get("attributes") or []
    facts = []
    for variant in product.get("variants") or []:
        attributes = [*shared, *(variant.get("attributes") or [])]
        facts.append(
            SkuFacts(
                sku=variant["sku"],
                product_id=product["id"],
                product_version=version,
                status=SkuStatus.PUBLISHED,
                name=dict(product.get("name") or {}),
                prices=tuple(
                    list_price(p.get("price_list", RETAIL), p["amount"], p["currency"])
                    for p in variant.get("prices") or []
                ),
                weight_grams=_weight(_attribute(attributes, "weight_grams", "weight")),
                tax_class=_tax_class(_attribute(attributes, "tax_class")),
                category_ids=frozenset(category.get("path") or [category.get("id")] if category else []),
                brand_id=brand.get("id"),
                digital=_attribute(attributes, "fulfilment") == DIGITAL,
            )
        )
    return ProductFacts(product_id=product["id"], version=version, skus=tuple(facts))


def price_update(data: dict[str, Any]) -> PriceUpdate:
    changes: dict[str, dict[tuple[str, str], int | None]] = {}
    for change in data.get("changes") or []:
        key = (change.get("price_list", RETAIL), change["currency"])
        changes.setdefault(change["sku"], {})[key] = change.get("new_amount")
    return PriceUpdate(product_id=data["product_id"], version=int(data["version"]), changes=changes)


def apply_prices(facts: SkuFacts, changes: dict[tuple[str, str], int | None], version: int) -> SkuFacts:
    prices = {(p.price_list, p.amount.currency): p for p in facts.prices}
    for (price_list, currency), amount in changes.items():
        if amount is None:
            prices.pop((price_list, currency), None)
        else:
            prices[(price_list, currency)] = list_price(price_list, amount, currency)
    return facts.model_copy(update={"prices": tuple(prices.values()), "product_version": version})


def parse(detail_type: str, data: dict[str, Any]) -> ProductFacts | PriceUpdate | Archival:
    if detail_type in ("ProductPublished", "ProductUpdated"):
        return product_facts(data["product"])
    if detail_type == "PriceChanged":
        return price_update(data)
    if detail_type == "ProductArchived":
        return Archival(product_id=data["product_id"], version=int(data["version"]))
    raise ValueError(f"the cart does not project {detail_type}")
