"""What pricing publishes for a context that reads promotions, codes and certificates, or redeems them in
its own transaction (the cart reads; checkout reads and writes).

Reads, in the caller's own calls: every promotion is in one versioned item (``promotions_config_key``,
``read_promotions``); a code, its usage and a certificate by ``code_key``, ``usage_keys``, ``gift_key``
and ``read_code``, ``read_usage``, ``read_certificate`` (``Prefetched`` answers the pricing ports over
items already read). Writes, as parts of the caller's transaction, whose cancellation reasons become
pricing's domain errors (naming the cart's fields, ``cart.promo_codes`` / ``cart.gift_certificates``):

* ``redeem_code``: one more use of the code (and by the customer) while under its limits, else the 409
  ``code_no_longer_available``; ``debit_certificate``: the balance debited while it is still the one
  priced, and the debit recorded by order, else the 409 ``balance_changed``;
* ``restore_code``, ``restore_certificate``: what a cancelled order redeemed, given back exactly once
  (the caller conditions the cancellation on its order's version); ``LedgerMismatch`` when the ledger
  does not show it.
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
    gift_certificate_from_item,
    gift_debit_items,
    gift_restore_items,
    is_promotions_config,
    personal_code_put,
    promo_code_from_item,
    promotions_from_config,
    usage_from_items,
    use_key,
)
from pricing.adapters.records import gift_key as _gift_key
from pricing.adapters.records import promotions_config_key as _promotions_config_key
from pricing.domain.codes import CodeTaken, code_no_longer_available
from pricing.domain.gift_certificates import balance_changed
from pricing.domain.models import CodeRedemption, GiftCertificateRedemption, LedgerMismatch
from pricing.domain.ports import CodeUsage, GiftCertificate
from pricing.domain.promotions import PromoCode, Promotion
from shop_kernel.dynamo import deserialize
from shop_kernel.money import Money
from shop_kernel.transact import TransactPart

Key = dict[str, dict[str, str]]
FIELD_PREFIX = "cart"  # the only caller redeems a cart's codes and certificates


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


def gift_key(code: str) -> Key:
    return _gift_key(code)


def read_code(item: dict[str, Any]) -> PromoCode:
    return promo_code_from_item(item)


def read_usage(items: Iterable[dict[str, Any]], code: str, customer_key: str | None) -> CodeUsage:
    return usage_from_items(items, code, customer_key)


def read_certificate(code: str, item: dict[str, Any]) -> GiftCertificate:
    return gift_certificate_from_item(code, item)


class Prefetched:
    """``PromotionStore`` + ``CodeRedemptions`` + ``GiftCertificates`` over items read in one batch (the
    config item, and the ``usage_keys`` and ``gift_key`` of the codes and certificates in question)."""

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

    def find(self, code: str) -> GiftCertificate | None:
        item = self._item(_gift_key(code))
        return read_certificate(code, item) if item else None


# --- writes, as parts of the caller's transaction --------------------------------------------------


def redeem_code(table: str, redemption: CodeRedemption) -> TransactPart:
    entries = code_redemption_items(table, redemption)
    return TransactPart(tuple(entries), lambda _: code_no_longer_available(redemption, prefix=FIELD_PREFIX))


def debit_certificate(
    table: str, redemption: GiftCertificateRedemption, order_id: str, at: str
) -> TransactPart:
    entries = gift_debit_items(table, redemption, order_id, at)
    return TransactPart(tuple(entries), lambda _: balance_changed(redemption, prefix=FIELD_PREFIX))


def restore_code(table: str, redemption: CodeRedemption) -> TransactPart:
    entries = code_release_items(table, redemption)
    return TransactPart(tuple(entries), lambda _: LedgerMismatch(redemption.code))


def restore_certificate(table: str, code: str, amount: Money, order_id: str, at: str) -> TransactPart:
    entries = gift_restore_items(table, code, amount, order_id, at)
    return TransactPart(tuple(entries), lambda _: LedgerMismatch(code))


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
    "debit_certificate",
    "gift_key",
    "issue_personal_code",
    "promotions_config_key",
    "read_certificate",
    "read_code",
    "read_promotions",
    "read_usage",
    "redeem_code",
    "restore_certificate",
    "restore_code",
    "usage_keys",
]
