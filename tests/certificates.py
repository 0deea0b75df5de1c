"""Gift certificates as loyalty stores them, for tests that need some in the loyalty table (seeded with
loyalty's own layout, never by hand) and read them back by code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from loyalty.adapters.certificate_records import certificate_item, certificate_key
from loyalty.domain.certificates import Origin, new_certificate

from shop_kernel.dynamo import deserialize
from shop_kernel.money import Money

ISSUED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def gift_item(code: str, amount: int, currency: str, expires_at: datetime | None = None) -> dict[str, Any]:
    """The item of certificate ``code`` worth ``amount`` (minor units), nothing spent yet."""
    issued = new_certificate(
        code, Money.of(amount, currency), Origin.ISSUED, ISSUED_AT, expires_at=expires_at, issued_by="tests"
    )
    return certificate_item(code, issued)


def put_certificate(dynamodb: Any, table: str, code: str, amount: int, currency: str) -> None:
    dynamodb.put_item(TableName=table, Item=gift_item(code, amount, currency))


def certificate_pk(code: str) -> str:
    return certificate_key(code)["pk"]["S"]


def stored(dynamodb: Any, table: str, code: str, sk: str = "CERT") -> dict[str, Any] | None:
    """The certificate's item (``sk="CERT"``) or one of its debits (``sk="TXN#<order id>"``), plain."""
    key = {"pk": {"S": certificate_pk(code)}, "sk": {"S": sk}}
    found = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)
    return deserialize(found["Item"]) if "Item" in found else None
