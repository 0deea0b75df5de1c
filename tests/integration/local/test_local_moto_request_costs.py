"""The moto patches that cut per-request costs (item size check, random ids, DeleteMessage) answer as moto."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType

from infra.local import moto_patches

REGION = "eu-west-1"
TABLE = "shop-local-sizes"


def _table_keyed_by_pk() -> Any:
    """A DynamoDB client of the mock, and ``TABLE`` created in it with a string hash key ``pk``."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return dynamodb


def _both(scenario: Callable[[], Any]) -> tuple[Any, Any]:
    """``scenario``'s result on moto as it is, then with the patches installed (each in a fresh mock)."""
    with mock_aws():
        theirs = scenario()
    with mock_aws(), moto_patches.installed():
        ours = scenario()
    return theirs, ours


def _outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as exc:
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    except ValueError as exc:  # moto's parser raises some refusals through the mock as they are
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def _items_near_the_size_limit() -> dict[str, Any]:
    dynamodb = _table_keyed_by_pk()
    every_type = {
        "s": {"S": "text ✓"},
        "n": {"N": "12.5"},
        "b": {"B": b"\x00\x01"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bool": {"BOOL": True},
        "null": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"M": {"k": {"N": "1"}}}]},
        "m": {"M": {"nested": {"L": [{"BOOL": False}]}}},
    }
    outcomes = {}
    # Four string parts carry the bulk, so the limit is crossed part-way through the item, as moto checks it;
    # their lengths make the whole item (names included) exactly 405,000 bytes by moto's measure, or one more.
    for name, total in (("under", 404_000), ("at the limit", 405_000), ("one byte over", 405_001)):
        item = {"pk": {"S": name}, **every_type, **{f"part{n}": {"S": ""} for n in range(4)}}
        base = sum(len(key.encode()) + DynamoType(value).size() for key, value in item.items())
        part, extra = divmod(total - base, 4)
        for n in range(4):
            item[f"part{n}"] = {"S": "x" * (part + (extra if n == 3 else 0))}
        outcomes[name] = _outcome(lambda item=item: dynamodb.put_item(TableName=TABLE, Item=item))
    stored = dynamodb.scan(TableName=TABLE)["Items"]
    return {"outcomes": outcomes, "stored": sorted(stored, key=lambda item: item["pk"]["S"])}


def test_a_new_item_is_refused_over_the_size_limit_exactly_as_moto_refuses_it() -> None:
    # GIVEN items of every attribute type under, at and one byte over moto's limit (405,000 bytes)
    # WHEN each is put on moto as it is and with the item size measured once
    theirs, ours = _both(_items_near_the_size_limit)
    # THEN the same are refused with the same error, and the same are stored attribute for attribute
    assert ours == theirs
    assert ours["outcomes"]["at the limit"] == "ok"
    assert ours["outcomes"]["one byte over"].startswith("ValidationException")


def _deletes_by_receipt_handle() -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="shop-local-deletes", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    for n in range(5):
        sqs.send_message(QueueUrl=queue, MessageBody=f"m{n}")
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)[
        "Messages"
    ]  # new handles, same messages
    by_body = {m["Body"]: m["ReceiptHandle"] for m in first}
    newer = {m["Body"]: m["ReceiptHandle"] for m in again}

    def delete(handle: str) -> str:
        return _outcome(lambda: sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle))

    outcomes = [
        delete(newer["m0"]),  # the current handle
        delete(by_body["m1"]),  # an older handle of a message received since
        delete(by_body["m1"]),  # the same again: already deleted
        delete(newer["m1"]),  # the other handle of a deleted message
        delete("not-a-handle"),
    ]
    batch = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "a", "ReceiptHandle": newer["m2"]}, {"Id": "b", "ReceiptHandle": "nope"}],
    )
    outcomes += [f"batch ok {[e['Id'] for e in batch.get('Successful', [])]}"]
    outcomes += [f"batch failed {[e['Code'] for e in batch.get('Failed', [])]}"]
    left = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    return [*outcomes, f"left {sorted(m['Body'] for m in left)}"]


def test_deleting_by_receipt_handle_answers_as_moto_in_one_walk_of_the_queue() -> None:
    # GIVEN five messages, each received twice (two receipt handles each)
    # WHEN messages are deleted by current, older, repeated, sibling and unknown handles, one by one and in a batch
    theirs, ours = _both(_deletes_by_receipt_handle)
    # THEN every answer and what is left in the queue are moto's
    assert ours == theirs
    assert ours[-1] == "left ['m3', 'm4']"
    assert ours[4].startswith("ReceiptHandleIsInvalid")


