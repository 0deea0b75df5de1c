"""The cart's read side of the promotions table (layout: ``pricing.domain.records``).

Reads (the cart previews, it never writes here): automatic promotions are one Query of ``PROMOTION``
kept for a minute per process; a code is one GetItem, its usage one BatchGetItem (the code's and the
customer's counts); a certificate one GetItem. Checkout commits redemptions in its order transaction
(``pricing.domain.records.code_redemption_items`` / ``gift_debit_items``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pricing.domain import CodeUsage, GiftCertificate, PromoCode, Promotion
from pricing.domain.records import (
    PROMOTIONS_PK,
    code_key,
    gift_certificate_from_item,
    gift_key,
    promo_code_from_item,
    promotion_from_item,
    usage_from_items,
    use_key,
)
from shop_kernel.dynamo import query_all

AUTOMATIC_TTL_S = 60.0


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
        items = query_all(
            self._client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": PROMOTIONS_PK}},
        )
        promotions = [promotion_from_item(i) for i in items]
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
        return promo_code_from_item(item) if item else None

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        keys = [code_key(code)] + ([use_key(code, customer_key)] if customer_key else [])
        response = self._client.batch_get_item(
            RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}}
        )
        return usage_from_items(response.get("Responses", {}).get(self.table, []), code, customer_key)

    def find(self, code: str) -> GiftCertificate | None:
        item = self._client.get_item(TableName=self.table, Key=gift_key(code), ConsistentRead=True).get(
            "Item"
        )
        return gift_certificate_from_item(code, item) if item else None
