"""The grants guard: a function's botocore calls are checked against what its spec grants.

Clients are stubbed with botocore's Stubber, so these tests need no moto. The Stubber checks a call's
operation before the guard runs (a client's own hooks run first), so refused calls get a stubbed answer
too: it stays unused when the guard refuses.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from infra.local.grants import Grants, UngrantedAccess, install
from infra.resources import FunctionSpec, QueueTrigger, function

STAGE = "test"
SPEC = FunctionSpec(
    name="orders-worker",
    context="checkout",
    handler="checkout.handlers.stream.handler",
    description="A function for these tests",
    tables_rw=("orders",),
    tables_ro=("catalog",),
    secrets=("stripe-api-key",),
    publishes_events=True,
    starts_workflows=("order-fulfilment",),
    queue=QueueTrigger(queue="search-events"),
)


@pytest.fixture(scope="module")
def loader() -> Any:
    """One model loader for the module's sessions: each session would otherwise parse the models again."""
    return botocore.session.get_session().get_component("data_loader")


@pytest.fixture
def session(loader: Any) -> Any:
    session = botocore.session.get_session()
    session.register_component("data_loader", loader)
    session.set_credentials("testing", "testing")
    return session


def stubbed(session: Any, service: str) -> tuple[Any, Stubber]:
    client = session.create_client(service, region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}}


def test_granted_reads_and_writes_pass_and_reads_of_a_read_only_table_pass(session: Any) -> None:
    # GIVEN the guard of a function with orders read-write and catalog read-only
    guard = install(session, Grants.of(SPEC, STAGE))
    dynamodb, stubber = stubbed(session, "dynamodb")
    stubber.add_response("put_item", {})
    stubber.add_response("query", {"Items": []})
    stubber.add_response("get_item", {})
    # WHEN it writes orders, queries the catalog's index and reads a catalog item by its table ARN
    dynamodb.put_item(TableName="shop-test-orders", Item=key("ORDER#1"))
    dynamodb.query(
        TableName="shop-test-catalog",
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "x"}},
    )
    dynamodb.get_item(
        TableName="arn:aws:dynamodb:eu-west-1:123456789012:table/shop-test-catalog", Key=key("PRODUCT#1")
    )
    # THEN every call reached the service and nothing was refused
    stubber.assert_no_pending_responses()
    assert guard.refusals == []


@pytest.mark.parametrize(
    ("operation", "params", "action", "resource"),
    [
        ("get_item", {"TableName": "shop-test-inventory", "Key": key("A")}, "GetItem", "shop-test-inventory"),
        ("put_item", {"TableName": "shop-test-catalog", "Item": key("A")}, "PutItem", "shop-test-catalog"),
        ("scan", {"TableName": "shop-test-orders"}, "Scan", "shop-test-orders"),
        (
            "query",
            {"TableName": "shop-test-orders", "IndexName": "gsi9", "KeyConditionExpression": "a = :a"},
            "Query",
            "shop-test-orders/index/gsi9",
        ),
        (
            "batch_get_item",
            {
                "RequestItems": {
                    "shop-test-orders": {"Keys": [key("A")]},
                    "shop-test-carts": {"Keys": [key("B")]},
                }
            },
            "BatchGetItem",
            "shop-test-carts",
        ),
        (
            "batch_write_item",
            {"RequestItems": {"shop-test-catalog": [{"DeleteRequest": {"Key": key("A")}}]}},
            "BatchWriteItem",
            "shop-test-catalog",
        ),
    ],
)
def test_a_table_or_index_the_spec_does_not_grant_is_refused_naming_function_action_and_table(
    session: Any, operation: str, params: dict[str, Any], action: str, resource: str
) -> None:
    # GIVEN the guard of a function with orders read-write and catalog read-only
    guard = install(session, Grants.of(SPEC, STAGE))
    dynamodb, stubber = stubbed(session, "dynamodb")
    stubber.add_client_error(operation)
    # WHEN it calls DynamoDB outside its grants
    with pytest.raises(UngrantedAccess) as refused:
        getattr(dynamodb, operation)(**params)
    # THEN the call is refused as IAM would refuse it, naming the function, the action and the resource
    error = refused.value
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert (error.function, error.action, error.resource) == ("orders-worker", f"dynamodb:{action}", resource)
    assert "orders-worker" in str(error)
    assert resource in str(error)
    assert guard.refusals == [error]


