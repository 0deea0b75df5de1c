"""Cart fixtures: the stage in moto from the specs (``tests.stage``), SKU facts projected from catalog events, stock in
the inventory table, and the cart API driven by API Gateway REST proxy events (guest and customer)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conformance import DocumentedAnswers, answers_for, served_document
from tests.conftest import REGION, build_api_event
from tests.support import Reply, reply_from

CUSTOMER_SUB = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
OTHER_SUB = "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"


def cart_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    sub: str | None = None,
    groups: str = "customers",
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A proxy event for ``/cart...`` (guest) or ``/me/cart...`` (customer claims when ``sub`` is given)."""
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["X-Cart-Token"] = token
    event = build_api_event(method, path, body, headers=all_headers, groups=None)
    prefix = "me/cart" if path.startswith("/me/") else "cart"
    event["resource"] = f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.removeprefix(f"/{prefix}").lstrip("/")}
    if sub is not None:
        event["requestContext"]["authorizer"] = {
            "claims": {
                "sub": sub,
                "cognito:groups": groups,
                "email": f"{sub[:8]}@example.com",
                **(claims or {}),
            }
        }
    return event


@pytest.fixture
def cart_stack(moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test), the
    cart functions' environment, and a fresh cart container (nothing built for another test's moto)."""
    from cart import wiring
    from cart.wiring import CartContainer
    from infra.local.provision import function_environment
    from infra.resources import function, physical_name
    from shop_kernel import aws

    stage = moto_stage.stage
    for spec in ("cart-api", "cart-catalog-projector"):
        for name, value in function_environment(stage, function(spec)).items():
            monkeypatch.setenv(name, value)
    aws.reset_clients()
    monkeypatch.setattr(wiring, "container", CartContainer())
    yield SimpleNamespace(
        carts=physical_name(stage, "carts"),
        promotions=physical_name(stage, "promotions"),
        loyalty=physical_name(stage, "loyalty"),
        inventory=physical_name(stage, "inventory"),
        dynamodb=moto_stage.dynamodb,
    )
    aws.reset_clients()


@pytest.fixture
def cart_answers(cart_stack: SimpleNamespace) -> DocumentedAnswers:
    """What the cart API's served OpenAPI document says of each operation (read once a session)."""
    return answers_for("cart", lambda: served_document("cart.handlers.api", "/cart/openapi.json"))


@pytest.fixture
def call(
    cart_stack: SimpleNamespace, lambda_context: Any, cart_answers: DocumentedAnswers, functions: Any
) -> Callable[..., Reply]:
    """Calls the cart API; every answer must match what its OpenAPI document says of it."""

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        reply = reply_from(
            functions.invoke("cart-api", cart_event(method, path, body, **kwargs), lambda_context)
        )
        cart_answers.check(method, path, reply)
        return reply

    return _call


