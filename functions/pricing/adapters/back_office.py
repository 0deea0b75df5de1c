"""The back office's reads and writes of the promotions table (layout: ``pricing.adapters.records``).

Access patterns:

* a promotion: GetItem ``PROMOTION`` / id; the list: Query ``PROMOTION`` (paged, status as a filter on
  ``archived_at``, ``starts_at``, ``ends_at``, kept on the item in one sortable UTC format);
* create, replace, archive: one ``TransactWriteItems`` of the promotion item (conditioned on its version)
  and the config item cart and checkout read (conditioned on the config's version; retried when another
  promotion's write moved it on);
* a code: GetItem ``CODE#<CODE>`` (its ``uses``) and a COUNT Query of its ``USE#`` items (how many
  customers; their keys hold e-mails and are never answered); create: conditional Put; disable: conditional
  Update; a promotion's codes, or a batch's: Query gsi1;
* a batch: conditional Put, GetItem; the generator's chunks: ``TransactWriteItems`` of up to 100
  conditional Puts, then the batch's progress conditioned on the count it started from.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from pricing.adapters.records import (
    code_key,
    config_entry,
    promotion_key,
    promotions_config_key,
)
from pricing.domain.back_office import (
    BatchStatus,
    CodeBatch,
    OrderShare,
    PromotionStatus,
    StoredPromotion,
    batch_code,
)
from pricing.domain.promotions import PromoCode, Promotion
from shop_kernel.dynamo import CursorCodec, deserialize, pages, query_all, signed_page
from shop_kernel.errors import Conflict, DomainError, FieldError, NotFound, PreconditionFailed

PROMOTIONS_PK = "PROMOTION"
TRANSACT_LIMIT = 100
CONFIG_RETRIES = 5


def refusal(kind: type[DomainError], field: str, message: str, code: str) -> DomainError:
    return kind(message, errors=[FieldError(field=field, message=message, code=code)])


def sortable(moment: datetime) -> str:
    """UTC, fixed width: compares as text in a FilterExpression the way the times compare."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status_filter(status: PromotionStatus, now: str) -> tuple[str, dict[str, Any]]:
    live = "attribute_not_exists(archived_at)"
    values = {":now": {"S": now}}
    if status is PromotionStatus.ARCHIVED:
        return "attribute_exists(archived_at)", {}
    if status is PromotionStatus.SCHEDULED:
        return f"{live} AND starts_at > :now", values
    if status is PromotionStatus.EXPIRED:
        return f"{live} AND ends_at <= :now", values
    started = "(attribute_not_exists(starts_at) OR starts_at <= :now)"
    return f"{live} AND {started} AND (attribute_not_exists(ends_at) OR ends_at > :now)", values


def _failed(exc: ClientError) -> list[bool]:
    """Which entries of a cancelled transaction failed their condition."""
    reasons = exc.response.get("CancellationReasons") or []
    return [r.get("Code") == "ConditionalCheckFailed" for r in reasons]


