"""The cart's read side of the promotions table, through ``pricing.contract``.

Reads (the cart previews, it never writes here): every promotion comes from the versioned
``CONFIG#promotions`` item, read in the ``BatchGetItem`` that reads the cart's SKU facts
(``DynamoCartStore.pricing_reads``) and handed to ``DynamoPromotions.reading``, so a new promotion
applies on the next request and nothing is kept between requests; a code is one GetItem, its usage one
BatchGetItem (the code's and the customer's counts). Checkout commits redemptions in its order
transaction (``pricing.contract.redeem_code``). Gift certificates are loyalty's (``cart.adapters.certificates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pricing import contract as pricing_contract
from pricing.domain import CodeUsage, PromoCode, Promotion
from shop_kernel.dynamo import batch_get_keys


class DynamoPromotions:
    """``PromotionStore`` and ``CodeRedemptions`` on the promotions table, over
    the promotions read with the request (none until ``reading`` is given them)."""

    def __init__(self, client: Any, table: str, promotions: Sequence[Promotion] = ()) -> None:
        self._client = client
        self.table = table
        self._by_id = {p.id: p for p in promotions}

    def reading(self, promotions: Sequence[Promotion]) -> DynamoPromotions:
        """This store for one request, over the promotions that request read."""
        return DynamoPromotions(self._client, self.table, promotions)

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return [p for p in self._by_id.values() if p.automatic]

    def promotion(self, promotion_id: str) -> Promotion | None:
        return self._by_id.get(promotion_id)

    def find_code(self, code: str) -> PromoCode | None:
        item = self._client.get_item(TableName=self.table, Key=pricing_contract.code_key(code)).get("Item")
        return pricing_contract.read_code(item) if item else None

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        keys = pricing_contract.usage_keys(code, customer_key)
        found = batch_get_keys(self._client, [(self.table, k) for k in keys], consistent={self.table})
        return pricing_contract.read_usage(found.get(self.table, []), code, customer_key)
