"""What pricing publishes for a context that reads promotions and codes, or redeems codes in its own
transaction (the cart reads; checkout reads and writes). Gift certificates are loyalty's
(``loyalty.contract``): pricing only prices them as a tender.

Reads, in the caller's own calls: every promotion is in one versioned item (``promotions_config_key``,
``read_promotions``); a code and its usage by ``code_key``, ``usage_keys`` and ``read_code``,
``read_usage`` (``Prefetched`` answers the pricing ports over items already read). Writes, as parts of
the caller's transaction, whose cancellation reasons become pricing's domain errors (naming the cart's
field, ``cart.promo_codes``):

* ``redeem_code``: one more use of the code (and by the customer) while under its limits, else the 409
  ``code_no_longer_available``;
* ``restore_code``: what a cancelled order redeemed, given back exactly once (the caller conditions the
  cancellation on its order's version); ``LedgerMismatch`` when the ledger does not show it.
* ``issue_personal_code``: a new single-use code for one customer (loyalty's automatic coupons, written
  in loyalty's own transaction with its record of the coupon), else ``CodeTaken`` when the code exists.
  Whether it was used is ``read_usage`` over the item at ``code_key``.

The layout itself is pricing's (``pricing.adapters.records``) and may change behind these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pricing.adapters.records import code_key as _code_key
from pricing.adapters.records import (
    code_redemption_items,
    code_release_items,
    is_promotions_config,
    personal_code_put,
    promo_code_from_item,
    promotions_from_config,
    usage_from_items,
    use_key,
)
from pricing.adapters.records import promotions_config_key as _promotions_config_key
from pricing.domain.codes import CodeTaken, code_no_longer_available
from pricing.domain.models import CodeRedemption, LedgerMismatch
from pricing.domain.ports import CodeUsage
from pricing.domain.promotions import PromoCode, Promotion
from shop_kernel.dynamo import deserialize
from shop_kernel.transact import TransactPart

Key = dict[str, dict[str, str]]
FIELD_PREFIX = "cart"  # the only caller redeems a cart's codes


# --- reads -----------------------------------------------------------------------------------------


def promotions_config_key() -> Key:
    return _promotions_config_key()


def read_promotions(items: Iterable[dict[str, Any]]) -> list[Promotion]:
    """Every promotion, from the config item among ``items`` (none when it was never written)."""
    return promotions_from_config(next((i for i in items if is_promotions_config(i)), None))


def code_key(code: str) -> Key:
    return _code_key(code)


def usage_keys(code: str, customer_key: str | None) -> list[Key]:
    """The code's count, and the customer's when per-customer uses are tracked (read consistently)."""
    return [_code_key(code), *([use_key(code, customer_key)] if customer_key else [])]


def read_code(item: dict[str, Any]) -> PromoCode:
    return promo_code_from_item(item)


def read_usage(items: Iterable[dict[str, Any]], code: str, customer_key: str | None) -> CodeUsage:
    return usage_from_items(items, code, customer_key)


class Prefetched:
    """``PromotionStore`` + ``CodeRedemptions`` over items read in one batch (the config item, and the
    ``usage_keys`` of the codes in question)."""

    def __init__(self, items: Sequence[dict[str, Any]]) -> None:
        self._promotions = {p.id: p for p in read_promotions(items)}
        self._items = list(items)
        self._plain = [deserialize({"pk": i["pk"], "sk": i["sk"]}) for i in self._items]

    def _item(self, key: Key) -> dict[str, Any] | None:
        wanted = deserialize(key)
        return next((i for i, k in zip(self._items, self._plain, strict=True) if k == wanted), None)

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return [p for p in self._promotions.values() if p.automatic]

    def promotion(self, promotion_id: str) -> Promotion | None:
        return self._promotions.get(promotion_id)

    def find_code(self, code: str) -> PromoCode | None:
        item = self._item(_code_key(code))
        return read_code(item) if item else None

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        return read_usage(self._items, code, customer_key)


# --- writes, as parts of the caller's transaction --------------------------------------------------


def redeem_code(table: str, redemption: CodeRedemption) -> TransactPart:
    entries = code_redemption_items(table, redemption)
    return TransactPart(tuple(entries), lambda _: code_no_longer_available(redemption, prefix=FIELD_PREFIX))


def restore_code(table: str, redemption: CodeRedemption) -> TransactPart:
    entries = code_release_items(table, redemption)
    return TransactPart(tuple(entries), lambda _: LedgerMismatch(redemption.code))


def issue_personal_code(table: str, code: PromoCode, at: str) -> TransactPart:
    """``code`` for its owner alone, usable once (the caller draws the code; a collision is ``CodeTaken``)."""
    if code.owner is None or code.usage_limit != 1 or code.per_customer_limit != 1:
        raise ValueError("a personal code has an owner and is usable once")
    entry = personal_code_put(table, code, at)
    return TransactPart((entry,), lambda _: CodeTaken(code.code))


__all__ = [
    "CodeTaken",
    "LedgerMismatch",
    "Prefetched",
    "code_key",
    "issue_personal_code",
    "promotions_config_key",
    "read_code",
    "read_promotions",
    "read_usage",
    "redeem_code",
    "restore_code",
    "usage_keys",
]