def _cancelled(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "TransactionCanceledException"


class BackOfficeStore:
    def __init__(self, client: Any, table: str, cursors: CursorCodec, index_cursors: CursorCodec) -> None:
        self._client = client
        self.table = table
        self._cursors = cursors
        self._index_cursors = index_cursors

    # --- promotions -------------------------------------------------------------------------------

    def promotion(self, promotion_id: str) -> StoredPromotion | None:
        item = self._client.get_item(
            TableName=self.table, Key=promotion_key(promotion_id), ConsistentRead=True
        ).get("Item")
        return _stored(item) if item else None

    def promotions(
        self, status: PromotionStatus | None, now: datetime, cursor: str | None, limit: int
    ) -> tuple[list[StoredPromotion], str | None]:
        scope = status.value if status else ""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PROMOTIONS_PK}},
        }
        if status is not None:
            expression, values = _status_filter(status, sortable(now))
            request["FilterExpression"] = expression
            request["ExpressionAttributeValues"].update(values)
        items, next_cursor = signed_page(self._client, self._cursors, scope, cursor, limit, **request)
        return [_stored(i) for i in items], next_cursor

    def create(self, promotion: Promotion, at: datetime) -> StoredPromotion:
        stamp = sortable(at)
        stored = StoredPromotion(promotion=promotion, version=1, created_at=stamp, updated_at=stamp)
        if not self._write(stored, None):
            raise Conflict(f"a promotion {promotion.id!r} exists: replace it with If-Match instead")
        return stored

    def replace(self, promotion: Promotion, expected: int, at: datetime) -> StoredPromotion:
        current = self._existing(promotion.id)
        if current.archived_at is not None:
            raise Conflict(f"promotion {promotion.id!r} is archived and can no longer change")
        stored = current.model_copy(
            update={"promotion": promotion, "version": expected + 1, "updated_at": sortable(at)}
        )
        if current.version != expected or not self._write(stored, expected):
            raise PreconditionFailed(f"promotion {promotion.id!r} changed since version {expected}")
        return stored

    def archive(self, promotion_id: str, expected: int | None, at: datetime) -> StoredPromotion:
        current = self._existing(promotion_id)
        if current.archived_at is not None:
            return current  # archiving twice changes nothing
        version = current.version if expected is None else expected
        stamp = sortable(at)
        stored = current.model_copy(
            update={"version": version + 1, "updated_at": stamp, "archived_at": stamp}
        )
        if current.version != version or not self._write(stored, version):
            raise PreconditionFailed(f"promotion {promotion_id!r} changed since version {version}")
        return stored

    def _existing(self, promotion_id: str) -> StoredPromotion:
        current = self.promotion(promotion_id)
        if current is None:
            raise refusal(NotFound, "path.promotion_id", f"no promotion {promotion_id!r}", "unknown")
        return current

    def _write(self, stored: StoredPromotion, expected: int | None) -> bool:
        """The promotion item and the config item in one transaction; False when the promotion item's
        condition failed (it exists / changed). Retried while only the config item moved on."""
        promotion = stored.promotion
        archived = stored.archived_at is not None
        for _ in range(CONFIG_RETRIES):
            current = self._client.get_item(
                TableName=self.table, Key=promotions_config_key(), ConsistentRead=True
            ).get("Item")
            config = config_entry(
                self.table, current, [] if archived else [promotion], [promotion.id] if archived else []
            )
            try:
                self._client.transact_write_items(
                    TransactItems=[self._promotion_put(stored, expected), config]
                )
                return True
            except ClientError as exc:
                if not _cancelled(exc):
                    raise
                failed = _failed(exc)
                if failed and failed[0]:
                    return False
        raise Conflict("promotions are being changed by others right now: retry")

    def _promotion_put(self, stored: StoredPromotion, expected: int | None) -> dict[str, Any]:
        promotion = stored.promotion
        item: dict[str, Any] = {
            **promotion_key(promotion.id),
            "type": {"S": "promotion"},
            "doc": {"S": promotion.model_dump_json()},
            "version": {"N": str(stored.version)},
            "created_at": {"S": stored.created_at},
            "updated_at": {"S": stored.updated_at},
        }
        if promotion.starts_at:
            item["starts_at"] = {"S": sortable(promotion.starts_at)}
        if promotion.ends_at:
            item["ends_at"] = {"S": sortable(promotion.ends_at)}
        if stored.archived_at:
            item["archived_at"] = {"S": stored.archived_at}
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(expected)}}
        return {"Put": put}

    # --- codes ------------------------------------------------------------------------------------

    def create_code(self, code: PromoCode, at: datetime) -> dict[str, Any]:
        item = _code_item(self.table, code, sortable(at), None, None)
        try:
            self._client.put_item(**item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise refusal(Conflict, "body.code", f"the code {code.code} exists already", "taken") from exc
        return self.code(code.code) or {}

    def code(self, code: str) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self.table, Key=code_key(code), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :use)",
            "ExpressionAttributeValues": {":pk": {"S": f"CODE#{code}"}, ":use": {"S": "USE#"}},
            "Select": "COUNT",
        }
        customers = sum(int(page.get("Count", 0)) for page in pages(self._client.query, **request))
        return {**_code_view(item), "customers": customers}

    def codes(
        self, promotion_id: str, cursor: str | None, limit: int, batch_id: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        scope = f"{promotion_id}|{batch_id or ''}"
        condition = "gsi1pk = :pk"
        values: dict[str, Any] = {":pk": {"S": f"PROMO#{promotion_id}"}}
        if batch_id:
            condition += " AND begins_with(gsi1sk, :batch)"
            values[":batch"] = {"S": f"BATCH#{batch_id}#"}
        items, next_cursor = signed_page(
            self._client,
            self._index_cursors,
            scope,
            cursor,
            limit,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
        return [_code_view(i) for i in items], next_cursor

    def disable_code(self, code: str, at: datetime) -> dict[str, Any]:
        item = self._client.get_item(TableName=self.table, Key=code_key(code), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            raise refusal(NotFound, "path.code", f"no code {code}", "unknown")
        if "disabled_at" in item:
            return self.code(code) or {}
        current = PromoCode.model_validate_json(item["doc"]["S"])
        disabled = current.model_copy(update={"disabled_at": at.astimezone(UTC)})
        try:
            self._client.update_item(
                TableName=self.table,
                Key=code_key(code),
                UpdateExpression="SET disabled_at = :at, doc = :doc",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(disabled_at)",
                ExpressionAttributeValues={
                    ":at": {"S": sortable(at)},
                    ":doc": {"S": disabled.model_dump_json(exclude_none=True)},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # lost a race with another disable: the answer below is the same
        return self.code(code) or {}

    # --- batches ----------------------------------------------------------------------------------

    def create_batch(self, batch: CodeBatch, seed: bytes) -> None:
        self._client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"BATCH#{batch.id}"},
                "sk": {"S": "BATCH"},
                "type": {"S": "code_batch"},
                "doc": {"S": batch.model_dump_json()},
                "generated": {"N": "0"},
                "seed": {"S": seed.hex()},  # text: stream records carry it as is (binary would be base64)
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def batch(self, batch_id: str) -> CodeBatch | None:
        key = {"pk": {"S": f"BATCH#{batch_id}"}, "sk": {"S": "BATCH"}}
        item = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return batch_from_item(item) if item else None

    def write_batch_codes(self, batch: CodeBatch, seed: bytes, indexes: range, at: datetime) -> int:
        """Codes ``indexes`` of the batch, each conditional; a code another batch or a merchandiser
        already holds moves that index to its next attempt. Codes this batch wrote before (a retry)
        stay as they are (their uses too). Returns how many codes this call found or wrote."""
        attempts = dict.fromkeys(indexes, 0)
        stamp = sortable(at)
        while attempts:
            group = list(attempts.items())[:TRANSACT_LIMIT]
            codes = {i: batch_code(seed, batch.prefix, i, a) for i, a in group}
            puts = [
                {
                    "Put": {
                        **_code_item(self.table, batch.code(codes[i]), stamp, batch.id, i),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for i, _ in group
            ]
            try:
                self._client.transact_write_items(TransactItems=puts)
            except ClientError as exc:
                failed = _failed(exc) if _cancelled(exc) else []
                if not any(failed):
                    raise
                self._settle(batch, codes, group, failed, attempts)
                continue
            for index, _ in group:
                attempts.pop(index)
        return len(indexes)

    def _settle(
        self,
        batch: CodeBatch,
        codes: dict[int, str],
        group: list[tuple[int, int]],
        failed: list[bool],
        attempts: dict[int, int],
    ) -> None:
        """After a cancelled chunk: an index whose code this batch wrote before is done; one whose code
        someone else holds moves to its next attempt; the others are tried again as they were."""
        for (index, attempt), lost in zip(group, failed, strict=False):
            if not lost:
                continue
            existing = self.code(codes[index]) or {}
            if existing.get("batch_id") == batch.id and existing.get("batch_index") == index:
                attempts.pop(index)
            else:
                attempts[index] = attempt + 1

    def record_progress(self, batch: CodeBatch, generated: int, at: datetime) -> bool:
        """Moves the batch from ``batch.generated`` to ``generated`` (False: a replay already did)."""
        stamp = sortable(at)
        done = generated >= batch.requested
        updated = batch.model_copy(
            update={
                "generated": generated,
                "status": BatchStatus.COMPLETED if done else BatchStatus.GENERATING,
                "started_at": batch.started_at or stamp,
                "finished_at": stamp if done else None,
            }
        )
        try:
            self._client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"BATCH#{batch.id}"}, "sk": {"S": "BATCH"}},
                UpdateExpression="SET generated = :new, doc = :doc",
                ConditionExpression="generated = :old",
                ExpressionAttributeValues={
                    ":new": {"N": str(generated)},
                    ":old": {"N": str(batch.generated)},
                    ":doc": {"S": updated.model_dump_json()},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True


def batch_from_item(item: dict[str, Any]) -> CodeBatch:
    batch = CodeBatch.model_validate_json(item["doc"]["S"])
    return batch.model_copy(update={"generated": int(item["generated"]["N"])})


def batch_seed(item: dict[str, Any]) -> bytes:
    return bytes.fromhex(item["seed"]["S"])


def _stored(item: dict[str, Any]) -> StoredPromotion:
    plain = deserialize(item)
    return StoredPromotion(
        promotion=Promotion.model_validate_json(plain["doc"]),
        version=int(plain.get("version", 1)),
        created_at=plain.get("created_at", ""),
        updated_at=plain.get("updated_at", ""),
        archived_at=plain.get("archived_at"),
    )


def _code_item(
    table: str, code: PromoCode, at: str, batch_id: str | None, index: int | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        **code_key(code.code),
        "type": {"S": "code"},
        "doc": {"S": code.model_dump_json(exclude_none=True)},
        "created_at": {"S": at},
        "gsi1pk": {"S": f"PROMO#{code.promotion_id}"},
        "gsi1sk": {"S": f"BATCH#{batch_id}#{index:06d}" if batch_id else f"CODE#{code.code}"},
    }
    if batch_id is not None and index is not None:
        item["batch_id"] = {"S": batch_id}
        item["batch_index"] = {"N": str(index)}
    return {"TableName": table, "Item": item}


def _code_view(item: dict[str, Any]) -> dict[str, Any]:
    plain = deserialize(item)
    code = PromoCode.model_validate_json(plain["doc"])
    return {
        "code": code.code,
        "promotion_id": code.promotion_id,
        "usage_limit": code.usage_limit,
        "per_customer_limit": code.per_customer_limit,
        "uses": int(plain.get("uses", 0)),
        "disabled_at": plain.get("disabled_at"),
        "created_at": plain.get("created_at"),
        "batch_id": plain.get("batch_id"),
        "batch_index": plain.get("batch_index"),
    }


class CampaignLedger:
    """The campaign report's counts: an order counts once per promotion (``REPORT_ORDER#`` item put
    conditionally with the totals, in one transaction) and its cancellation takes it off once."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def count_placed(self, order_id: str, shares: list[OrderShare], at: datetime) -> bool:
        order = self._order_put(order_id, shares, at, cancelled=False)
        updates = [self._totals(s, 1, 0) for s in shares]
        return self._transact([order, *updates])

    def count_cancelled(self, order_id: str, at: datetime) -> bool:
        key = {"pk": {"S": f"REPORT_ORDER#{order_id}"}, "sk": {"S": "ORDER"}}
        item = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            # Cancelled before its OrderPlaced arrived: a tombstone, so the late placement counts nothing.
            return self._transact([self._order_put(order_id, [], at, cancelled=True)])
        if "cancelled_at" in item:
            return False
        shares = [OrderShare.model_validate(s) for s in json.loads(item["shares"]["S"])]
        mark = {
            "Update": {
                "TableName": self.table,
                "Key": key,
                "UpdateExpression": "SET cancelled_at = :at",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(cancelled_at)",
                "ExpressionAttributeValues": {":at": {"S": sortable(at)}},
            }
        }
        return self._transact([mark, *(self._totals(s, -1, 1) for s in shares)])

    def totals(self, promotion_id: str) -> list[dict[str, Any]]:
        """One item per currency the promotion was used in (a small partition)."""
        items = query_all(
            self._client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"REPORT#{promotion_id}"}},
            ConsistentRead=True,
        )
        return [deserialize(i) for i in items]

    def _order_put(
        self, order_id: str, shares: list[OrderShare], at: datetime, cancelled: bool
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": f"REPORT_ORDER#{order_id}"},
            "sk": {"S": "ORDER"},
            "type": {"S": "report_order"},
            "shares": {"S": json.dumps([s.model_dump(mode="json") for s in shares])},
            "counted_at": {"S": sortable(at)},
        }
        if cancelled:
            item["cancelled_at"] = {"S": sortable(at)}
        return {
            "Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def _totals(self, share: OrderShare, orders: int, cancelled: int) -> dict[str, Any]:
        sign = 1 if orders > 0 else -1
        return {
            "Update": {
                "TableName": self.table,
                "Key": {
                    "pk": {"S": f"REPORT#{share.promotion_id}"},
                    "sk": {"S": f"CURRENCY#{share.discount.currency}"},
                },
                "UpdateExpression": "SET #type = :type, currency = :currency "
                "ADD orders :orders, cancelled :cancelled, discount :discount, revenue :revenue",
                "ExpressionAttributeNames": {"#type": "type"},
                "ExpressionAttributeValues": {
                    ":type": {"S": "report_totals"},
                    ":currency": {"S": share.discount.currency},
                    ":orders": {"N": str(orders)},
                    ":cancelled": {"N": str(cancelled)},
                    ":discount": {"N": str(sign * share.discount.amount)},
                    ":revenue": {"N": str(sign * share.revenue.amount)},
                },
            }
        }

    def _transact(self, entries: list[dict[str, Any]]) -> bool:
        try:
            self._client.transact_write_items(TransactItems=entries)
        except ClientError as exc:
            failed = _failed(exc) if _cancelled(exc) else []
            if failed and failed[0]:
                return False  # the order was counted (or taken off) before: a replay
            raise
        return True
