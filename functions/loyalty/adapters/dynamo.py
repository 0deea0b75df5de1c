"""The loyalty store on DynamoDB (layout: ``loyalty.adapters.records``).

Every ledger write is one ``TransactWriteItems``: per entry its guard (new) and the entry, the summary
(balances moved by exactly the entries' deltas, conditioned on the version planned from and, for a plan
taking points, on the balance), the order's facts (conditioned on their version), notices (new).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.adapters.records import (
    CAMPAIGN_PREFIX,
    CONFIG_PK,
    DUE_PK,
    ENTRY_PREFIX,
    PAGE_UPPER,
    PENDING_ADJUSTMENTS,
    RULES_SK,
    SUMMARY_SK,
    adjustment_key,
    append_entries,
    balance_update,
    campaign_key,
    entry_from_item,
    member_from_item,
    member_pk,
    notice_item,
    order_key,
    sku_key,
    summary_key,
    summary_sets,
)
from loyalty.domain.adjustments import Adjustment
from loyalty.domain.errors import InsufficientPoints
from loyalty.domain.ledger import Entry
from loyalty.domain.member import MemberState
from loyalty.domain.orders import OrderFacts
from loyalty.domain.plans import Plan
from loyalty.domain.ports import AlreadyWritten, SummaryChanged
from loyalty.domain.rules import DEFAULT_RULES, Campaign, LoyaltyRules
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import batch_get_keys, deserialize, put_each_if, query_all, serialize
from shop_kernel.errors import PreconditionFailed
from shop_kernel.transact import Reason


class DynamoLoyaltyStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    # --- configuration -----------------------------------------------------------------------

    def configuration(self) -> tuple[LoyaltyRules, int, list[Campaign]]:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": CONFIG_PK}},
        )
        rules, version, campaigns = DEFAULT_RULES, 0, []
        for raw in items:
            data = deserialize(raw)
            if data["sk"] == RULES_SK:
                rules, version = LoyaltyRules.model_validate(data["doc"]), data["version"]
            elif data["sk"].startswith(CAMPAIGN_PREFIX):
                campaigns.append(Campaign.model_validate(data["doc"]))
        return rules, version, sorted(campaigns, key=lambda c: c.starts_at)

    def put_rules(self, rules: LoyaltyRules, expected: int | None) -> int:
        """Replaces the rule set; ``expected`` its current version (None: only if none is stored)."""
        new = (expected or 0) + 1
        item = serialize(
            {
                "pk": CONFIG_PK,
                "sk": RULES_SK,
                "type": "rules",
                "version": new,
                "doc": rules.model_dump(mode="json"),
            }
        )
        condition = "attribute_not_exists(pk)" if expected is None else "version = :v"
        values = {} if expected is None else {":v": {"N": str(expected)}}
        self._put(item, condition, values)
        return new

    def put_campaign(self, campaign: Campaign, expected: int | None) -> int:
        current = self._client.get_item(
            TableName=self._table, Key=campaign_key(campaign.id), ConsistentRead=True
        )
        version = int(current["Item"]["version"]["N"]) if "Item" in current else None
        if version != expected:
            raise PreconditionFailed("the campaign changed since you read it (or exists: send If-Match)")
        item = serialize(
            {
                **{k: v["S"] for k, v in campaign_key(campaign.id).items()},
                "type": "campaign",
                "version": (version or 0) + 1,
                "doc": campaign.model_dump(mode="json"),
            }
        )
        condition = "attribute_not_exists(pk)" if version is None else "version = :v"
        self._put(item, condition, {} if version is None else {":v": {"N": str(version)}})
        return (version or 0) + 1

    def campaign(self, campaign_id: str) -> tuple[Campaign, int] | None:
        item = self._client.get_item(
            TableName=self._table, Key=campaign_key(campaign_id), ConsistentRead=True
        )
        if "Item" not in item:
            return None
        data = deserialize(item["Item"])
        return Campaign.model_validate(data["doc"]), data["version"]

    def delete_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign removed (None: there was none)."""
        answer = self._client.delete_item(
            TableName=self._table, Key=campaign_key(campaign_id), ReturnValues="ALL_OLD"
        )
        old = answer.get("Attributes")
        return Campaign.model_validate(deserialize(old)["doc"]) if old else None

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise PreconditionFailed("it changed since you read it; read it again") from exc
            raise

    # --- members and orders ------------------------------------------------------------------

    def member(self, member_id: str) -> MemberState:
        item = self._client.get_item(TableName=self._table, Key=summary_key(member_id), ConsistentRead=True)
        return member_from_item(member_id, item.get("Item"))

    def member_page(
        self, member_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[MemberState | None, list[Entry], dict[str, Any] | None]:
        """One Query: the summary (first page only) and up to ``limit`` entries, newest first."""
        answer = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": member_pk(member_id)},
                ":low": {"S": ENTRY_PREFIX},
                ":high": {"S": PAGE_UPPER},
            },
            ScanIndexForward=False,
            Limit=limit + (0 if start else 1),
            **({"ExclusiveStartKey": start} if start else {}),
        )
        items = answer.get("Items", [])
        summary = None
        if not start:
            head = items[0] if items and items[0]["sk"]["S"] == SUMMARY_SK else None
            summary = member_from_item(member_id, head)
            items = items[1:] if head else items
        return summary, [entry_from_item(i) for i in items], answer.get("LastEvaluatedKey")

    def order(self, order_id: str) -> OrderFacts | None:
        item = self._client.get_item(TableName=self._table, Key=order_key(order_id), ConsistentRead=True)
        return _facts(item.get("Item"))

    def member_and_order(self, member_id: str, order_id: str) -> tuple[MemberState, OrderFacts | None]:
        answer = self._client.batch_get_item(
            RequestItems={
                self._table: {"Keys": [summary_key(member_id), order_key(order_id)], "ConsistentRead": True}
            }
        )
        # Two small keys: DynamoDB leaves none unprocessed short of throttling, which the client retries.
        items = answer.get("Responses", {}).get(self._table, [])
        summary = next((i for i in items if i["sk"]["S"] == SUMMARY_SK), None)
        facts = next((i for i in items if i["sk"]["S"] == "FACTS"), None)
        if answer.get("UnprocessedKeys"):
            return self.member(member_id), self.order(order_id)
        return member_from_item(member_id, summary), _facts(facts)

    def record_order(self, facts: OrderFacts) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_facts_item(facts.model_copy(update={"version": 1})),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- the catalog's SKU facts ------------------------------------------------------------

    def project_product(
        self,
        version: int,
        skus: Sequence[str],
        category: str | None,
        brand: str | None,
        gift_certificates: frozenset[str] = frozenset(),
    ) -> int:
        """Each SKU's category and brand, and whether it sells a gift certificate, unless a later version
        of its product was projected already."""
        puts = [
            {
                "TableName": self._table,
                "Item": serialize(
                    {
                        **{k: v["S"] for k, v in sku_key(sku).items()},
                        "type": "sku",
                        "category": category,
                        "brand": brand,
                        "product_version": version,
                        "gift_certificate": True if sku in gift_certificates else None,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR product_version < :v",
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
            for sku in dict.fromkeys(skus)
        ]
        # Together, each on its own condition: one transaction per product, not a request per SKU.
        return sum(put_each_if(self._client, puts))

    def sku_facts(self, skus: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(category, brand) of the SKUs the catalog told us about, in one BatchGetItem per 100."""
        found = batch_get_keys(self._client, [(self._table, sku_key(sku)) for sku in skus])
        facts = {}
        for raw in found.get(self._table, []):
            data = deserialize(raw)
            facts[data["pk"].removeprefix("SKU#")] = (data.get("category"), data.get("brand"))
        return facts

    def sku_facts_and_gift_certificates(
        self, skus: Sequence[str]
    ) -> tuple[dict[str, tuple[str | None, str | None]], set[str]]:
        """``sku_facts``, and which of ``skus`` sell gift certificates, in the same read."""
        found = batch_get_keys(self._client, [(self._table, sku_key(sku)) for sku in dict.fromkeys(skus)])
        facts: dict[str, tuple[str | None, str | None]] = {}
        gift: set[str] = set()
        for data in map(deserialize, found.get(self._table, [])):
            sku = data["pk"].removeprefix("SKU#")
            facts[sku] = (data.get("category"), data.get("brand"))
            if data.get("gift_certificate"):
                gift.add(sku)
        return facts, gift

    # --- the ledger write ----------------------------------------------------------------------

    def commit(self, plan: Plan, adjustment: Adjustment | None = None) -> None:
        items: list[dict[str, Any]] = []
        guards: list[int] = []
        for entry in plan.entries:
            guards.append(len(items))
            items.extend(append_entries(self._table, entry))
        for notice in plan.notices:
            guards.append(len(items))
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": notice_item(notice),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        sets, removes = summary_sets(plan.after)
        summary_at = len(items)
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
        if plan.facts is not None:
            items.append(_facts_put(self._table, plan.facts, plan.facts_version or 0))
        decided_at = None
        if adjustment is not None:
            decided_at = len(items)
            items.append(_adjustment_decided(self._table, adjustment))
        self._send(items, guards, summary_at, plan, decided_at)

    def _send(
        self,
        items: list[dict[str, Any]],
        guards: list[int],
        summary_at: int,
        plan: Plan,
        decided_at: int | None,
    ) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons", [])]
            if any(reasons[i].condition_failed for i in guards if i < len(reasons)):
                raise AlreadyWritten() from exc
            if decided_at is not None and decided_at < len(reasons) and reasons[decided_at].condition_failed:
                raise PreconditionFailed("the adjustment was decided by someone else meanwhile") from exc
            summary = reasons[summary_at] if summary_at < len(reasons) else Reason()
            if summary.condition_failed and summary.item and plan.takes_points:
                old = member_from_item(plan.before.member_id, summary.item)
                if old.version == plan.before.version:
                    raise InsufficientPoints(f"{old.available} points available") from exc
            raise SummaryChanged() from exc

    # --- the scheduled job and adjustments ------------------------------------------------------

    def due_members(self, now: datetime, limit: int) -> Sequence[str]:
        answer = self._client.query(
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :due AND gsi1sk <= :now",
            ExpressionAttributeValues={":due": {"S": DUE_PK}, ":now": {"S": isoformat(now) + "#~"}},
            Limit=limit,
        )
        return [i["gsi1sk"]["S"].split("#", 1)[1] for i in answer.get("Items", [])]

    def add_adjustment(self, adjustment: Adjustment) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=_adjustment_item(adjustment),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def adjustment(self, adjustment_id: str) -> Adjustment | None:
        item = self._client.get_item(
            TableName=self._table, Key=adjustment_key(adjustment_id), ConsistentRead=True
        )
        return Adjustment.model_validate(deserialize(item["Item"])["doc"]) if "Item" in item else None

    def pending_adjustments(self, limit: int) -> list[Adjustment]:
        answer = self._client.query(
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": PENDING_ADJUSTMENTS}},
            Limit=limit,
        )
        return [Adjustment.model_validate(deserialize(i)["doc"]) for i in answer.get("Items", [])]

    def reject_adjustment(self, adjustment: Adjustment) -> None:
        try:
            self._client.transact_write_items(TransactItems=[_adjustment_decided(self._table, adjustment)])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise PreconditionFailed("the adjustment was decided meanwhile") from exc
            raise


def _facts(item: dict[str, Any] | None) -> OrderFacts | None:
    if not item:
        return None
    data = deserialize(item)
    return OrderFacts.model_validate({**data["doc"], "version": data["version"]})


def _facts_item(facts: OrderFacts) -> dict[str, Any]:
    key = order_key(facts.order_id)
    return serialize(
        {
            "pk": key["pk"]["S"],
            "sk": key["sk"]["S"],
            "type": "order",
            "version": facts.version,
            "doc": facts.model_dump(mode="json", exclude={"version"}),
        }
    )


def _facts_put(table: str, facts: OrderFacts, expected: int) -> dict[str, Any]:
    item = _facts_item(facts.model_copy(update={"version": expected + 1}))
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(expected)}},
        }
    }


def _adjustment_item(adjustment: Adjustment) -> dict[str, Any]:
    key = adjustment_key(adjustment.id)
    pending = adjustment.status == "pending"
    return serialize(
        {
            "pk": key["pk"]["S"],
            "sk": key["sk"]["S"],
            "type": "adjustment",
            "status": adjustment.status,
            "doc": adjustment.model_dump(mode="json"),
            "gsi1pk": PENDING_ADJUSTMENTS if pending else None,
            "gsi1sk": f"{isoformat(adjustment.requested_at)}#{adjustment.id}" if pending else None,
        }
    )


def _adjustment_decided(table: str, adjustment: Adjustment) -> dict[str, Any]:
    """The decided adjustment replaces the pending one, only while it is pending (decided once)."""
    return {
        "Put": {
            "TableName": table,
            "Item": _adjustment_item(adjustment),
            "ConditionExpression": "#s = :pending",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":pending": {"S": "pending"}},
        }
    }
