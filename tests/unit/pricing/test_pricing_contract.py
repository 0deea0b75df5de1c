"""``pricing.contract``: code uses and certificate debits another context writes in its transaction, and
what a refusal of them means: the shopper's 409 on the cart's field, or a ledger that does not match."""

from __future__ import annotations

import pytest

from pricing import contract
from pricing.domain import CodeRedemption, GiftCertificateRedemption, LedgerMismatch
from shop_kernel.errors import Conflict
from shop_kernel.money import Money
from shop_kernel.transact import Reason, refusal

FAILED = "ConditionalCheckFailed"
CODE = CodeRedemption(
    code="FIVE", promotion_id="five", customer_key="email:a@example.com", usage_limit=10, per_customer_limit=1
)
GIFT = GiftCertificateRedemption(
    code="GC-1", amount=Money.of(500, "EUR"), expected_balance=Money.of(500, "EUR")
)


def _fields(error: Exception) -> list[tuple[str, str]]:
    assert isinstance(error, Conflict)
    return [(e.field, e.code) for e in error.errors]


@pytest.mark.parametrize("refused", [0, 1], ids=["code-count", "customer-count"])
def test_a_code_used_up_meanwhile_is_a_409_on_the_carts_codes(refused: int) -> None:
    # GIVEN a use counted on the code (while it is not disabled) and on the customer, under their limits
    part = contract.redeem_code("promotions", CODE)
    conditions = [e["Update"]["ConditionExpression"] for e in part.entries]
    assert conditions == [
        "attribute_exists(pk) AND attribute_not_exists(disabled_at) AND (attribute_not_exists(uses) OR uses < :limit)",
        "(attribute_not_exists(uses) OR uses < :limit)",
    ]
    # WHEN either count's condition fails
    reasons = [Reason(FAILED) if i == refused else Reason() for i in range(2)]
    # THEN the shopper gets the 409 on the cart's codes
    assert _fields(refusal([part], reasons)) == [("cart.promo_codes", "exhausted")]


def test_a_certificate_spent_meanwhile_is_a_409_on_the_carts_certificates() -> None:
    # GIVEN the debit of the balance priced, and its record by order
    part = contract.debit_certificate("promotions", GIFT, "ord_1", "2026-03-16T09:00:00.000Z")
    debit, record = part.entries
    assert debit["Update"]["ConditionExpression"] == "balance = :expected AND currency = :currency"
    assert record["Put"]["Item"]["order_id"] == {"S": "ord_1"}
    # WHEN the balance changed
    # THEN the 409 on the cart's certificates
    error = refusal([part], [Reason(FAILED), Reason()])
    assert _fields(error) == [("cart.gift_certificates", "balance_changed")]


def test_a_give_back_the_ledger_does_not_show_is_a_ledger_mismatch() -> None:
    # GIVEN the give-backs of a code use and of a certificate debit
    code = contract.restore_code("promotions", CODE)
    gift = contract.restore_certificate(
        "promotions", "GC-1", Money.of(500, "EUR"), "ord_1", "2026-03-16T10:00:00.000Z"
    )
    # WHEN the certificate's debit record was restored already
    reasons = [Reason(), Reason(), Reason(), Reason(FAILED)]
    error = refusal([code, gift], reasons)
    # THEN pricing names the certificate whose ledger does not match
    assert isinstance(error, LedgerMismatch)
    assert error.code == "GC-1"
