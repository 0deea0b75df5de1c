"""Scheduled functions run locally on a timer, with the event EventBridge sends in the cloud."""

from __future__ import annotations

import time
from typing import Any

from infra.local.pollers import ScheduleTimer, scheduled_event

RULE = "arn:aws:events:eu-west-1:123456789012:rule/shop-local-inventory-sweeper-schedule"


def test_scheduled_event_has_the_cloud_shape():
    event = scheduled_event(RULE)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [RULE]
    assert event["account"] == "123456789012"
    assert event["time"].endswith("Z")


def test_timer_invokes_every_period_until_stopped_and_survives_a_failure():
    # GIVEN a function that fails on its first run
    calls: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    timer = ScheduleTimer(invoke, RULE, minutes=0.001)  # 60 ms
    # WHEN it runs for a while and is stopped
    timer.start()
    time.sleep(0.5)
    timer.stop()
    stopped_at = len(calls)
    time.sleep(0.2)
    # THEN it ran several times despite the failure, with scheduled events, and not after stop
    assert stopped_at >= 3
    assert len(calls) == stopped_at
    assert {c["resources"][0] for c in calls} == {RULE}


def test_a_run_that_keeps_failing_is_retried_then_sent_to_the_functions_dlq(
    aws_credentials: None,
) -> None:
    import json

    import boto3
    from moto import mock_aws

    # GIVEN a scheduled function that fails every time, and its DLQ
    calls: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> None:
        calls.append(event)
        raise RuntimeError("the inventory table is not granted")

    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="shop-local-inventory-sweeper-dlq")["QueueUrl"]
        # WHEN one scheduled run happens
        ScheduleTimer(invoke, RULE, minutes=5, dlq_url=url).run_once()
        # THEN it was tried three times (Lambda's two async retries), then the failure record was sent
        assert len(calls) == 3
        (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        record = json.loads(message["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["functionArn"].endswith(":function:shop-local-inventory-sweeper")
        assert record["requestPayload"]["resources"] == [RULE]
        assert record["responsePayload"] == {
            "errorMessage": "the inventory table is not granted",
            "errorType": "RuntimeError",
        }
