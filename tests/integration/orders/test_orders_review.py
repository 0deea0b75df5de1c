"""orders-api's review decision driven as its function with real-shaped API Gateway events on moto: accepted
while screening's hold waits, recorded on the timeline (who, why), announced as ``OrderReviewDecided`` to the
queue the rule gives fulfilment; refused with a 409 problem once the order is not waiting; each answer the one
the served OpenAPI document gives the route."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conformance import answers_for, served_document
from tests.integration.orders.conftest import (
    AGENT,
    ORDER_ID,
    customer_order,
    orders_event,
    place,
    placed,
    requested,
    sqs_batch,
)
from tests.support import reply_from

PATH = f"/admin/orders/{ORDER_ID}/review"


def _api(functions: Any, event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    answer = functions.invoke("orders-api", event, context)
    documented = answers_for("orders", lambda: served_document("orders.handlers.api", "/orders/openapi.json"))
    documented.check(event["httpMethod"], event["path"], reply_from(answer))
    return answer["statusCode"], json.loads(answer["body"])


def _decide(
    functions: Any, context: Any, decision: str, note: str = "called the buyer", groups: str = "agents"
):  # type: ignore[no-untyped-def]
    event = orders_event("POST", PATH, {"decision": decision, "note": note}, sub=AGENT, groups=groups)
    return _api(functions, event, context)


def _to_fulfilment(stack: SimpleNamespace) -> list[dict[str, Any]]:
    """What the order-cancellations-to-fulfilment rule put on fulfilment's queue (read and deleted)."""
    import boto3

    from infra.resources import physical_name
    from tests.conftest import REGION

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", "fulfilment-cancellations"))["QueueUrl"]
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _project(functions: Any, context: Any, *events: dict[str, Any]) -> None:
    assert functions.invoke("orders-events", sqs_batch(list(events)), context) == {"batchItemFailures": []}


def test_an_agent_rejects_a_held_order_the_timeline_names_them_and_fulfilment_is_told_once(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a paid order screening held for review
    place(orders_stack, customer_order(review_required=True))
    _project(functions, lambda_context, placed())
    # WHEN an agent rejects it, twice (a retried request)
    status, decided = _decide(functions, lambda_context, "reject", "the card was reported stolen")
    again_status, again = _decide(functions, lambda_context, "reject", "retry")
    # THEN both are accepted with the same decision; the other decision is a 409 problem
    assert (status, again_status) == (202, 202)
    assert again == decided
    assert decided["decision"] == "reject"
    refused, problem = _decide(functions, lambda_context, "approve")
    assert refused == 409
    assert problem["code"] == "already_decided"
    # AND the timeline shows one decision: the agent, the decision, the note
    _, body = _api(
        functions,
        orders_event("GET", f"/admin/orders/{ORDER_ID}", sub=AGENT, groups="agents"),
        lambda_context,
    )
    (entry,) = [e for e in body["timeline"] if e["what"] == "OrderReviewDecided"]
    assert entry["actor"] == {"kind": "agent", "id": AGENT}
    assert (entry["decision"], entry["reason"]) == ("reject", "the card was reported stolen")
    # AND fulfilment's queue got OrderReviewDecided, ids only, with the same id each time
    sent = _to_fulfilment(orders_stack)
    assert [m["detail-type"] for m in sent] == ["OrderReviewDecided", "OrderReviewDecided"]
    assert {m["detail"]["metadata"]["eventId"] for m in sent} == {decided["decision_id"]}
    assert sent[0]["detail"]["data"] == {
        "order_id": ORDER_ID,
        "decision": "reject",
        "agent_id": AGENT,
        "note": "the card was reported stolen",
        "decided_at": decided["decided_at"],
    }


@pytest.mark.parametrize(
    ("order", "news", "code"),
    [
        (customer_order(), [placed()], "not_held"),
        (customer_order(review_required=True), [placed(), requested()], "not_held"),
    ],
    ids=["never held", "approved and sent to pick already"],
)
def test_a_decision_on_an_order_not_waiting_is_a_409_and_tells_fulfilment_nothing(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any, order: Any, news: list[Any], code: str
) -> None:
    # GIVEN an order that is not waiting for a review
    place(orders_stack, order)
    _project(functions, lambda_context, *news)
    # WHEN an agent approves it
    status, problem = _decide(functions, lambda_context, "approve")
    # THEN a 409 problem saying why, nothing on the timeline, nothing sent
    assert status == 409
    assert problem["code"] == code
    assert _to_fulfilment(orders_stack) == []


def test_a_customer_cannot_decide_and_a_decision_needs_a_note(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a held order
    place(orders_stack, customer_order(review_required=True))
    # WHEN a customer's token decides, and an agent sends no note / THEN 403, then 422 naming the note
    forbidden, _ = _decide(functions, lambda_context, "approve", groups="customers")
    invalid, problem = _api(
        functions,
        orders_event("POST", PATH, {"decision": "approve"}, sub=AGENT, groups="agents"),
        lambda_context,
    )
    assert forbidden == 403
    assert invalid == 422
    assert [e["field"] for e in problem["errors"]] == ["body.note"]
    assert _to_fulfilment(orders_stack) == []


def test_only_agents_decide_ops_are_refused_before_the_body_is_read(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a held order, waiting for a review
    place(orders_stack, customer_order(review_required=True))
    _project(functions, lambda_context, placed())
    # WHEN ops decide it, with a good body and with a body the route would refuse
    refused, problem = _decide(functions, lambda_context, "reject", groups="ops")
    unread, unread_problem = _api(
        functions, orders_event("POST", PATH, {"decision": "maybe"}, sub=AGENT, groups="ops"), lambda_context
    )
    # THEN both are 403 problems (documented: _api checks the answer against the served document), the
    # second saying nothing of the body, and nothing reaches the timeline or fulfilment
    assert (refused, unread) == (403, 403)
    assert problem["status"] == 403
    assert "errors" not in unread_problem
    assert _to_fulfilment(orders_stack) == []
    _, body = _api(
        functions, orders_event("GET", f"/admin/orders/{ORDER_ID}", sub=AGENT, groups="ops"), lambda_context
    )
    assert [e for e in body["timeline"] if e["what"] == "OrderReviewDecided"] == []
    # AND a staff member in both groups (API Gateway flattens the claim's list into one string) decides it
    status, decided = _decide(functions, lambda_context, "approve", groups="[agents ops]")
    assert status == 202
    assert decided["decision"] == "approve"
    assert [m["detail-type"] for m in _to_fulfilment(orders_stack)] == ["OrderReviewDecided"]