def test_every_item_of_a_transaction_is_checked_with_its_own_action(session: Any) -> None:
    # GIVEN a transaction whose ConditionCheck reads the catalog (granted) and whose last item writes
    # the inventory table (not granted), after two granted items
    install(session, Grants.of(SPEC, STAGE))
    dynamodb, stubber = stubbed(session, "dynamodb")
    granted = [
        {"Put": {"TableName": "shop-test-orders", "Item": key("ORDER#1")}},
        {"ConditionCheck": {"TableName": "shop-test-catalog", "Key": key("P"), "ConditionExpression": "x"}},
    ]
    for _ in range(3):
        stubber.add_response("transact_write_items", {})
    dynamodb.transact_write_items(TransactItems=granted)
    # WHEN the transaction also updates stock in the inventory table, or writes the read-only catalog
    stock = {
        "Update": {"TableName": "shop-test-inventory", "Key": key("S"), "UpdateExpression": "SET a = :a"}
    }
    catalog_write = {"Delete": {"TableName": "shop-test-catalog", "Key": key("P")}}
    with pytest.raises(UngrantedAccess) as stock_refused:
        dynamodb.transact_write_items(TransactItems=[*granted, stock])
    with pytest.raises(UngrantedAccess) as catalog_refused:
        dynamodb.transact_write_items(TransactItems=[*granted, catalog_write])
    # THEN each other is refused on its ungranted item
    assert (stock_refused.value.action, stock_refused.value.resource) == (
        "dynamodb:UpdateItem",
        "shop-test-inventory",
    )
    assert (catalog_refused.value.action, catalog_refused.value.resource) == (
        "dynamodb:DeleteItem",
        "shop-test-catalog",
    )


def test_bus_workflow_secret_and_queue_are_granted_only_as_the_spec_says(session: Any) -> None:
    # GIVEN the guard of a function that publishes events, starts order-fulfilment, reads the Stripe
    # key and consumes the search-events queue
    install(session, Grants.of(SPEC, STAGE))
    events, events_stub = stubbed(session, "events")
    states, states_stub = stubbed(session, "stepfunctions")
    secrets, secrets_stub = stubbed(session, "secretsmanager")
    sqs, sqs_stub = stubbed(session, "sqs")
    events_stub.add_response("put_events", {"Entries": [{}], "FailedEntryCount": 0})
    states_stub.add_response("start_execution", {"executionArn": "arn:x", "startDate": "2026-01-01"})
    secrets_stub.add_response("get_secret_value", {"SecretString": "sk"})
    sqs_stub.add_response("delete_message", {})
    own_machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:shop-test-order-fulfilment"
    own_secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-test-stripe-api-key-AbC123"
    queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-test-"
    # WHEN it uses what it is granted
    events.put_events(
        Entries=[{"EventBusName": "shop-test", "Source": "s", "DetailType": "d", "Detail": "{}"}]
    )
    states.start_execution(stateMachineArn=own_machine)
    secrets.get_secret_value(SecretId=own_secret)
    sqs.delete_message(QueueUrl=queue_url + "search-events", ReceiptHandle="r")
    # THEN those calls pass, and everything beside them is refused
    for stub in (events_stub, states_stub, secrets_stub, sqs_stub):
        stub.assert_no_pending_responses()
    other_bus = [{"EventBusName": "shop-other", "Source": "s", "DetailType": "d", "Detail": "{}"}]
    refused = [
        ("events:PutEvents shop-other", "events", "put_events", {"Entries": other_bus}),
        (
            "states:StartExecution shop-test-return-processing",
            "stepfunctions",
            "start_execution",
            {"stateMachineArn": own_machine.replace("order-fulfilment", "return-processing")},
        ),
        ("states:StopExecution *", "stepfunctions", "stop_execution", {"executionArn": "arn:x"}),
        (
            "secretsmanager:GetSecretValue shop-test-cursor-signing-key",
            "secretsmanager",
            "get_secret_value",
            {"SecretId": "shop-test-cursor-signing-key"},
        ),
        (
            "sqs:SendMessage shop-test-search-events",
            "sqs",
            "send_message",
            {"QueueUrl": queue_url + "search-events", "MessageBody": "{}"},
        ),
    ]
    for expected, service, operation, params in refused:
        client, stub = stubbed(session, service)
        stub.add_client_error(operation)
        with pytest.raises(UngrantedAccess) as error:
            getattr(client, operation)(**params)
        assert f"{error.value.action} {error.value.resource}" == expected