def product_snapshot(product_id: str, version: int, variants: list[tuple[str, int, int]]) -> dict[str, Any]:
    """A catalog ``ProductSnapshot``: variants as (sku, EUR cents, UAH kopecks) retail prices."""
    return {
        "id": product_id,
        "code": product_id.upper(),
        "version": version,
        "name": {"en": f"Laptop {product_id}", "uk": f"Ноутбук {product_id}"},
        "description": None,
        "seo": {"slug": {"en": product_id, "uk": product_id}},
        "brand": {"id": "acme", "name": "Acme"},
        "category": {"id": "laptops", "path": ["electronics", "computers", "laptops"]},
        "product_type_id": "laptop",
        "attributes": [{"code": "weight_grams", "label": {"en": "Weight"}, "kind": "number", "value": 1500}],
        "variants": [
            {
                "sku": sku,
                "attributes": [],
                "prices": [
                    {"amount": eur, "currency": "EUR", "price_list": "retail"},
                    {"amount": uah, "currency": "UAH", "price_list": "retail"},
                    {"amount": eur * 80 // 100, "currency": "EUR", "price_list": "b2b_gold"},
                ],
                "media": [],
            }
            for sku, eur, uah in variants
        ],
        "media": [],
        "published_at": "2026-11-01T10:00:00.000Z",
        "updated_at": "2026-11-01T10:00:00.000Z",
    }


def catalog_events_batch(events: list[Any]) -> dict[str, Any]:
    """An SQS event as Lambda delivers it, each body an EventBridge event made by the catalog's own code."""
    records = []
    for index, event in enumerate(events):
        envelope = {
            "version": "0",
            "id": f"eb-{index}",
            "detail-type": event.detail_type,
            "source": event.source,
            "account": "123456789012",
            "time": event.metadata.occurred_at,
            "region": REGION,
            "resources": [],
            "detail": event.detail(),
        }
        records.append(
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": json.dumps(envelope),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-cart-catalog-events",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def published(product_id: str, version: int, variants: list[tuple[str, int, int]]) -> Any:
    from catalog.domain.events import ProductPublished, ProductSnapshot, event_id
    from shop_kernel.events import make_event

    snapshot = ProductSnapshot.model_validate(product_snapshot(product_id, version, variants))
    return make_event(
        "shop.catalog",
        "ProductPublished",
        ProductPublished(product=snapshot),
        version="1.0",
        occurred_at="2026-11-01T10:00:00.000Z",
        event_id=event_id(product_id, version, "ProductPublished"),
    )


@pytest.fixture
def project(
    cart_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[list[Any]], dict[str, Any]]:
    def _project(events: list[Any]) -> dict[str, Any]:
        batch = catalog_events_batch(events)
        return functions.invoke("cart-catalog-projector", batch, lambda_context)  # type: ignore[no-any-return]

    return _project


def put_location(dynamodb: Any, table: str, location_id: str, kind: str, pickup: bool = False) -> None:
    """The location item and inventory's ``locations_config`` item that lists it (as inventory writes them)."""
    doc = {"id": location_id, "kind": kind, "pickup": pickup}
    config_key = {"pk": {"S": "CONFIG#locations"}, "sk": {"S": "CONFIG"}}
    config = dynamodb.get_item(TableName=table, Key=config_key, ConsistentRead=True).get("Item")
    documents = json.loads(config["doc"]["S"]) if config else {}
    version = int(config["version"]["N"]) if config else 0
    dynamodb.put_item(
        TableName=table,
        Item={
            **config_key,
            "type": {"S": "locations_config"},
            "version": {"N": str(version + 1)},
            "doc": {"S": json.dumps({**documents, location_id: doc})},
        },
    )
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"LOC#{location_id}"},
            "sk": {"S": "LOCATION"},
            "type": {"S": "location"},
            "gsi1pk": {"S": "LOCATIONS"},
            "gsi1sk": {"S": location_id},
            "doc": {"S": json.dumps(doc)},
        },
    )


def put_stock(dynamodb: Any, table: str, sku: str, location_id: str, available: int) -> None:
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"SKU#{sku}"},
            "sk": {"S": f"LOC#{location_id}"},
            "type": {"S": "stock"},
            "sku": {"S": sku},
            "location_id": {"S": location_id},
            "on_hand": {"N": str(available)},
            "reserved": {"N": "0"},
            "available": {"N": str(available)},
            "version": {"N": "1"},
        },
    )


@pytest.fixture
def shop(cart_stack: SimpleNamespace, project: Callable[[list[Any]], dict[str, Any]]) -> SimpleNamespace:
    """Two published products (three SKUs), a warehouse and a pickup store with stock."""
    project([published("prod_a", 1, [("LAP-A-BLK", 100000, 4000000), ("LAP-A-SLV", 110000, 4400000)])])
    project([published("prod_b", 1, [("PHN-B-BLK", 50000, 2000000)])])
    put_location(cart_stack.dynamodb, cart_stack.inventory, "kyiv-dc", "warehouse")
    put_location(cart_stack.dynamodb, cart_stack.inventory, "lviv-store", "store", pickup=True)
    put_stock(cart_stack.dynamodb, cart_stack.inventory, "LAP-A-BLK", "kyiv-dc", 30)
    put_stock(cart_stack.dynamodb, cart_stack.inventory, "LAP-A-SLV", "kyiv-dc", 2)
    put_stock(cart_stack.dynamodb, cart_stack.inventory, "PHN-B-BLK", "lviv-store", 5)
    return cart_stack
