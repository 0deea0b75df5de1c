"""Ledgers written before entries had a kind: checkout's spend was stored with reason `spend` and its
give-back `restore`. loyalty-api reads them in today's words (reason `order` or `cancellation`, kind
`spend`) without a migration, and its answers stay what the OpenAPI document says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from loyalty import contract
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.service import LoyaltyService

from shop_kernel.clock import SystemClock
from tests.conformance import answers_for, served_document
from tests.integration.loyalty.conftest import MEMBER, loyalty_event
from tests.support import reply_from


def _as_written_before_kinds(stack: SimpleNamespace, part: contract.TransactPart, old_reason: str) -> None:
    """Commit ``part``, then give its ledger entry the shape entries had before kinds existed."""
    stack.dynamodb.transact_write_items(TransactItems=list(part.entries))
    entry = next(
        e["Put"]["Item"] for e in part.entries if "Put" in e and e["Put"]["Item"]["type"]["S"] == "entry"
    )
    stack.dynamodb.update_item(
        TableName=stack.table,
        Key={"pk": entry["pk"], "sk": entry["sk"]},
        UpdateExpression="SET #r = :old REMOVE #k",
        ExpressionAttributeNames={"#r": "reason", "#k": "kind"},
        ExpressionAttributeValues={":old": {"S": old_reason}},
    )


def test_a_ledger_with_old_spend_and_restore_entries_reads_in_the_issues_words(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a member given 5,000 points, then a spend of 300 for an order and its give-back, both stored
    # the old way (reasons `spend` and `restore`, no kind)
    store = DynamoLoyaltyStore(loyalty_stack.dynamodb, loyalty_stack.table)
    LoyaltyService(store, SystemClock()).adjust(MEMBER, 5_000, "welcome gift", "agent-1")
    spent_at = datetime.now(UTC) + timedelta(minutes=1)
    restored_at = spent_at + timedelta(minutes=1)
    spend = contract.debit_points(loyalty_stack.table, MEMBER, 300, "ord_old", spent_at)
    _as_written_before_kinds(loyalty_stack, spend, "spend")
    restore = contract.restore_points(loyalty_stack.table, MEMBER, 300, "ord_old", restored_at)
    _as_written_before_kinds(loyalty_stack, restore, "restore")
    # WHEN the member reads their loyalty account
    event = loyalty_event("GET", "/me/loyalty")
    answer = functions.invoke("loyalty-api", event, lambda_context)
    documented = answers_for(
        "loyalty", lambda: served_document("loyalty.handlers.api", "/loyalty/openapi.json")
    )
    documented.check("GET", "/me/loyalty", reply_from(answer))
    # THEN the two entries read as reason order / cancellation on the spend side, naming the order
    assert answer["statusCode"] == 200, answer["body"]
    view = json.loads(answer["body"])
    assert view["available"] == 5_000
    newest = [(e["reason"], e["kind"], e["points"], e["order_id"]) for e in view["ledger"]["items"][:3]]
    assert newest == [
        ("cancellation", "spend", 300, "ord_old"),
        ("order", "spend", -300, "ord_old"),
        ("adjustment", "earn", 5_000, None),
    ]