def test_a_function_that_publishes_nothing_may_not_put_events_and_other_services_are_refused(
    session: Any,
) -> None:
    # GIVEN the guard of the inventory sweeper (the inventory table only, no bus)
    install(session, Grants.of(function("inventory-sweeper"), STAGE))
    events, events_stub = stubbed(session, "events")
    s3, s3_stub = stubbed(session, "s3")
    events_stub.add_client_error("put_events")
    s3_stub.add_client_error("list_buckets")
    # WHEN it publishes on the stage's bus or lists buckets
    # THEN both are refused
    with pytest.raises(
        UngrantedAccess, match="inventory-sweeper is not granted events:PutEvents on shop-test"
    ):
        events.put_events(
            Entries=[{"EventBusName": "shop-test", "Source": "s", "DetailType": "d", "Detail": "{}"}]
        )
    with pytest.raises(UngrantedAccess, match="s3:ListBuckets"):
        s3.list_buckets()


def test_a_scheduled_audit_may_scan_its_audit_tables_and_nothing_else() -> None:
    # GIVEN the inventory reconciler, whose spec lets it scan the inventory table (audit_scans)
    grants = Grants.of(function("inventory-reconciler"), STAGE)
    # WHEN it scans its table, and when it scans another
    # THEN the first is granted, as ServiceFunction grants it, and the other is not
    assert grants.permits("dynamodb:Scan", "shop-test-inventory")
    assert not grants.permits("dynamodb:Scan", "shop-test-orders")
    assert not Grants.of(function("inventory-api"), STAGE).permits("dynamodb:Scan", "shop-test-inventory")


def test_bucket_objects_are_read_and_written_only_by_functions_that_declare_the_bucket(session: Any) -> None:
    # GIVEN the guard of carrier-tasks (shipping-labels read/write) and of carrier-webhooks (no bucket)
    tasks = Grants.of(function("carrier-tasks"), STAGE)
    webhooks = Grants.of(function("carrier-webhooks"), STAGE)
    install(session, tasks)
    s3, s3_stub = stubbed(session, "s3")
    s3_stub.add_response(
        "put_object", {}, {"Bucket": "shop-test-shipping-labels", "Key": "labels/a.pdf", "Body": b"%PDF"}
    )
    s3_stub.add_response("head_object", {}, {"Bucket": "shop-test-shipping-labels", "Key": "labels/a.pdf"})
    s3_stub.add_client_error("delete_object")
    # WHEN carrier-tasks writes a label and reads its head (a read: s3:GetObject) THEN both pass
    s3.put_object(Bucket="shop-test-shipping-labels", Key="labels/a.pdf", Body=b"%PDF")
    s3.head_object(Bucket="shop-test-shipping-labels", Key="labels/a.pdf")
    # WHEN it deletes one THEN it is refused
    with pytest.raises(UngrantedAccess, match="s3:DeleteObject on shop-test-shipping-labels"):
        s3.delete_object(Bucket="shop-test-shipping-labels", Key="labels/a.pdf")
    # AND another bucket, or the webhook function, is refused
    assert not tasks.permits("s3:PutObject", "shop-test-other")
    assert not webhooks.permits("s3:GetObject", "shop-test-shipping-labels")
