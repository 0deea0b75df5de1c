"""The stream handler turns real table changes (read back from moto's stream) into catalog events."""

from __future__ import annotations

import json

import boto3
import pytest

from shop_kernel.events import InMemoryPublisher, PublishFailed
from tests.conftest import REGION
from tests.integration.catalog.conftest import product_body
from tests.support import TableStream


@pytest.fixture
def stream(catalog_stack):
    return TableStream(catalog_stack.dynamodb, catalog_stack.table, ("product",))


@pytest.fixture
def published_events(catalog_stack, monkeypatch):
    """The catalog functions' publisher, in memory (everything else as the stack builds it)."""
    from catalog import wiring

    publisher = InMemoryPublisher()
    monkeypatch.setattr(wiring, "container", wiring.CatalogContainer(publisher=publisher))
    return publisher


def test_publishing_emits_product_published_and_replays_keep_event_ids(
    reference, stream, published_events, lambda_context, functions
):
    # GIVEN reference data and a draft product
    created = reference("POST", "/admin/catalog/products", product_body(1))
    stream.batch()
    # WHEN the product is published and the stream batch is processed twice (a replay)
    reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    batch = stream.batch()
    assert len(batch["Records"]) == 1
    assert functions.invoke("catalog-events", batch, lambda_context) == {"batchItemFailures": []}
    functions.invoke("catalog-events", batch, lambda_context)
    # THEN one ProductPublished per run, with the same event id both times
    first, replay = published_events.published
    assert (first.source, first.detail_type) == ("shop.catalog", "ProductPublished")
    assert first.metadata.event_id == replay.metadata.event_id
    detail = first.detail()
    assert detail["metadata"]["version"] == "1.0"
    assert detail["data"]["product"]["name"] == {"en": "Acme Book 1", "uk": "Acme Бук 1"}
    assert detail["data"]["product"]["category"]["path"] == ["electronics", "computers", "laptops"]


def test_drafts_make_no_events(reference, stream, published_events, lambda_context, functions):
    # WHEN a draft is created and edited
    created = reference("POST", "/admin/catalog/products", product_body(1))
    reference(
        "PATCH",
        f"/admin/catalog/products/{created.body['id']}",
        {"name": {"en": "X"}},
        headers={"If-Match": created.etag},
    )
    functions.invoke("catalog-events", stream.batch(), lambda_context)
    # THEN nothing is published
    assert published_events.published == []


def test_price_edit_emits_product_updated_and_price_changed_then_archive(
    reference, stream, published_events, lambda_context, functions
):
    # GIVEN a published product
    created = reference("POST", "/admin/catalog/products", product_body(1))
    live = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    stream.batch()
    # WHEN its EUR price changes, then it is archived
    variants = product_body(1)["variants"]
    variants[0]["prices"][0]["amount"] = 89900
    path = f"/admin/catalog/products/{created.body['id']}"
    edited = reference("PATCH", path, {"variants": variants}, headers={"If-Match": live.etag})
    reference("POST", f"{path}/archive", headers={"If-Match": edited.etag})
    functions.invoke("catalog-events", stream.batch(), lambda_context)
    # THEN ProductUpdated and PriceChanged for version 3, ProductArchived for version 4
    kinds = [e.detail_type for e in published_events.published]
    assert kinds == ["ProductUpdated", "PriceChanged", "ProductArchived"]
    updated, price, archived = published_events.published
    assert updated.data["changed_fields"] == ["variants"]
    assert price.data["changes"] == [
        {
            "sku": "LAP-0001-BLK",
            "price_list": "retail",
            "currency": "EUR",
            "old_amount": 99901,
            "new_amount": 89900,
        }
    ]
    assert archived.data["version"] == 4
    assert len({e.metadata.event_id for e in published_events.published}) == 3


def test_a_batch_is_published_together_and_resumes_from_the_record_the_bus_refused(
    reference, stream, monkeypatch, lambda_context, functions
):
    from catalog import wiring

    # GIVEN three products published in the same batch and a bus that refuses the second one's event
    ids = []
    for n in (1, 2, 3):
        created = reference("POST", "/admin/catalog/products", product_body(n))
        reference(
            "POST",
            f"/admin/catalog/products/{created.body['id']}/publish",
            headers={"If-Match": created.etag},
        )
        ids.append(created.body["id"])

    class FlakyBus(InMemoryPublisher):
        calls = 0

        def publish(self, events):
            self.calls += 1
            refused = [e for e in events if e.data["product"]["id"] == ids[1]]
            super().publish([e for e in events if e not in refused])
            if refused:
                raise PublishFailed(refused)

    bus = FlakyBus()
    monkeypatch.setattr(wiring, "container", wiring.CatalogContainer(publisher=bus))
    batch = stream.batch()
    publications = [r for r in batch["Records"] if r["eventName"] == "MODIFY"]
    # WHEN the batch is processed
    result = functions.invoke("catalog-events", batch, lambda_context)
    # THEN its events went to the publisher in one call, and the stream resumes from the second product's
    # publication (the first is done; the third comes again with the retry, under the same event id)
    assert bus.calls == 1
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert failed == [publications[1]["dynamodb"]["SequenceNumber"]]
    assert [e.data["product"]["id"] for e in bus.published] == [ids[0], ids[2]]
    # AND the retry from there publishes the third product's event again with the same id
    retry = {"Records": batch["Records"][batch["Records"].index(publications[1]) :]}
    first_id = bus.published[-1].metadata.event_id
    again = InMemoryPublisher()
    monkeypatch.setattr(wiring, "container", wiring.CatalogContainer(publisher=again))
    assert functions.invoke("catalog-events", retry, lambda_context) == {"batchItemFailures": []}
    assert [e.data["product"]["id"] for e in again.published] == [ids[1], ids[2]]
    assert again.published[-1].metadata.event_id == first_id


def test_events_reach_the_bus_in_the_shared_envelope(
    reference, stream, catalog_stack, lambda_context, functions
):
    # GIVEN a rule on the catalog bus that copies catalog events to a queue
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="catalog-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="catalog", EventBusName=catalog_stack.bus, EventPattern=json.dumps({"source": ["shop.catalog"]})
    )
    events.put_targets(
        Rule="catalog", EventBusName=catalog_stack.bus, Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    # WHEN a product is published and the stream is processed by the real handler and publisher
    created = reference("POST", "/admin/catalog/products", product_body(1))
    reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    functions.invoke("catalog-events", stream.batch(), lambda_context)
    # THEN the queue holds a ProductPublished with metadata and data
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (event,) = [json.loads(m["Body"]) for m in messages]
    assert (event["source"], event["detail-type"]) == ("shop.catalog", "ProductPublished")
    assert set(event["detail"]["metadata"]) == {"version", "eventId", "occurredAt", "correlationId"}
    assert event["detail"]["metadata"]["correlationId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert event["detail"]["data"]["product"]["id"] == created.body["id"]


def test_a_merchandisers_correlation_id_travels_with_the_events_it_causes(
    reference, stream, published_events, lambda_context, functions
):
    # GIVEN a draft product
    created = reference("POST", "/admin/catalog/products", product_body(1))
    stream.batch()
    # WHEN it is published with the documented X-Correlation-Id header
    reference(
        "POST",
        f"/admin/catalog/products/{created.body['id']}/publish",
        headers={"If-Match": created.etag, "X-Correlation-Id": "spring-launch-42"},
    )
    functions.invoke("catalog-events", stream.batch(), lambda_context)
    # THEN the ProductPublished event carries that id instead of the request id
    (event,) = published_events.published
    assert event.detail()["metadata"]["correlationId"] == "spring-launch-42"
