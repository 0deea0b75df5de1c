import json

import boto3
import pytest
from moto import mock_aws
from pydantic import BaseModel

from shop_kernel.events import EventBridgePublisher, PublishFailed, make_event


class ThingHappened(BaseModel):
    thing_id: str


def _event(i=1):
    return make_event(
        "shop.test",
        "ThingHappened",
        ThingHappened(thing_id=f"t{i}"),
        version="1.0",
        occurred_at="2026-11-23T10:00:00.000Z",
        event_id=f"evt-{i}",
        correlation_id="c1",
    )


def test_envelope_has_metadata_and_data():
    detail = _event().detail()
    assert detail == {
        "metadata": {
            "version": "1.0",
            "eventId": "evt-1",
            "occurredAt": "2026-11-23T10:00:00.000Z",
            "correlationId": "c1",
        },
        "data": {"thing_id": "t1"},
    }


@mock_aws
def test_publisher_delivers_envelopes_through_a_rule():
    # GIVEN a bus with a rule to a queue
    events = boto3.client("events", region_name="eu-west-1")
    sqs = boto3.client("sqs", region_name="eu-west-1")
    events.create_event_bus(Name="shop-test")
    queue_url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="r", EventBusName="shop-test", EventPattern=json.dumps({"source": ["shop.test"]}))
    events.put_targets(Rule="r", EventBusName="shop-test", Targets=[{"Id": "q", "Arn": arn}])
    # WHEN 12 events are published (more than one PutEvents batch)
    EventBridgePublisher(events, "shop-test").publish([_event(i) for i in range(12)])
    # THEN all 12 arrive in the envelope
    received = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        received += [json.loads(m["Body"]) for m in batch]
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    assert len(received) == 12
    assert {r["detail"]["metadata"]["eventId"] for r in received} == {f"evt-{i}" for i in range(12)}
    assert received[0]["detail-type"] == "ThingHappened"


def test_publisher_reports_rejected_entries():
    class RejectingClient:
        def put_events(self, Entries):  # noqa: N803 - boto3 signature
            return {
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "InternalFailure"}] + [{}] * (len(Entries) - 1),
            }

    with pytest.raises(PublishFailed) as err:
        EventBridgePublisher(RejectingClient(), "bus").publish([_event(1), _event(2)])
    assert [e.metadata.event_id for e in err.value.failed] == ["evt-1"]
