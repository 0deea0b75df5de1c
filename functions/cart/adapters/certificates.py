"""The cart's read side of gift certificates, through ``loyalty.contract`` (loyalty owns them).

A certificate entered on a cart is one consistent GetItem on the loyalty table by its code; the cart
previews what it would pay and never writes there (checkout debits it in its order transaction with
``loyalty.contract.debit_certificate``). A voided certificate reads as none. Loyalty's contract is imported
when a cart first looks a certificate up, not when the function starts: it brings loyalty's points models
(about 20 modules), which a cart without a certificate never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pricing.domain import GiftCertificate

if TYPE_CHECKING:
    from loyalty.domain.certificates import CertificateBalance


def as_tender(found: CertificateBalance | None) -> GiftCertificate | None:
    """Loyalty's view of a certificate as pricing's port sees it (a balance and an expiry)."""
    if found is None:
        return None
    return GiftCertificate(code=found.code, balance=found.balance, expires_at=found.expires_at)


class DynamoGiftCertificates:
    """Pricing's ``GiftCertificates`` port on loyalty's table."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def find(self, code: str) -> GiftCertificate | None:
        from loyalty import contract as loyalty_contract

        item = self._client.get_item(
            TableName=self.table, Key=loyalty_contract.certificate_key(code), ConsistentRead=True
        ).get("Item")
        return as_tender(loyalty_contract.read_certificate(code, item))
