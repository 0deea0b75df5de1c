"""The guest points claim on DynamoDB: one transaction over the guest's and the customer's ledgers.

Items (beside ``loyalty.adapters.records``):

=============================  ==========================  ==================================================
item                            pk / sk                     access pattern
=============================  ==========================  ==================================================
claim marker                    CLAIM#<guest key> / CLAIM   one claim per guest key, ever (``member_id``,
                                                            ``claimed_at``); GetItem
claim guard                     MEMBER#<id> / I#claim#<k>   the claim on each ledger (as every entry's guard);
                                                            the customer's lists what they claimed (erasure)
=============================  ==========================  ==================================================

The claim is the marker (new), on each side the guard (new) and the entry, and each summary's update
conditioned on the version planned from (the guest's also on its points still covering what leaves).
Nothing here holds an e-mail: the guest key is an HMAC of it under a secret this table never sees.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from loyalty.adapters.records import append_entries, balance_update, member_pk, summary_sets
from loyalty.domain.errors import AlreadyClaimed
from loyalty.domain.plans import Plan
from loyalty.domain.ports import SummaryChanged
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import query_all
from shop_kernel.transact import Reason

CLAIM_GUARD_PREFIX = "I#claim#"


def marker_key(guest_key: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CLAIM#{guest_key}"}, "sk": {"S": "CLAIM"}}


class DynamoClaimStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def _side(self, plan: Plan) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for entry in plan.entries:
            items.extend(append_entries(self._table, entry))
        sets, removes = summary_sets(plan.after)
        items.append(
            balance_update(
                self._table,
                plan.after.member_id,
                plan.deltas,
                sets=sets,
                removes=removes,
                expected_version=plan.before.version,
                covers=plan.takes_points,
            )
        )
        return items

    def commit_claim(self, guest_key: str, guest: Plan, member: Plan) -> None:
        """Raises ``AlreadyClaimed`` (the marker or a guard exists) or ``SummaryChanged``."""
        at = isoformat(member.entries[0].recorded_at)
        marker = {
            **marker_key(guest_key),
            "type": {"S": "claim"},
            "member_id": {"S": member.after.member_id},
            "claimed_at": {"S": at},
        }
        guest_items, member_items = self._side(guest), self._side(member)
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marker,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *guest_items,
            *member_items,
        ]
        # The two summaries' places: a version that moved is a replan; any other failed condition
        # (the marker, a guard) is a claim made already.
        summaries = {len(guest_items), len(items) - 1}
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons", [])]
            failed = [i for i, r in enumerate(reasons) if r.condition_failed]
            if any(i not in summaries for i in failed):
                raise AlreadyClaimed(
                    "the points of guest orders with this e-mail were claimed already"
                ) from exc
            raise SummaryChanged() from exc

    def forget_claims(self, member_id: str) -> int:
        """An erased customer: the markers tying their id to a guest key go (the ledgers, financial
        records, stay). Answers how many were removed."""
        guards = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
            ExpressionAttributeValues={
                ":pk": {"S": member_pk(member_id)},
                ":claim": {"S": CLAIM_GUARD_PREFIX},
            },
        )
        for guard in guards:
            key = guard["sk"]["S"].removeprefix(CLAIM_GUARD_PREFIX)
            self._client.delete_item(TableName=self._table, Key=marker_key(key))
        return len(guards)
