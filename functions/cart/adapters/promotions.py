"""The promotions table: promotions, promo codes with their usage counts, gift certificates.

============================  =====================  =========================================
pk                            sk                     what
============================  =====================  =========================================
PROMOTION                     <promotion id>         a promotion (``doc``: ``pricing.domain.Promotion``)
CODE#<CODE>                   CODE                   a promo code (``doc``) and ``uses`` so far
CODE#<CODE>                   USE#<customer key>     one customer's ``uses`` of the code
GIFT#<CODE>                   GIFT                   a gift certificate: ``balance`` (minor units),
                                                     ``currency``, ``expires_at`` (ISO, optional)
============================  =====================  =========================================

Reads (the cart previews, it never writes here): automatic promotions are one Query of ``PROMOTION``
kept for a minute per process; a code is one GetItem, its usage one BatchGetItem (the code's and the
customer's counts); a certificate one GetItem. Checkout commits redemptions in its order transaction:
``uses = uses + 1`` conditioned on ``uses < :limit`` for the code and the customer, and the certificate
``balance = balance - :amount`` conditioned on ``balance = :expected`` (``pricing.domain.Redemptions``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from pricing.domain import CodeUsage, GiftCertificate, PromoCode, Promotion
from shop_kernel.dynamo import deserialize
from shop_kernel.money import Money

PROMOTIONS_PK = "PROMOTION"
AUTOMATIC_TTL_S = 60.0
_PROMOTION = TypeAdapter(Promotion)


def code_key(code: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CODE#{code}"}, "sk": {"S": "CODE"}}


def use_key(code: str, customer_key: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CODE#{code}"}, "sk": {"S": f"USE#{customer_key}"}}


def gift_key(code: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"GIFT#{code}"}, "sk": {"S": "GIFT"}}


def promotion_key(promotion_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": PROMOTIONS_PK}, "sk": {"S": promotion_id}}


class DynamoPromotions:
    """``PromotionStore``, ``CodeRedemptions`` and ``GiftCertificates`` on the promotions table."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table
        self._automatic: tuple[float, list[Promotion]] | None = None
        self._by_id: dict[str, Promotion | None] = {}

    def _all(self) -> list[Promotion]:
        cached = self._automatic
        if cached is not None and time.monotonic() - cached[0] < AUTOMATIC_TTL_S:
            return cached[1]
        promotions: list[Promotion] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PROMOTIONS_PK}},
        }
        while True:
            page = self._client.query(**kwargs)
            promotions += [_PROMOTION.validate_json(deserialize(i)["doc"]) for i in page.get("Items", [])]
            if not page.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        self._automatic = (time.monotonic(), promotions)
        self._by_id = {p.id: p for p in promotions}
        return promotions

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return [p for p in self._all() if p.automatic]

    def promotion(self, promotion_id: str) -> Promotion | None:
        self._all()
        return self._by_id.get(promotion_id)

    def find_code(self, code: str) -> PromoCode | None:
        item = self._client.get_item(TableName=self.table, Key=code_key(code)).get("Item")
        return PromoCode.model_validate_json(deserialize(item)["doc"]) if item else None

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        keys = [code_key(code)] + ([use_key(code, customer_key)] if customer_key else [])
        response = self._client.batch_get_item(
            RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}}
        )
        total = by_customer = 0
        for raw in response.get("Responses", {}).get(self.table, []):
            item = deserialize(raw)
            if item["sk"] == "CODE":
                total = int(item.get("uses", 0))
            else:
                by_customer = int(item.get("uses", 0))
        return CodeUsage(total=total, by_customer=by_customer)

    def find(self, code: str) -> GiftCertificate | None:
        item = self._client.get_item(TableName=self.table, Key=gift_key(code), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        plain = deserialize(item)
        return GiftCertificate(
            code=code,
            balance=Money.of(int(plain["balance"]), plain["currency"]),
            expires_at=datetime.fromisoformat(plain["expires_at"]) if plain.get("expires_at") else None,
        )
