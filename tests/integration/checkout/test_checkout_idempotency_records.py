"""The checkout's idempotency records stay readable across the change to model-based idempotency.

The route used to hand Powertools a dict request and store ``{"status": 201, "body": answer}``; it now
hands it the ``CheckoutAttempt`` model and stores the ``CheckoutPlaced`` answer. A retry within the
records' 24 hours must find the record the earlier code wrote (same key and payload hashes) and answer
from it, whichever shape it holds: otherwise a retry straddling a deploy would check out again."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from types import SimpleNamespace

from cart.domain.tokens import token_hash
from tests.integration.checkout.conftest import ADDRESS, count_items, guest_cart, new_key
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
# The Lambda function's name (Powertools' "test-func" outside Lambda), then the idempotent function's module
# and qualified name: the prefix of every record's key.
FUNCTION = "checkout.handlers.routes.checkout._idempotent_place.<locals>.place_checkout"


def _md5(data: object) -> str:
    """Powertools' hash of a JMESPath selection (md5 of its sorted JSON)."""
    return hashlib.md5(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_a_retry_answers_from_a_record_the_dict_based_route_wrote(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a placed checkout, whose record has the key and payload hashes of the dict request
    # [owner, key] / [body without absent fields, if_match], rewritten to the shape that code stored
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    key = new_key()
    first = checkout("POST", "/checkout", BODY, token=token, key=key)
    assert first.status == 201, first.body
    lambda_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test-func")
    record_id = f"{lambda_name}.{FUNCTION}#{_md5([f'guest:{token_hash(token)}', key])}"
    record = shop.dynamodb.get_item(TableName=shop.idempotency, Key={"id": {"S": record_id}})["Item"]
    assert record["status"]["S"] == "COMPLETED"
    assert record["validation"]["S"] == _md5([BODY, None])
    legacy = json.dumps({"status": 201, "body": json.loads(record["data"]["S"])})
    shop.dynamodb.update_item(
        TableName=shop.idempotency,
        Key={"id": {"S": record_id}},
        UpdateExpression="SET #data = :legacy",
        ExpressionAttributeNames={"#data": "data"},
        ExpressionAttributeValues={":legacy": {"S": legacy}},
    )
    # WHEN the client retries with the same key and body
    again = checkout("POST", "/checkout", BODY, token=token, key=key)
    # THEN it gets the first answer from that record, and there is still one order
    assert again.status == 201
    assert again.body == first.body
    assert again.headers["Location"] == first.headers["Location"]
    assert count_items(shop, shop.orders, "ORDER#") == 1
