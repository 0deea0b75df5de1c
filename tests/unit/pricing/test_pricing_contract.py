"""``pricing.contract``: code uses another context writes in its transaction, and what a refusal of them
means: the shopper's 409 on the cart's field, or a ledger that does not match (certificates are loyalty's:
``tests/unit/loyalty/test_certificates.py``)."""

from __future__ import annotations

import pytest

from pricing import contract
from pricing.domain import CodeRedemption, LedgerMismatch
from shop_kernel.errors import Conflict
from shop_kernel.transact import Reason, refusal

FAILED = "ConditionalCheckFailed"
CODE = CodeRedemption(
    code="FIVE", promotion_id="five", customer_key="email:a@example.com", usage_limit=10, per_customer_limit=1
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


def test_a_give_back_the_ledger_does_not_show_is_a_ledger_mismatch() -> None:
    # GIVEN the give-back of a code use (the code's count and the customer's)
    code = contract.restore_code("promotions", CODE)
    # WHEN the customer's count is already at zero
    error = refusal([code], [Reason(), Reason(FAILED)])
    # THEN pricing names the code whose ledger does not match
    assert isinstance(error, LedgerMismatch)
    assert error.code == "FIVE"
