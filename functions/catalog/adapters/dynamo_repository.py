"""The catalog table: one DynamoDB table, single-table design (``pk``/``sk``, ``gsi1``, stream).

Items (``type`` attribute in brackets; only ``product`` items reach the events function):

==========================  ============================  =======================  ==============================
item                        pk                            sk                       gsi1pk / gsi1sk
==========================  ============================  =======================  ==============================
product, current [product]  PRODUCT#<id>                  PRODUCT                  PRODUCTS#<status> / <id>
history entry [history]     <entity pk>                   V#<version, 10 digits>   -
unique claim [<kind>]       UNIQUE#<kind>#<value>         UNIQUE                   -
listing entry [listing]     LISTING#<category id>         <product id>             -
stock level [stock]         STOCK#<sku>                   <location id>            -
category [category]         CATEGORY#<id>                 CATEGORY                 CATEGORIES / <id>
product type [product_type] PRODUCT_TYPE#<id>             PRODUCT_TYPE             PRODUCT_TYPES / <id>
brand [brand]               BRAND#<id>                    BRAND                    BRANDS / <id>
==========================  ============================  =======================  ==============================

Claim kinds: ``product_code`` (value = code), ``sku``, ``product_slug`` and ``category_slug``
(value = ``<locale>#<slug>``); each records its ``owner``. A product slug claim also carries the
published product document (``public``), written in the same transaction as the product.
Listing entries exist for a published product under its category and every ancestor, with the
summary, ``brand_id``, ``p_<price list>_<currency>`` (lowest price), ``f_<attribute>`` (values) and the
product's availability (``avail``, ``buyable``; see ``catalog.adapters.dynamo_stock``: catalog's copy of
inventory's stock levels, read when an entry is written and refreshed by ``catalog-stock-projector``).

Access patterns:

* Public product by id: GetItem PRODUCT#<id> (projection ``public``) -- 1 call.
* Public product by localised slug: GetItem UNIQUE#product_slug#<locale>#<slug> -- 1 call.
* Category page with filters: Query LISTING#<category> with a FilterExpression on brand, price,
  attribute values and availability (``contains(buyable, :context)``), ``Limit`` + signed cursor -- 1 call
  per page. Writing a published product reads its SKUs' stock levels (one Query per SKU).
* Category tree, product types, brands: Query gsi1 CATEGORIES / PRODUCT_TYPES / BRANDS.
* Admin product by id: GetItem (consistent). By codes (import): BatchGetItem claims, then products.
* Admin products by status: Query gsi1 PRODUCTS#<status>.
* Restating the published catalog as events (``catalog.tools.published_events``, offline): Query gsi1
  PRODUCTS#published, every page.
* History of an entity: Query <entity pk>, sk begins_with V#, newest first. One version: GetItem.
* Products listed under a category (category move): Query LISTING#<category>, keys only.

Invariants are conditions, not reads: create = ``attribute_not_exists(pk)``; update =
``version = :expected``; each claim = ``attribute_not_exists(pk)`` when taken and ``owner = :me``
when refreshed or released, all in one TransactWriteItems with the entity and its history entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from catalog.adapters.dynamo_stock import DynamoListingAvailability, listing_availability_attributes
from catalog.domain.models import Brand, Category, Product, ProductType
from catalog.domain.ports import (
    HistoryEntry,
    ListingFilter,
    Page,
    ProductWrite,
    ReferenceData,
    StoredProduct,
)
from shop_kernel.availability import buyable_filter, level_for
from shop_kernel.dynamo import (
    CursorCodec,
    batch_get_keys,
    deserialize,
    query_items,
    serialize,
    serialize_value,
    signed_page,
)
from shop_kernel.errors import Conflict, FieldError, PreconditionFailed

GSI = "gsi1"
_KINDS = {"product": "PRODUCT", "category": "CATEGORY", "product_type": "PRODUCT_TYPE", "brand": "BRAND"}
_GSI_PARTITIONS = {"category": "CATEGORIES", "product_type": "PRODUCT_TYPES", "brand": "BRANDS"}
_NAMES = {"#version": "version", "#owner": "owner"}


def entity_key(kind: str, entity_id: str) -> dict[str, str]:
    return {"pk": f"{_KINDS[kind]}#{entity_id}", "sk": _KINDS[kind]}


def claim_key(kind: str, value: str) -> dict[str, str]:
    return {"pk": f"UNIQUE#{kind}#{value}", "sk": "UNIQUE"}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class _Op:
    """One transaction item and what its failed condition means to the caller."""

    request: dict[str, Any]
    meaning: str = ""
    field: str = ""


class DynamoCatalogRepository:
    def __init__(
        self, client: Any, table_name: str, cursors: CursorCodec, index_cursors: CursorCodec
    ) -> None:
        self._client = client
        self._table = table_name
        self._cursors = cursors
        self._index_cursors = index_cursors
        self.stock = DynamoListingAvailability(client, table_name)

    # low-level helpers ----------------------------------------------------------------------------

    def _get(
        self, key: dict[str, str], consistent: bool = False, projection: str | None = None
    ) -> dict | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": serialize(key),
            "ConsistentRead": consistent,
        }
        if projection:
            request["ProjectionExpression"] = "#a"
            request["ExpressionAttributeNames"] = {"#a": projection}
        item = self._client.get_item(**request).get("Item")
        return deserialize(item) if item else None

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found = batch_get_keys(self._client, [(self._table, serialize(k)) for k in keys])
        return [deserialize(i) for i in found.get(self._table, [])]

    def _query_all(self, **request: Any) -> Iterator[dict[str, Any]]:
        return map(deserialize, query_items(self._client, TableName=self._table, **request))

    def _page(self, codec: CursorCodec, scope: str, cursor: str | None, limit: int, **request: Any) -> tuple:
        items, next_cursor = signed_page(
            self._client, codec, scope, cursor, limit, TableName=self._table, **request
        )
        return [deserialize(i) for i in items], next_cursor

    def _transact(self, ops: list[_Op]) -> None:
        try:
            self._client.transact_write_items(TransactItems=[op.request for op in ops])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise self._explain(ops, exc.response.get("CancellationReasons") or []) from exc

    @staticmethod
    def _explain(ops: list[_Op], reasons: list[dict[str, Any]]) -> Exception:
        errors = []
        for op, reason in zip(ops, reasons, strict=False):
            code = reason.get("Code")
            if code == "ConditionalCheckFailed" and op.meaning == "stale":
                return PreconditionFailed("the resource changed since you read it: read it again and reapply")
            if code == "ConditionalCheckFailed" and op.meaning == "exists":
                return Conflict(
                    "it already exists",
                    errors=[FieldError(field=op.field, message="already exists", code="duplicate")],
                )
            if code == "ConditionalCheckFailed" and op.meaning == "claim":
                errors.append(
                    FieldError(field=op.field, message="already used by another item", code="duplicate")
                )
            if code == "TransactionConflict":
                return Conflict("a concurrent change touched the same items: retry")
        return Conflict("a unique value is already taken", errors=errors)

    def _conditional(
        self, request: dict[str, Any], condition: str | None, values: dict[str, Any] | None
    ) -> None:
        if condition:
            request["ConditionExpression"] = condition
            names = {n: _NAMES[n] for n in _NAMES if n in condition}
            if names:
                request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in values.items()}

    def _put(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        meaning: str = "",
        field: str = "",
    ) -> _Op:
        put: dict[str, Any] = {"TableName": self._table, "Item": serialize(item)}
        self._conditional(put, condition, values)
        return _Op({"Put": put}, meaning, field)

    def _delete(
        self, key: dict[str, str], condition: str | None = None, values: dict[str, Any] | None = None
    ) -> _Op:
        delete: dict[str, Any] = {"TableName": self._table, "Key": serialize(key)}
        self._conditional(delete, condition, values)
        return _Op({"Delete": delete})

    def _versioned_put(self, item: dict[str, Any], previous_version: int | None, field: str) -> _Op:
        if previous_version is None:
            return self._put(item, "attribute_not_exists(pk)", meaning="exists", field=field)
        return self._put(item, "#version = :expected", {":expected": previous_version}, meaning="stale")

    def _history_put(self, entry: HistoryEntry) -> _Op:
        item = {
            "pk": entity_key(entry.kind, entry.entity_id)["pk"],
            "sk": f"V#{entry.version:010d}",
            "type": "history",
            "kind": entry.kind,
            "entity_id": entry.entity_id,
            "version": entry.version,
            "change": entry.change,
            "at": entry.at,
            "by": entry.by,
            "diff": _dumps(entry.diff),
            "doc": _dumps(entry.document),
        }
        return self._put(item, "attribute_not_exists(pk)", meaning="stale")

    def _claims(
        self,
        kind: str,
        owner: str,
        new: dict[str, str],
        old: dict[str, str],
        extra: dict[str, Any] | None = None,
    ) -> list[_Op]:
        """Take new claims, refresh kept ones (their copy of ``extra``), release dropped ones."""
        ops = []
        for value, field in new.items():
            item = {**claim_key(kind, value), "type": kind, "owner": owner, **(extra or {})}
            if value in old:
                ops.append(self._put(item, "#owner = :me", {":me": owner}, meaning="claim", field=field))
            else:
                ops.append(self._put(item, "attribute_not_exists(pk)", meaning="claim", field=field))
        for value in sorted(old.keys() - new.keys()):
            ops.append(self._delete(claim_key(kind, value), "#owner = :me", {":me": owner}))
        return ops

    # products -------------------------------------------------------------------------------------

    @staticmethod
    def _stored(item: dict[str, Any]) -> StoredProduct:
        return StoredProduct(
            product=Product.model_validate_json(item["doc"]), listed_in=tuple(item.get("listed_in") or ())
        )

    def get_product(self, product_id: str) -> StoredProduct | None:
        item = self._get(entity_key("product", product_id), consistent=True)
        return self._stored(item) if item else None

    def get_products_by_code(self, codes: Sequence[str]) -> dict[str, StoredProduct]:
        claims = self._batch_get([claim_key("product_code", c) for c in codes])
        items = self._batch_get([entity_key("product", c["owner"]) for c in claims])
        stored = [self._stored(i) for i in items]
        return {s.product.code: s for s in stored}

    @staticmethod
    def _product_claims(product: Product | None) -> dict[str, dict[str, str]]:
        if product is None:
            return {"product_code": {}, "sku": {}, "product_slug": {}}
        return {
            "product_code": {product.code: "code"},
            "sku": {v.sku: f"variants.{i}.sku" for i, v in enumerate(product.variants)},
            "product_slug": {
                f"{loc}#{slug}": f"seo.slug.{loc}" for loc, slug in product.seo.slug.as_dict().items()
            },
        }

    def _listing_item(
        self, category_id: str, product_id: str, listing: dict[str, Any], availability: dict[str, Any]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": f"LISTING#{category_id}",
            "sk": product_id,
            "type": "listing",
            "product_id": product_id,
            "summary": _dumps(listing["summary"]),
            "brand_id": listing.get("brand_id"),
            **listing_availability_attributes(availability),
        }
        for key, amount in listing["lowest_prices"].items():
            price_list, currency = key.split("/")
            item[f"p_{price_list}_{currency}"] = amount
        for code, values in listing["facets"].items():
            item[f"f_{code}"] = values
        return item

    def save_product(self, write: ProductWrite) -> None:
        product, previous = write.product, write.previous
        public = _dumps(write.public) if write.public else None
        current = {
            **entity_key("product", product.id),
            "type": "product",
            "version": product.version,
            "status": product.status.value,
            "code": product.code,
            "doc": _dumps(product.document()),
            "public": public,
            "listed_in": list(write.listed_in) or None,
            "correlation_id": write.correlation_id,
            "gsi1pk": f"PRODUCTS#{product.status.value}",
            "gsi1sk": product.id,
        }
        ops = [
            self._versioned_put(current, previous.product.version if previous else None, "code"),
            self._history_put(write.history),
        ]
        new_claims = self._product_claims(product)
        old_claims = self._product_claims(previous.product if previous else None)
        for kind in ("product_code", "sku"):
            ops += self._claims(
                kind, product.id, {k: v for k, v in new_claims[kind].items() if k not in old_claims[kind]}, {}
            )
            dropped = {k: v for k, v in old_claims[kind].items() if k not in new_claims[kind]}
            ops += self._claims(kind, product.id, {}, dropped)
        ops += self._claims(
            "product_slug",
            product.id,
            new_claims["product_slug"],
            old_claims["product_slug"],
            {"public": public},
        )
        availability = self.stock.availability(write.public) if write.listed_in else {}
        ops += [
            self._put(self._listing_item(c, product.id, write.listing or {}, availability))
            for c in write.listed_in
        ]
        stale = set(previous.listed_in if previous else ()) - set(write.listed_in)
        ops += [self._delete({"pk": f"LISTING#{c}", "sk": product.id}) for c in sorted(stale)]
        self._transact(ops)

    def published_states(self) -> Iterator[dict[str, Any]]:
        """Every published product as the events function reads a stream image (``change_state``)."""
        for item in self._query_all(
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": "PRODUCTS#published"}},
        ):
            state = change_state(item)
            if state is not None:
                yield state

    def list_products(self, status: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._page(
            self._index_cursors,
            f"products:{status}",
            cursor,
            limit,
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": f"PRODUCTS#{status}"}},
        )
        return Page([json.loads(i["doc"]) for i in items], next_cursor)

    def history(self, kind: str, entity_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._page(
            self._cursors,
            f"history:{kind}:{entity_id}",
            cursor,
            limit,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ScanIndexForward=False,
            ExpressionAttributeValues={":pk": {"S": entity_key(kind, entity_id)["pk"]}, ":v": {"S": "V#"}},
            ProjectionExpression="#version, #change, #at, #by, #diff",
            ExpressionAttributeNames={
                "#version": "version",
                "#change": "change",
                "#at": "at",
                "#by": "by",
                "#diff": "diff",
            },
        )
        return Page([{**i, "diff": json.loads(i["diff"])} for i in items], next_cursor)

    def version(self, kind: str, entity_id: str, version: int) -> HistoryEntry | None:
        item = self._get({"pk": entity_key(kind, entity_id)["pk"], "sk": f"V#{version:010d}"})
        if item is None:
            return None
        return HistoryEntry(
            kind=kind,
            entity_id=entity_id,
            version=item["version"],
            change=item["change"],
            at=item["at"],
            by=item["by"],
            diff=json.loads(item["diff"]),
            document=json.loads(item["doc"]),
        )

    # public reads ---------------------------------------------------------------------------------

    def public_product(self, product_id: str) -> dict[str, Any] | None:
        item = self._get(entity_key("product", product_id), projection="public")
        return json.loads(item["public"]) if item and item.get("public") else None

    def public_product_by_slug(self, locale: str, slug: str) -> dict[str, Any] | None:
        item = self._get(claim_key("product_slug", f"{locale}#{slug}"))
        return json.loads(item["public"]) if item and item.get("public") else None

    def category_page(self, category_id: str, filters: ListingFilter, limit: int, cursor: str | None) -> Page:
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"LISTING#{category_id}"}},
            "ProjectionExpression": "#summary, #avail",
            "ExpressionAttributeNames": {"#summary": "summary", "#avail": "avail"},
        }
        condition, names, values = listing_filter(filters)
        if condition:
            request["FilterExpression"] = condition
            request["ExpressionAttributeNames"].update(names)
            request["ExpressionAttributeValues"].update(values)
        scope = f"listing:{category_id}:{filters.scope()}"
        items, next_cursor = self._page(self._cursors, scope, cursor, limit, **request)
        return Page([_listed(i, filters.contexts) for i in items], next_cursor)

    def listed_product_ids(self, category_id: str) -> list[str]:
        items = self._query_all(
            KeyConditionExpression="pk = :pk",
            ProjectionExpression="pk, sk",
            ExpressionAttributeValues={":pk": {"S": f"LISTING#{category_id}"}},
        )
        return [i["sk"] for i in items]

    # reference data -------------------------------------------------------------------------------

    def _all(self, kind: str) -> list[dict[str, Any]]:
        items = self._query_all(
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": _GSI_PARTITIONS[kind]}},
        )
        return [json.loads(i["doc"]) for i in items]

    def list_categories(self) -> list[Category]:
        return [Category.model_validate(d) for d in self._all("category")]

    def list_product_types(self) -> list[ProductType]:
        return [ProductType.model_validate(d) for d in self._all("product_type")]

    def list_brands(self) -> list[Brand]:
        return [Brand.model_validate(d) for d in self._all("brand")]

    def _one(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        item = self._get(entity_key(kind, entity_id), consistent=True)
        return json.loads(item["doc"]) if item else None

    def get_category(self, category_id: str) -> Category | None:
        doc = self._one("category", category_id)
        return Category.model_validate(doc) if doc else None

    def get_product_type(self, type_id: str) -> ProductType | None:
        doc = self._one("product_type", type_id)
        return ProductType.model_validate(doc) if doc else None

    def get_brand(self, brand_id: str) -> Brand | None:
        doc = self._one("brand", brand_id)
        return Brand.model_validate(doc) if doc else None

    def reference_data(self, product_type_ids: Sequence[str], brand_ids: Sequence[str]) -> ReferenceData:
        keys = [entity_key("product_type", t) for t in product_type_ids] + [
            entity_key("brand", b) for b in brand_ids
        ]
        docs = [(i["type"], json.loads(i["doc"])) for i in self._batch_get(keys)]
        return ReferenceData(
            product_types={d["id"]: ProductType.model_validate(d) for t, d in docs if t == "product_type"},
            categories={c.id: c for c in self.list_categories()},
            brands={d["id"]: Brand.model_validate(d) for t, d in docs if t == "brand"},
        )

    def all_reference_data(self) -> ReferenceData:
        return ReferenceData(
            product_types={t.id: t for t in self.list_product_types()},
            categories={c.id: c for c in self.list_categories()},
            brands={b.id: b for b in self.list_brands()},
        )

    def _entity_item(self, kind: str, entity: Any) -> dict[str, Any]:
        return {
            **entity_key(kind, entity.id),
            "type": kind,
            "version": entity.version,
            "doc": _dumps(entity.model_dump(mode="json", exclude_none=True)),
            "gsi1pk": _GSI_PARTITIONS[kind],
            "gsi1sk": entity.id,
        }

    @staticmethod
    def _category_slugs(category: Category | None) -> dict[str, str]:
        if category is None:
            return {}
        return {f"{loc}#{slug}": f"seo.slug.{loc}" for loc, slug in category.seo.slug.as_dict().items()}

    def save_category(self, category: Category, history: HistoryEntry, previous: Category | None) -> None:
        ops = [
            self._versioned_put(
                self._entity_item("category", category), previous.version if previous else None, "id"
            ),
            self._history_put(history),
        ]
        ops += self._claims(
            "category_slug", category.id, self._category_slugs(category), self._category_slugs(previous)
        )
        self._transact(ops)

    def save_category_subtree(self, changes: Sequence[tuple[Category, Category, HistoryEntry]]) -> None:
        # Two items per category; a subtree larger than one transaction is written in several.
        for start in range(0, len(changes), 40):
            ops = []
            for old, new, history in changes[start : start + 40]:
                ops += [
                    self._versioned_put(self._entity_item("category", new), old.version, "id"),
                    self._history_put(history),
                ]
            self._transact(ops)

    def save_product_type(
        self, product_type: ProductType, history: HistoryEntry, previous: ProductType | None
    ) -> None:
        item = self._entity_item("product_type", product_type)
        self._transact(
            [
                self._versioned_put(item, previous.version if previous else None, "id"),
                self._history_put(history),
            ]
        )

    def save_brand(self, brand: Brand, history: HistoryEntry, previous: Brand | None) -> None:
        item = self._entity_item("brand", brand)
        self._transact(
            [
                self._versioned_put(item, previous.version if previous else None, "id"),
                self._history_put(history),
            ]
        )


def change_state(item: dict[str, Any]) -> dict[str, Any] | None:
    """A product item (deserialized) as ``events_for_change`` reads it, JSON documents parsed; None for
    any other item."""
    if item.get("type") != "product":
        return None
    return {
        "status": item.get("status"),
        "version": item.get("version"),
        "doc": json.loads(item["doc"]),
        "public": json.loads(item["public"]) if item.get("public") else None,
        "correlation_id": item.get("correlation_id"),
    }


def listing_filter(filters: ListingFilter) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A FilterExpression for a category page: brand IN, price range, attribute values (OR within one)."""
    clauses: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if filters.brand_ids:
        names["#brand"] = "brand_id"
        for i, brand in enumerate(filters.brand_ids):
            values[f":b{i}"] = {"S": brand}
        clauses.append(f"#brand IN ({', '.join(f':b{i}' for i in range(len(filters.brand_ids)))})")
    if filters.currency:
        names["#price"] = f"p_{filters.price_list}_{filters.currency}"
        clauses.append("attribute_exists(#price)")
        if filters.min_price is not None:
            values[":pmin"] = {"N": str(filters.min_price.amount)}
            clauses.append("#price >= :pmin")
        if filters.max_price is not None:
            values[":pmax"] = {"N": str(filters.max_price.amount)}
            clauses.append("#price <= :pmax")
    for i, (code, wanted) in enumerate(sorted(filters.attributes.items())):
        names[f"#f{i}"] = f"f_{code}"
        options = []
        for j, value in enumerate(wanted):
            values[f":f{i}_{j}"] = {"S": value}
            options.append(f"contains(#f{i}, :f{i}_{j})")
        clauses.append(f"({' OR '.join(options)})")
    if filters.in_stock:
        names["#buyable"] = "buyable"
        options = []
        for j, context in enumerate(buyable_filter(filters.contexts)):
            values[f":c{j}"] = {"S": context}
            options.append(f"contains(#buyable, :c{j})")
        clauses.append(f"({' OR '.join(options)})")
    return " AND ".join(clauses), names, values


def _listed(item: dict[str, Any], contexts: Sequence[str]) -> dict[str, Any]:
    """A listing entry's summary with the product's availability for the shopper's contexts."""
    availability = json.loads(item["avail"]) if item.get("avail") else {}
    return {**json.loads(item["summary"]), "availability": level_for(availability, contexts)}
