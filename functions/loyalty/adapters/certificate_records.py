"""The gift certificates' item layout in the loyalty table, and the transaction entries that move them.

=============================  ==========================  ==================================================
item                            pk / sk                     access pattern
=============================  ==========================  ==================================================
certificate                     CERT#<digest> / CERT        found by code (cart, checkout, balance check: one
                                                            GetItem); ``balance``/``currency`` are the live
                                                            value, ``doc`` the rest; gsi1: CERTS / <id>
                                                            (staff list, newest first, and read by id)
certificate debit               CERT#<digest> / TXN#<order> one debit by an order (``restored_at`` once given
                                                            back): the certificate's own ledger
certificate batch               GCBATCH#<id> / BATCH        a bulk issue: ``doc``, ``issued``, the secret
                                                            ``seed``; each change streams the next chunk
sold certificates               GCSOLD#<order id> / SOLD    the seed an order's certificates are derived from,
                                                            its certificate ``lines`` (JSON), ``confirmed_at``,
                                                            ``cancelled_at`` and the ``indexes`` issued; an
                                                            order that sold none keeps only its confirmation or
                                                            cancellation, as a marker (TTL expires_at)
balance checks                  ATTEMPTS#gc-balance#<ip>    ``shop_kernel.limits`` counters (TTL expires_at)
=============================  ==========================  ==================================================

``<digest>`` is ``loyalty.domain.certificates.digest(code)``: the table never holds a code in clear. Checkout
puts ``debit_items`` into its order transaction: ``balance = balance - :amount`` only while the balance
is still the one priced and the certificate is not voided, with the debit's record (new). A cancellation
puts ``restore_items``: the amount back, and the record marked restored once. Pure data in the
attribute-value form botocore sends; no SDK, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loyalty.domain.certificates import (
    CertificateBalance,
    CertificateBatch,
    GiftCertificate,
    SoldLine,
    SoldOrder,
    digest,
    masked,
    normalise,
)
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize, serialize
from shop_kernel.money import Money

Key = dict[str, dict[str, str]]
CERT_SK = "CERT"
LIST_PK = "CERTS"
GSI = "gsi1"
BATCH_SK = "BATCH"
CERTIFICATE_TYPE = "gift_certificate"
BATCH_TYPE = "gift_certificate_batch"


def certificate_key(code: str) -> Key:
    return {"pk": {"S": f"CERT#{digest(code)}"}, "sk": {"S": CERT_SK}}


def _debit_key(code: str, order_id: str) -> Key:
    return {"pk": {"S": f"CERT#{digest(code)}"}, "sk": {"S": f"TXN#{order_id}"}}


def batch_key(batch_id: str) -> Key:
    return {"pk": {"S": f"GCBATCH#{batch_id}"}, "sk": {"S": BATCH_SK}}


def sold_key(order_id: str) -> Key:
    return {"pk": {"S": f"GCSOLD#{order_id}"}, "sk": {"S": "SOLD"}}


SOLD_TYPE = "gift_sold"
MARKER_TTL_S = 90 * 24 * 3600  # a confirmed or cancelled order that sold no certificate: forgotten after this


def sold_lines_text(lines: Sequence[SoldLine]) -> str:
    return json.dumps(
        [
            {
                "line": x.line,
                "sku": x.sku,
                "quantity": x.quantity,
                "amount": x.face_value.amount,
                "currency": x.face_value.currency,
            }
            for x in lines
        ],
        separators=(",", ":"),
    )


def sold_from_item(item: dict[str, Any] | None) -> SoldOrder:
    """The sold record as the last write left it (an empty record when there is none)."""
    plain = deserialize(item or {})
    lines = tuple(
        SoldLine(
            line=x["line"],
            sku=x["sku"],
            quantity=x["quantity"],
            face_value=Money.of(x["amount"], x["currency"]),
        )
        for x in json.loads(plain.get("lines") or "[]")
    )
    return SoldOrder(
        seed=bytes.fromhex(plain["seed"]) if plain.get("seed") else None,
        lines=lines,
        confirmed=bool(plain.get("confirmed_at")),
        cancelled=bool(plain.get("cancelled_at")),
        indexes=tuple(sorted(int(n) for n in plain.get("indexes") or ())),
    )


def hold_sold_update(table: str, order_id: str, seed: bytes, lines: Sequence[SoldLine]) -> dict[str, Any]:
    """The order's seed and certificate lines, set once (a replay keeps the first); a marker's expiry goes."""
    return {
        "TableName": table,
        "Key": sold_key(order_id),
        "UpdateExpression": "SET seed = if_not_exists(seed, :seed), #lines = if_not_exists(#lines, :lines), "
        "#type = :type REMOVE expires_at",
        "ExpressionAttributeNames": {"#lines": "lines", "#type": "type"},
        "ExpressionAttributeValues": serialize(
            {":seed": seed.hex(), ":lines": sold_lines_text(lines), ":type": SOLD_TYPE}
        ),
        "ReturnValues": "ALL_NEW",
    }


def mark_sold_update(table: str, order_id: str, field: str, at: datetime) -> dict[str, Any]:
    """``confirmed_at`` or ``cancelled_at``, the first time only."""
    return {
        "TableName": table,
        "Key": sold_key(order_id),
        "UpdateExpression": "SET #at = if_not_exists(#at, :at)",
        "ExpressionAttributeNames": {"#at": field},
        "ExpressionAttributeValues": serialize({":at": isoformat(at)}),
        "ReturnValues": "ALL_NEW",
    }


def marker_expiry_update(table: str, order_id: str, at: datetime) -> dict[str, Any]:
    """A marker (no seed: the order sold nothing, or its OrderPlaced is still to come) expires; refused
    once the seed is there, since a seed is never forgotten."""
    return {
        "TableName": table,
        "Key": sold_key(order_id),
        "UpdateExpression": "SET expires_at = :ttl",
        "ConditionExpression": "attribute_not_exists(seed)",
        "ExpressionAttributeValues": {":ttl": {"N": str(int(at.timestamp()) + MARKER_TTL_S)}},
    }


def record_sold_update(table: str, order_id: str, indexes: Sequence[int]) -> dict[str, Any]:
    """Which indexes the order's certificates hold (a set: a replay adds nothing); refused once the order
    is cancelled, so that the issuer voids what it wrote after the cancellation looked."""
    return {
        "TableName": table,
        "Key": sold_key(order_id),
        "UpdateExpression": "ADD #indexes :i",
        "ConditionExpression": "attribute_not_exists(cancelled_at)",
        "ExpressionAttributeNames": {"#indexes": "indexes"},
        "ExpressionAttributeValues": {":i": {"NS": [str(i) for i in indexes]}},
    }


def is_certificate(item: dict[str, Any]) -> bool:
    return bool(item["sk"]["S"] == CERT_SK and item["pk"]["S"].startswith("CERT#"))


_LIVE = ("balance", "currency", "voided_at", "voided_by")


def certificate_item(code: str, certificate: GiftCertificate) -> dict[str, Any]:
    """The certificate's item: live fields as attributes (the debit's condition reads them), the rest as
    a document that never changes."""
    doc = certificate.model_dump(mode="json", exclude={"balance", "voided_at", "voided_by"})
    return serialize(
        {
            "pk": f"CERT#{digest(code)}",
            "sk": CERT_SK,
            "type": CERTIFICATE_TYPE,
            "id": certificate.id,
            "balance": certificate.balance.amount,
            "currency": certificate.balance.currency,
            "doc": doc,
            "gsi1pk": LIST_PK,
            "gsi1sk": certificate.id,
        }
    )


def certificate_from_item(item: dict[str, Any]) -> GiftCertificate:
    plain = deserialize(item)
    live = {
        "balance": Money.of(int(plain["balance"]), plain["currency"]),
        "voided_at": plain.get("voided_at"),
        "voided_by": plain.get("voided_by"),
    }
    return GiftCertificate.model_validate({**plain["doc"], **live})


def balance_from_item(code: str, item: dict[str, Any]) -> CertificateBalance:
    plain = deserialize(item)
    doc = plain.get("doc") or {}
    expires = doc.get("expires_at")
    return CertificateBalance(
        code=normalise(code),
        balance=Money.of(int(plain["balance"]), plain["currency"]),
        expires_at=datetime.fromisoformat(expires) if expires else None,
        voided=bool(plain.get("voided_at")),
    )


def new_certificate_put(table: str, code: str, certificate: GiftCertificate) -> dict[str, Any]:
    """A ``Put`` of a new certificate (refused when a certificate has this code: draw another)."""
    return {
        "Put": {
            "TableName": table,
            "Item": certificate_item(code, certificate),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def void_update(table: str, code_digest: str, by: str, at: datetime) -> dict[str, Any]:
    """Void the certificate, once (refused when voided already or absent)."""
    return {
        "TableName": table,
        "Key": {"pk": {"S": f"CERT#{code_digest}"}, "sk": {"S": CERT_SK}},
        "UpdateExpression": "SET voided_at = :at, voided_by = :by, updated_at = :at",
        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(voided_at)",
        "ExpressionAttributeValues": {":at": {"S": isoformat(at)}, ":by": {"S": by}},
        "ReturnValues": "ALL_NEW",
    }


def debit_items(
    table: str, code: str, amount: Money, expected_balance: Money, order_id: str, at: str
) -> list[dict[str, Any]]:
    """Debit the certificate while its balance is still the one priced and it is not voided, and record
    the debit by order (once)."""
    debit = {
        "Update": {
            "TableName": table,
            "Key": certificate_key(code),
            "UpdateExpression": "SET balance = balance - :amount, updated_at = :at",
            "ConditionExpression": "balance = :expected AND currency = :currency AND attribute_not_exists(voided_at)",
            "ExpressionAttributeValues": {
                ":amount": {"N": str(amount.amount)},
                ":expected": {"N": str(expected_balance.amount)},
                ":currency": {"S": amount.currency},
                ":at": {"S": at},
            },
        }
    }
    record = serialize(
        {
            **deserialize(_debit_key(code, order_id)),
            "type": "gift_debit",
            "order_id": order_id,
            "amount": amount.amount,
            "currency": amount.currency,
            "balance_after": expected_balance.amount - amount.amount,
            "at": at,
        }
    )
    ledger = {"Put": {"TableName": table, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}}
    return [debit, ledger]


def restore_items(table: str, code: str, amount: Money, order_id: str, at: str) -> list[dict[str, Any]]:
    """Credit back what ``order_id`` debited from the certificate, and mark that debit restored (once). A
    voided certificate is credited too: the ledger stays whole, and nothing can spend it."""
    credit = {
        "Update": {
            "TableName": table,
            "Key": certificate_key(code),
            "UpdateExpression": "SET balance = balance + :amount, updated_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND currency = :currency",
            "ExpressionAttributeValues": {
                ":amount": {"N": str(amount.amount)},
                ":currency": {"S": amount.currency},
                ":at": {"S": at},
            },
        }
    }
    ledger = {
        "Update": {
            "TableName": table,
            "Key": _debit_key(code, order_id),
            "UpdateExpression": "SET restored_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(restored_at)",
            "ExpressionAttributeValues": {":at": {"S": at}},
        }
    }
    return [credit, ledger]


def batch_item(batch: CertificateBatch, seed: bytes) -> dict[str, Any]:
    return serialize(
        {
            **deserialize(batch_key(batch.id)),
            "type": BATCH_TYPE,
            "doc": batch.model_dump(mode="json", exclude={"issued"}),
            "issued": batch.issued,
            "seed": seed.hex(),  # text: a binary attribute would not pass through the stream's JSON
        }
    )


def batch_from_item(item: dict[str, Any]) -> tuple[CertificateBatch, bytes]:
    plain = deserialize(item)
    batch = CertificateBatch.model_validate({**plain["doc"], "issued": int(plain["issued"])})
    return batch, bytes.fromhex(plain["seed"])


def batch_progress_update(table: str, batch_id: str, before: int, after: int) -> dict[str, Any]:
    """Move the batch's progress, only from the count the chunk started from (a replay moves nothing)."""
    return {
        "TableName": table,
        "Key": batch_key(batch_id),
        "UpdateExpression": "SET issued = :after",
        "ConditionExpression": "issued = :before",
        "ExpressionAttributeValues": {":before": {"N": str(before)}, ":after": {"N": str(after)}},
    }


__all__ = [
    "BATCH_TYPE",
    "CERTIFICATE_TYPE",
    "GSI",
    "LIST_PK",
    "balance_from_item",
    "batch_from_item",
    "batch_item",
    "batch_key",
    "batch_progress_update",
    "certificate_from_item",
    "certificate_item",
    "certificate_key",
    "debit_items",
    "hold_sold_update",
    "is_certificate",
    "mark_sold_update",
    "marker_expiry_update",
    "masked",
    "new_certificate_put",
    "record_sold_update",
    "restore_items",
    "sold_from_item",
    "sold_key",
    "void_update",
]
