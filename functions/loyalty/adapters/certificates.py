"""Gift certificates on DynamoDB (layout: ``loyalty.adapters.certificate_records``).

Calls: issuing is one conditional PutItem (a code already held is drawn again); a balance check is the
attempt counter's UpdateItem and one GetItem by the code's digest; staff read and void by id through
gsi1 (one Query, then a consistent GetItem or the conditional UpdateItem); the list is one Query of
gsi1 newest first. A batch chunk is one conditional PutItem per certificate and the batch's progress
UpdateItem, conditioned on the count the chunk started from; an export page is one BatchGetItem per 100
codes (to confirm which attempt each index holds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.adapters.certificate_records import (
    CERT_SK,
    GSI,
    LIST_PK,
    batch_from_item,
    batch_item,
    batch_key,
    batch_progress_update,
    certificate_from_item,
    certificate_key,
    hold_sold_update,
    mark_sold_update,
    marker_expiry_update,
    new_certificate_put,
    record_sold_update,
    sold_from_item,
    void_update,
)
from loyalty.domain.certificates import (
    CertificateBatch,
    CertificateVoided,
    GiftCertificate,
    SoldLine,
    SoldOrder,
    UnknownCertificate,
    digest,
)
from shop_kernel.dynamo import batch_get_keys, query_page
from shop_kernel.limits import AttemptKey, count_attempt_update


def _failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoCertificates:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    # --- issuing ---------------------------------------------------------------------------------

    def issue(self, code: str, certificate: GiftCertificate) -> bool:
        """Store a new certificate; False when a certificate already has this code (nothing written)."""
        try:
            self._client.put_item(**new_certificate_put(self._table, code, certificate)["Put"])
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def by_code(self, code: str) -> GiftCertificate | None:
        item = self._client.get_item(
            TableName=self._table, Key=certificate_key(code), ConsistentRead=True
        ).get("Item")
        return certificate_from_item(item) if item else None

    # --- staff: by id, list, void ------------------------------------------------------------------

    def _pk_of(self, certificate_id: str) -> str:
        found = self._client.query(
            TableName=self._table,
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk = :id",
            ExpressionAttributeValues={":pk": {"S": LIST_PK}, ":id": {"S": certificate_id}},
            ProjectionExpression="pk",
        ).get("Items", [])
        if not found:
            raise UnknownCertificate(f"no gift certificate {certificate_id}")
        return str(found[0]["pk"]["S"])

    def by_id(self, certificate_id: str) -> GiftCertificate:
        key = {"pk": {"S": self._pk_of(certificate_id)}, "sk": {"S": CERT_SK}}
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            raise UnknownCertificate(f"no gift certificate {certificate_id}")
        return certificate_from_item(item)

    def page(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[GiftCertificate], dict[str, Any] | None]:
        """Newest first (ids are ULIDs)."""
        items, last = query_page(
            self._client,
            limit,
            start,
            TableName=self._table,
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": LIST_PK}},
            ScanIndexForward=False,
        )
        return [certificate_from_item(i) for i in items], last

    def void(self, certificate_id: str, by: str, at: datetime) -> GiftCertificate:
        """Void the certificate once: a second void is ``CertificateVoided``."""
        code_digest = self._pk_of(certificate_id).removeprefix("CERT#")
        try:
            answer = self._client.update_item(**void_update(self._table, code_digest, by, at))
        except ClientError as exc:
            if _failed(exc):
                raise CertificateVoided(f"gift certificate {certificate_id} was voided already") from None
            raise
        return certificate_from_item(answer["Attributes"])

    # --- the balance check's limit -------------------------------------------------------------------

    def count_attempt(self, key: AttemptKey) -> bool:
        """One more attempt on the counter; False when it is at its limit (not counted)."""
        try:
            self._client.update_item(**count_attempt_update(self._table, key))
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    # --- batches and sold certificates ---------------------------------------------------------------

    def create_batch(self, batch: CertificateBatch, seed: bytes) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=batch_item(batch, seed),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def batch(self, batch_id: str) -> tuple[CertificateBatch, bytes] | None:
        item = self._client.get_item(TableName=self._table, Key=batch_key(batch_id), ConsistentRead=True).get(
            "Item"
        )
        return batch_from_item(item) if item else None

    def move_batch(self, batch_id: str, before: int, after: int) -> bool:
        """The batch's progress from ``before`` to ``after``; False when another run moved it already."""
        try:
            self._client.update_item(**batch_progress_update(self._table, batch_id, before, after))
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def hold_sold(self, order_id: str, fresh: bytes, lines: Sequence[SoldLine]) -> SoldOrder:
        """The order's seed and lines, the first ones kept (one UpdateItem answering the whole record)."""
        answer = self._client.update_item(**hold_sold_update(self._table, order_id, fresh, lines))
        return sold_from_item(answer.get("Attributes"))

    def confirm_sold(self, order_id: str, at: datetime) -> SoldOrder:
        return self._mark(order_id, "confirmed_at", at)

    def cancel_sold(self, order_id: str, at: datetime) -> SoldOrder:
        return self._mark(order_id, "cancelled_at", at)

    def _mark(self, order_id: str, field: str, at: datetime) -> SoldOrder:
        """One UpdateItem; a second only the first time an order that holds no seed is marked (its expiry)."""
        answer = self._client.update_item(**mark_sold_update(self._table, order_id, field, at))
        attributes = answer.get("Attributes") or {}
        if "seed" not in attributes and "expires_at" not in attributes:
            try:
                self._client.update_item(**marker_expiry_update(self._table, order_id, at))
            except ClientError as exc:
                if not _failed(exc):
                    raise
        return sold_from_item(attributes)

    def record_sold(self, order_id: str, indexes: Sequence[int]) -> bool:
        try:
            self._client.update_item(**record_sold_update(self._table, order_id, indexes))
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def void_code(self, code: str, by: str, at: datetime) -> bool:
        """Void the certificate ``code`` names; False when it was voided already."""
        try:
            self._client.update_item(**void_update(self._table, digest(code), by, at))
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def by_codes(self, codes: Sequence[str]) -> dict[str, GiftCertificate]:
        """The certificates ``codes`` name, by code (absent ones left out): one BatchGetItem per 100."""
        by_pk = {certificate_key(code)["pk"]["S"]: code for code in codes}
        found = batch_get_keys(self._client, [(self._table, certificate_key(code)) for code in codes])
        return {by_pk[i["pk"]["S"]]: certificate_from_item(i) for i in found.get(self._table, [])}
