"""The cart's read side of gift certificates, through ``loyalty.contract`` (loyalty owns them).

A certificate entered on a cart is one consistent GetItem on the loyalty table by its code; the cart
previews what it would pay and never writes there (checkout debits it in its order transaction with
``loyalty.contract.debit_certificate``). A voided certificate reads as none.
"""

from __future__ import annotations

from typing import Any

from loyalty import contract as loyalty_contract

from pricing.domain import GiftCertificate


def as_tender(found: loyalty_contract.CertificateBalance | None) -> GiftCertificate | None:
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
        item = self._client.get_item(
            TableName=self.table, Key=loyalty_contract.certificate_key(code), ConsistentRead=True
        ).get("Item")
        return as_tender(loyalty_contract.read_certificate(code, item))
