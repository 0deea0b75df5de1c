"""Search fixtures: the catalog on moto (from the catalog suite), the embedded index under tmp_path,
the search API handler with API Gateway events, and the indexer fed as in the cloud: moto's catalog
table stream -> the real catalog-events function -> the bus -> the search-events queue (the rule from the
specs) -> the search-indexer, with the message shapes Lambda delivers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conformance import DocumentedAnswers, checked
from tests.conftest import build_api_event
from tests.integration.catalog.conftest import (  # noqa: F401 - fixtures re-exported for this suite
    call,
    product_body,
    published,
    reference,
    served_documents,
)
from tests.support import Reply, TableStream, reply_from


@pytest.fixture
def search_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The search functions' environment as the local stack gives it, with the index under tmp_path."""
    from infra.local.provision import function_environment
    from infra.resources import function

    monkeypatch.setenv("SHOP_LOCAL_DIR", str(tmp_path))
    for spec in ("search-api", "search-indexer"):
        for name, value in function_environment("test", function(spec)).items():
            monkeypatch.setenv(name, value)


@pytest.fixture
def search_stack(search_env: None, catalog_stack: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The catalog's stack with search's resources; search's wiring a fresh ``SearchContainer``."""
    from search import wiring

    monkeypatch.setattr(wiring, "container", wiring.SearchContainer())
    return catalog_stack


class CatalogStream(TableStream):
    """The catalog table's stream, filtered like the catalog-events trigger (``product`` items)."""

    def __init__(self, stack: Any) -> None:
        super().__init__(stack.dynamodb, stack.table, ("product",))


@pytest.fixture
def stream(search_stack: Any) -> CatalogStream:
    return CatalogStream(search_stack)


class SearchQueue:
    """The search-events queue in moto: what the bus's rules delivered, as Lambda's SQS records."""

    def __init__(self) -> None:
        import boto3

        from infra.resources import physical_name

        self.sqs = boto3.client("sqs", region_name="eu-west-1")
        self.url = self.sqs.get_queue_url(QueueName=physical_name("test", "search-events"))["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def drain(self) -> list[dict[str, Any]]:
        from infra.local.pollers import to_sqs_record

        records: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return records
            records += [to_sqs_record(m, self.arn) for m in messages]
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


@pytest.fixture
def search_queue(search_stack: Any) -> SearchQueue:
    return SearchQueue()


@pytest.fixture
def index_changes(
    stream: CatalogStream, search_queue: SearchQueue, lambda_context: Any, functions: Any
) -> Callable[[], dict[str, Any]]:
    """Publishes what the catalog stream holds with the real catalog-events function, then delivers
    what reached the search-events queue to the indexer; returns the indexer's answer."""

    def run() -> dict[str, Any]:
        announced = functions.invoke("catalog-events", stream.batch(), lambda_context)
        assert announced == {"batchItemFailures": []}
        return dict(functions.invoke("search-indexer", {"Records": search_queue.drain()}, lambda_context))

    return run


@pytest.fixture
def search_call(search_stack: Any, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls the search API handler; every answer must match the OpenAPI document the API serves."""

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        response = functions.invoke(
            "search-api", build_api_event(method, path, body, **kwargs), lambda_context
        )
        return reply_from(response)

    document = _call("GET", "/search/openapi.json").body
    return checked(_call, DocumentedAnswers(document))


@pytest.fixture
def catalog(reference: Callable[..., Reply], index_changes: Callable[[], dict[str, Any]]) -> dict[str, str]:  # noqa: F811
    """Published products, indexed: laptops (Acme, Globex), a phone with a Latin name, a Cyrillic-named
    laptop and a draft. Returns their ids by nickname."""
    bodies = {
        "acme": product_body(1),
        "globex": product_body(
            2, brand_id="globex", name={"en": "Globex Notebook Pro", "uk": "Globex Ноутбук Про"}
        ),
        "iphone": product_body(
            3,
            category_id="phones",
            name={"en": "iPhone 15", "uk": "iPhone 15"},
            description={"en": "A phone by Apple.", "uk": "Телефон від Apple."},
        ),
        "cyrillic": product_body(4, name={"en": "Ноутбук Легкий", "uk": "Ноутбук Легкий"}),
    }
    ids: dict[str, str] = {}
    for nickname, body in bodies.items():
        created = reference("POST", "/admin/catalog/products", body)
        assert created.status == 201, created.body
        ids[nickname] = created.body["id"]
        reply = reference(
            "POST", f"/admin/catalog/products/{ids[nickname]}/publish", headers={"If-Match": created.etag}
        )
        assert reply.status == 200, reply.body
    draft = reference("POST", "/admin/catalog/products", product_body(5, name={"en": "Draft Laptop"}))
    ids["draft"] = draft.body["id"]
    assert index_changes() == {"batchItemFailures": []}
    return ids