def test_request_ids_and_receipt_handles_keep_moto_alphabet_and_length() -> None:
    with mock_aws():
        moto_patches.install()
        try:
            # GIVEN the patched moto
            sqs = boto3.client("sqs", region_name=REGION)
            queue = sqs.create_queue(QueueName="shop-local-ids")["QueueUrl"]
            # WHEN it answers requests and hands out receipt handles
            request_ids = {
                sqs.send_message(QueueUrl=queue, MessageBody=str(n))["ResponseMetadata"]["RequestId"]
                for n in range(20)
            }
            handles = {
                m["ReceiptHandle"]
                for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
            }
        finally:
            moto_patches.uninstall()
    # THEN each is new, with moto's length and alphabet (52 letters or digits; 185 lower-case letters)
    assert len(request_ids) == 20
    assert len(handles) == 10
    assert all(len(i) == 52 and set(i) <= set(string.ascii_letters + string.digits) for i in request_ids)
    assert all(len(h) == 185 and set(h) <= set(string.ascii_lowercase) for h in handles)


CONDITIONS = [
    "attribute_not_exists(pk) OR #s < :s",
    "attribute_exists(pk) AND (#s <= :s OR size(#n) > :len)",
    "NOT contains(#n, :s) AND #s BETWEEN :two AND :s",
    "#s IN (:two, :s) OR begins_with(#n, :two)",
    "#s <> :s",
    "attribute_exists(pk) AND",  # refused: incomplete
    "#s < :s ; DROP",  # refused: a character the lexer does not know
]


def _conditional_writes() -> list[str]:
    dynamodb = _table_keyed_by_pk()
    outcomes = []
    for sequence in ("2", "1", "3", "3"):  # each condition twice per text: the second parse reuses tokens
        for condition in CONDITIONS:
            item = {"pk": {"S": "level"}, "s": {"S": sequence}, "n": {"S": f"name {sequence}"}}
            values = {":s": item["s"], ":two": {"S": "2"}, ":len": {"N": "3"}}
            request = {
                "TableName": TABLE,
                "Item": item,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {
                    k: v for k, v in {"#s": "s", "#n": "n"}.items() if k in condition
                },
            }
            if used := {k: v for k, v in values.items() if k in condition}:
                request["ExpressionAttributeValues"] = used
            outcomes.append(_outcome(lambda request=request: dynamodb.put_item(**request)))
    outcomes.append(str(dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "level"}})["Item"]))
    return outcomes


def test_conditional_writes_succeed_and_fail_as_moto_with_each_text_tokenised_once() -> None:
    # GIVEN conditions with comparisons, functions, BETWEEN, IN, NOT, parentheses, and two moto refuses
    # WHEN each is used for puts in and out of order, on moto as it is and with the tokens kept per text
    theirs, ours = _both(_conditional_writes)
    # THEN every write is accepted, refused or rejected as moto does it, and the item ends the same
    assert ours == theirs
    assert ours[0] == "ok"
    assert ours[7].startswith("ConditionalCheckFailedException")  # an older sequence after a newer one
    assert ours[5].startswith("ValueError")


def _conditional_transactions() -> list[str]:
    dynamodb = _table_keyed_by_pk()
    condition = "attribute_not_exists(pk) OR #s < :s"

    def put(pk: str, sequence: int, names: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": TABLE,
                "Item": {"pk": {"S": pk}, "s": {"N": str(sequence)}},
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names or {"#s": "s"},
                "ExpressionAttributeValues": {":s": {"N": str(sequence)}},
            }
        }

    outcomes = []
    for batch in (
        [put(f"level-{n}", 2) for n in range(30)],  # every level new
        [put(f"level-{n}", 2) for n in range(30)],  # the same again: each condition fails on the stored 2
        [put(f"level-{n}", 3 if n % 2 else 1) for n in range(30)],  # half newer: cancelled as a whole
        [put(f"level-{n}", 3) for n in range(30)],  # all newer
        [put("level-0", 4, {"#s": "s", "#unused": "x"})],  # a name the condition does not use: refused
        [put("level-0", 4, {"#s": "s", "#unused": "x"})],  # the same text, names and values again
    ):
        outcomes.append(_outcome(lambda batch=batch: dynamodb.transact_write_items(TransactItems=batch)))
        outcomes.append(
            _outcome(
                lambda batch=batch: dynamodb.put_item(**{**batch[0]["Put"], "Item": batch[0]["Put"]["Item"]})
            )
        )
    items = dynamodb.scan(TableName=TABLE)["Items"]
    outcomes.append(str(sorted((i["pk"]["S"], i["s"]["N"]) for i in items)))
    return outcomes


