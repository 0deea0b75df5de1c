"""Automatic coupons on DynamoDB: loyalty's record of each coupon, and the code in pricing's table.

Items in the loyalty table (beside ``loyalty.adapters.records``; all sort below ``L#``, so the member's
ledger page never reads them):

=============================  ==========================  ==================================================
item                            pk / sk                     access pattern
=============================  ==========================  ==================================================
coupon                          MEMBER#<id> / CPN#<at>#<c>  ``GET /me/coupons``: the member's coupons, newest
                                                            first (Query ``begins_with(sk, 'CPN#')``); the
                                                            stream publishes ``CouponIssued``
coupon guard                    MEMBER#<id> / I#coupon#<o>  one coupon per trigger occurrence ``<o>``
order recency                   MEMBER#<id> / H#ORDERS      the member's first order id and last order time;
                                                            gsi1: LAPSE / <last order at>#<id> (the win-back
                                                            job's members, oldest order first; removed once
                                                            the lapse has its coupon, back with a new order)
=============================  ==========================  ==================================================

Issuing is one ``TransactWriteItems``: the guard (new), the coupon (new) and pricing's
``issue_personal_code`` part (the code, new), so a coupon never exists without its code, nor a code
without its coupon. Whether a code was used is read from pricing's table through its contract
(``code_key``, ``read_usage``), in one ``BatchGetItem`` for a page of coupons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.adapters.records import guard_key, member_pk
from loyalty.domain.coupons import Coupon
from loyalty.domain.ports import AlreadyWritten
from pricing import contract as pricing
from pricing.domain.promotions import PromoCode
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import batch_get_keys
from shop_kernel.transact import Reason, TransactPart, refusal

COUPON_PREFIX = "CPN#"
RECENCY_SK = "H#ORDERS"
LAPSE_PK = "LAPSE"


def coupon_item(coupon: Coupon) -> dict[str, Any]:
    return {
        "pk": {"S": member_pk(coupon.member_id)},
        "sk": {"S": f"{COUPON_PREFIX}{isoformat(coupon.issued_at)}#{coupon.coupon_id}"},
        "type": {"S": "coupon"},
        "code": {"S": coupon.code},
        "doc": {"S": coupon.model_dump_json()},
    }


def coupon_from_item(item: dict[str, Any]) -> Coupon:
    """A coupon from its item (or a stream record's new image: the same attribute-value form)."""
    return Coupon.model_validate_json(item["doc"]["S"])


def personal_code(coupon: Coupon) -> PromoCode:
    return PromoCode(
        code=coupon.code,
        promotion_id=coupon.promotion_id,
        usage_limit=1,
        per_customer_limit=1,
        owner=coupon.member_id,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
    )


class DynamoCouponStore:
    def __init__(self, client: Any, table: str, promotions_table: str) -> None:
        self._client = client
        self._table = table
        self._promotions = promotions_table

    # --- issuing -------------------------------------------------------------------------------

    def promotion(self, promotion_id: str) -> tuple[str, dict[str, Any]] | None:
        item = self._client.get_item(TableName=self._promotions, Key=pricing.promotions_config_key()).get(
            "Item"
        )
        found = next(
            (p for p in pricing.read_promotions([item] if item else []) if p.id == promotion_id), None
        )
        if found is None:
            return None
        return found.name, found.benefit.model_dump(mode="json")

    def issue_coupon(self, coupon: Coupon) -> None:
        guard = {
            **guard_key(coupon.member_id, coupon.idempotency_id),
            "type": {"S": "guard"},
            "coupon_id": {"S": coupon.coupon_id},
        }
        mine = TransactPart(
            (
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": guard,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": coupon_item(coupon),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ),
            lambda _: AlreadyWritten(),
        )
        code = pricing.issue_personal_code(
            self._promotions, personal_code(coupon), isoformat(coupon.issued_at)
        )
        parts = (mine, code)
        try:
            self._client.transact_write_items(TransactItems=[e for part in parts for e in part.entries])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons", [])]
            raise refusal(parts, reasons) from exc

    # --- order recency (first order, win-back) -------------------------------------------------

    def note_order(self, member_id: str, order_id: str, placed_at: datetime) -> str:
        key = {"pk": {"S": member_pk(member_id)}, "sk": {"S": RECENCY_SK}}
        at = isoformat(placed_at)
        try:
            # The latest order wins the last order time (and puts the member back on the lapse list).
            answer = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=(
                    "SET #t = :type, first_order_id = if_not_exists(first_order_id, :o), "
                    "last_order_at = :at, gsi1pk = :lapse, gsi1sk = :due"
                ),
                ConditionExpression="attribute_not_exists(last_order_at) OR last_order_at <= :at",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={
                    ":type": {"S": "order_recency"},
                    ":o": {"S": order_id},
                    ":at": {"S": at},
                    ":lapse": {"S": LAPSE_PK},
                    ":due": {"S": f"{at}#{member_id}"},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # An older order arriving late: it moves nothing, and the first order was recorded already.
            answer = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
            return str(answer["Item"]["first_order_id"]["S"])
        return str(answer["Attributes"]["first_order_id"]["S"])

    def lapsed_members(self, before: datetime, limit: int) -> Sequence[tuple[str, datetime]]:
        answer = self._client.query(
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :lapse AND gsi1sk <= :before",
            ExpressionAttributeValues={":lapse": {"S": LAPSE_PK}, ":before": {"S": isoformat(before) + "#~"}},
            Limit=limit,
        )
        found = []
        for item in answer.get("Items", []):
            at, member_id = item["gsi1sk"]["S"].split("#", 1)
            found.append((member_id, datetime.fromisoformat(at.replace("Z", "+00:00"))))
        return found

    def close_lapse(self, member_id: str, last_order_at: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": member_pk(member_id)}, "sk": {"S": RECENCY_SK}},
                UpdateExpression="REMOVE gsi1pk, gsi1sk",
                ConditionExpression="last_order_at = :at",
                ExpressionAttributeValues={":at": {"S": isoformat(last_order_at)}},
            )
        except ClientError as exc:
            # A new order meanwhile: the member is on the list for the next lapse, as they should be.
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # --- the member's coupons ------------------------------------------------------------------

    def coupons_page(
        self, member_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[tuple[Coupon, bool]], dict[str, Any] | None]:
        """A page of the member's coupons, newest first, each with whether its code was used: a Query
        and one BatchGetItem of the codes (pricing's items, through its contract)."""
        answer = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :cpn)",
            ExpressionAttributeValues={":pk": {"S": member_pk(member_id)}, ":cpn": {"S": COUPON_PREFIX}},
            ScanIndexForward=False,
            Limit=limit,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        coupons = [coupon_from_item(i) for i in answer.get("Items", [])]
        codes = batch_get_keys(self._client, [(self._promotions, pricing.code_key(c.code)) for c in coupons])
        items = codes.get(self._promotions, [])
        used = {c.code: pricing.read_usage(items, c.code, None).total > 0 for c in coupons}
        return [(c, used[c.code]) for c in coupons], answer.get("LastEvaluatedKey")