def test_conditional_transactions_succeed_and_fail_as_moto_with_each_condition_parsed_once() -> None:
    # GIVEN transactions of conditional puts, repeated with the same texts, names and values, and a refusal
    # WHEN they run on moto as it is and with parsed conditions kept
    theirs, ours = _both(_conditional_transactions)
    # THEN every transaction and put is accepted, cancelled or refused as moto does, and the items end the same
    assert ours == theirs
    assert ours[0] == "ok"
    assert ours[2].startswith("TransactionCanceledException")
    assert ours[8].startswith("ValidationException")
    assert ours[10] == ours[8]
    assert "('level-1', '3')" in ours[-1]


def _parameters(handler_class: Any, target: str, body: str) -> Any:
    """What moto's handler of ``target`` reads from ``body`` (its ``params``), as the server would set it up."""
    from moto.moto_server.werkzeug_app import BackendRequest
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path="/",
        method="POST",
        base_url="http://127.0.0.1:5000",
        data=body,
        headers={
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20261204/{REGION}/x/aws4_request, Signature=x",
        },
    ).get_environ()
    request = BackendRequest(environ)
    handler = handler_class()
    handler.setup_class(request, request.url, request.headers)
    return handler.params


_ITEM = {
    "pk": {"S": "SKU#LAP-0001"},
    "n": {"N": "12.5"},
    "ss": {"SS": ["a", "b"]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "l": {"L": [{"S": "x"}, {"M": {"k": {"N": "1"}}}]},
}
_BODIES: list[tuple[str, dict[str, Any], bool]] = [
    # (target, body, read by json.loads)
    (
        "DynamoDB_20120810.TransactWriteItems",
        {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": _ITEM,
                        "ConditionExpression": "attribute_not_exists(pk) OR #v < :v",
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": {":v": {"N": "3"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "b"}}}},
            ],
            "ClientRequestToken": "token",
        },
        True,
    ),
    ("DynamoDB_20120810.Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p", "Limit": 7}, True),
    ("DynamoDB_20120810.Query", {"TableName": TABLE, "Limit": "7"}, True),  # moto's parser makes it an int
    ("DynamoDB_20120810.Scan", {"TableName": TABLE, "Segment": 1, "TotalSegments": 4}, True),
    (
        "DynamoDB_20120810.GetItem",
        {"TableName": TABLE, "Key": {"pk": {"S": "a"}}, "ConsistentRead": True},
        True,
    ),
    (
        "DynamoDB_20120810.PutItem",
        {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "b": {"B": "AAE="}}},
        False,
    ),
    (
        "DynamoDB_20120810.PutItem",
        {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "bs": {"BS": ["AAE="]}}},
        False,
    ),
    (
        "DynamoDB_20120810.GetItem",
        {"TableName": TABLE, "Key": {"pk": {"S": "a"}}, "ProjectionExpression": None},
        False,
    ),
    ("DynamoDB_20120810.DescribeTable", {"TableName": TABLE}, False),  # not a data-plane call
    (
        "AmazonSQS.ReceiveMessage",
        {"QueueUrl": "http://q", "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1},
        True,
    ),
    (
        "AmazonSQS.DeleteMessageBatch",
        {"QueueUrl": "http://q", "Entries": [{"Id": "0", "ReceiptHandle": "r"}]},
        True,
    ),
    ("AmazonSQS.SendMessage", {"QueueUrl": "http://q", "MessageBody": "{}"}, False),
]


def test_data_plane_parameters_are_read_as_json_exactly_as_moto_reads_them() -> None:
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    # GIVEN the stack's data-plane bodies, and bodies moto's parser reads differently (blobs, nulls) or that
    # are not the data plane
    handlers = {"DynamoDB_20120810": DynamoHandler, "AmazonSQS": SQSResponse}
    original = moto_patches._original_parse_parameters
    parsed_by_moto: list[str] = []

    def counting(self: Any, request: Any) -> None:
        parsed_by_moto.append(self._get_action())
        original(self, request)

    for target, body, by_json in _BODIES:
        handler = handlers[target.partition(".")[0]]
        # WHEN moto as it is and the patched moto read each
        theirs = _parameters(handler, target, json.dumps(body))
        parsed_by_moto.clear()
        with moto_patches.installed():
            moto_patches._original_parse_parameters = counting
            try:
                ours = _parameters(handler, target, json.dumps(body))
            finally:
                moto_patches._original_parse_parameters = original
            assert BaseResponse.parse_parameters is moto_patches._parse_parameters
        # THEN the parameters are the same, and only what json.loads reads alike skipped moto's parser
        assert ours == theirs, target
        assert (not parsed_by_moto) is by_json, target
