"""The inventory table (layout in ``inventory.adapters.records``) and the catalog's SKU claims.

Access patterns:

* Location by id: GetItem LOC#<id>. All locations: GetItem of the versioned ``locations_config`` item
  (every location's document), written in the same transaction as each location; a table written
  before that item existed is read with a Query of gsi1 LOCATIONS until its next location write.
* Stock of a SKU everywhere: Query SKU#<sku>, sk begins_with LOC# -- 1 call (availability, admin).
* Stock of an order's SKUs at candidate locations: BatchGetItem (planning a reservation) -- 1 call.
* Reservation by id: GetItem RES#<id>. Active reservations past their expiry: Query gsi1
  RESERVATIONS#active with gsi1sk <= now (the sweeper; never a Scan).
* Every stock level and every active reservation, for the scheduled reconciler only: one consistent
  paginated Scan filtered on ``type`` (a counter stuck with no reservation left can be found no other
  way; no request path scans, and only the reconciler's role may).

Every stock change is a condition, never read-then-write: set = ``version = :v AND reserved <= :on_hand``
(or ``attribute_not_exists`` for a new level); adjust = ``available >= -delta``; reserve =
``available >= :q``; release/commit = ``reserved >= :q`` with the reservation's ``status = active``.
An ops write also checks, in the same transaction, that the location exists and the catalog knows the
SKU, and records a movement item for the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from inventory.adapters.records import (
    ACTIVE_RESERVATIONS,
    GSI,
    LOCATION_SK,
    LOCATIONS_GSI_PK,
    LocationDirectory,
    commit_transact_items,
    expired_tombstone_items,
    indexed_location_documents,
    location_key,
    locations_config_key,
    release_transact_items,
    reservation_from_item,
    reservation_key,
    stock_from_item,
    stock_key,
)
from inventory.domain.models import Location, LocationBody, StockLevel
from inventory.domain.reconciliation import HoldSeen, LevelSeen
from inventory.domain.reservations import Reservation, ReservationStatus
from inventory.domain.stock import AdjustmentReason
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import batch_get_all, batch_get_keys, deserialize, pages, query_all, serialize
from shop_kernel.errors import Conflict, FieldError, NotFound, PreconditionFailed, PreconditionRequired
from shop_kernel.ids import new_ulid

BATCH_GET_LIMIT = 100
OPENING_CHUNK = 90  # levels per transaction: + up to 10 location checks <= 100 items
LOCATION_WRITE_ATTEMPTS = 5  # concurrent location writes race for the config item; the loser re-reads


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reasons(exc: ClientError) -> list[dict[str, Any]]:
    return list(exc.response.get("CancellationReasons") or [])


def _not_found(field: str, message: str) -> NotFound:
    return NotFound(message, errors=[FieldError(field=field, message=message, code="unknown")])


class InventoryStore:
    def __init__(self, client: Any, table: str, catalog_table: str | None = None) -> None:
        self._client = client
        self.table = table
        self._catalog_table = catalog_table

    # --- locations ------------------------------------------------------------------------------

    def location(self, location_id: str) -> Location | None:
        item = self._client.get_item(
            TableName=self.table, Key=location_key(location_id), ConsistentRead=True
        ).get("Item")
        return Location.model_validate_json(deserialize(item)["doc"]) if item else None

    def directory(self) -> LocationDirectory:
        """Every location, from the config item (one consistent GetItem)."""
        item = self._client.get_item(
            TableName=self.table, Key=locations_config_key(), ConsistentRead=True
        ).get("Item")
        if item is None:
            return LocationDirectory(documents=self._indexed_location_documents())
        return LocationDirectory.from_item(item)

    def _indexed_location_documents(self) -> dict[str, dict[str, Any]]:
        return indexed_location_documents(self._client, self.table)

    def locations(self) -> dict[str, Location]:
        documents = self.directory().documents
        return {k: Location.model_validate(doc) for k, doc in documents.items()}

    def put_location(
        self, location_id: str, body: LocationBody, expected_version: int | None, now: datetime
    ) -> Location:
        """The location and the config item in one transaction, each conditioned on the version read."""
        version = (expected_version or 0) + 1
        location = Location(**body.model_dump(), id=location_id, version=version, updated_at=isoformat(now))
        for _ in range(LOCATION_WRITE_ATTEMPTS):
            directory = self.directory()
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        self._location_put(location, expected_version),
                        self._config_put(directory, location),
                    ]
                )
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException" or len(_reasons(exc)) != 2:
                    raise
                location_refused, config_refused = (
                    r.get("Code") not in (None, "None") for r in _reasons(exc)
                )
                if location_refused:
                    raise _location_precondition(expected_version) from exc
                if config_refused:
                    continue  # another location changed at the same moment: read the config again
                raise
            return location
        raise Conflict("locations are being changed by other requests; retry")

    def _location_put(self, location: Location, expected_version: int | None) -> dict[str, Any]:
        item = {
            **{k: v["S"] for k, v in location_key(location.id).items()},
            "type": "location",
            "gsi1pk": LOCATIONS_GSI_PK,
            "gsi1sk": location.id,
            "version": location.version,
            "doc": location.model_dump_json(),
        }
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if expected_version is not None:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        return {"Put": put}

    def _config_put(self, directory: LocationDirectory, location: Location) -> dict[str, Any]:
        documents = {**directory.documents, location.id: location_document(location)}
        item = {
            **{k: v["S"] for k, v in locations_config_key().items()},
            "type": "locations_config",
            "version": directory.version + 1,
            "doc": json.dumps(documents, sort_keys=True, separators=(",", ":")),
        }
        put: dict[str, Any] = {"TableName": self.table, "Item": serialize(item)}
        if directory.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :cv"
            put["ExpressionAttributeValues"] = {":cv": {"N": str(directory.version)}}
        return {"Put": put}

    # --- stock reads ----------------------------------------------------------------------------

    def stock_for_sku(self, sku: str) -> list[StockLevel]:
        items = query_all(
            self._client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :loc)",
            ExpressionAttributeValues={":pk": {"S": f"SKU#{sku}"}, ":loc": {"S": "LOC#"}},
        )
        return [stock_from_item(deserialize(item)) for item in items]

    def stock_level(self, sku: str, location_id: str) -> StockLevel | None:
        item = self._client.get_item(
            TableName=self.table, Key=stock_key(sku, location_id), ConsistentRead=True
        ).get("Item")
        return stock_from_item(deserialize(item)) if item else None

    def stock_at(self, skus: Sequence[str], location_ids: Sequence[str]) -> dict[str, dict[str, StockLevel]]:
        """Levels of ``skus`` at ``location_ids`` (absent = none there), in as few BatchGetItem calls as fit."""
        keys = [stock_key(sku, loc) for sku in dict.fromkeys(skus) for loc in dict.fromkeys(location_ids)]
        found: dict[str, dict[str, StockLevel]] = {}
        for item in batch_get_keys(self._client, [(self.table, k) for k in keys]).get(self.table, []):
            level = stock_from_item(deserialize(item))
            found.setdefault(level.sku, {})[level.location_id] = level
        return found

    def sku_known(self, sku: str) -> bool:
        if self._catalog_table is None:
            return True
        item = self._client.get_item(TableName=self._catalog_table, Key=_catalog_sku_key(sku)).get("Item")
        return item is not None

    # --- stock writes (ops) ---------------------------------------------------------------------

    def _checks(self, sku: str, location_id: str) -> list[dict[str, Any]]:
        checks = [
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": location_key(location_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        if self._catalog_table is not None:
            checks.append(
                {
                    "ConditionCheck": {
                        "TableName": self._catalog_table,
                        "Key": _catalog_sku_key(sku),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        return checks

    def _movement(
        self, sku: str, location_id: str, change: dict[str, Any], actor: str, now: datetime
    ) -> dict[str, Any]:
        item = {
            "pk": f"SKU#{sku}",
            "sk": f"MOVE#{new_ulid()}",
            "type": "movement",
            "location_id": location_id,
            "actor": actor,
            "at": isoformat(now),
            **change,
        }
        return {"Put": {"TableName": self.table, "Item": serialize(item)}}

    def set_stock(
        self,
        sku: str,
        location_id: str,
        on_hand: int,
        expected_version: int | None,
        actor: str,
        now: datetime,
    ) -> StockLevel:
        values: dict[str, Any] = {
            ":oh": {"N": str(on_hand)},
            ":one": {"N": "1"},
            ":now": {"S": isoformat(now)},
            ":sku": {"S": sku},
            ":loc": {"S": location_id},
            ":type": {"S": "stock"},
        }
        if expected_version is None:
            update = "SET on_hand = :oh, available = :oh, reserved = :zero, version = :one"
            condition = "attribute_not_exists(pk)"
            values[":zero"] = {"N": "0"}
        else:
            update = "SET on_hand = :oh, available = :oh - reserved, version = version + :one"
            condition = "version = :v AND reserved <= :oh"
            values[":v"] = {"N": str(expected_version)}
        entry = {
            "Update": {
                "TableName": self.table,
                "Key": stock_key(sku, location_id),
                "UpdateExpression": update
                + ", updated_at = :now, sku = :sku, location_id = :loc, #type = :type",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#type": "type"},
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        movement = self._movement(sku, location_id, {"set_on_hand": on_hand}, actor, now)
        self._transact_stock(
            [*self._checks(sku, location_id), entry, movement],
            sku,
            location_id,
            on_hand=on_hand,
            expected_version=expected_version,
        )
        level = self.stock_level(sku, location_id)
        assert level is not None
        return level

    def adjust_stock(
        self,
        sku: str,
        location_id: str,
        delta: int,
        reason: AdjustmentReason,
        note: str | None,
        actor: str,
        now: datetime,
    ) -> StockLevel:
        from inventory.domain.models import MAX_STOCK

        values: dict[str, Any] = {
            ":d": {"N": str(delta)},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            ":now": {"S": isoformat(now)},
            ":sku": {"S": sku},
            ":loc": {"S": location_id},
            ":type": {"S": "stock"},
        }
        if delta < 0:
            condition = "available >= :minus"
            values[":minus"] = {"N": str(-delta)}
        else:
            condition = "attribute_not_exists(on_hand) OR on_hand <= :ceiling"
            values[":ceiling"] = {"N": str(MAX_STOCK - delta)}
        entry = {
            "Update": {
                "TableName": self.table,
                "Key": stock_key(sku, location_id),
                "UpdateExpression": (
                    "SET on_hand = if_not_exists(on_hand, :zero) + :d, available = if_not_exists(available, :zero) + :d, "
                    "reserved = if_not_exists(reserved, :zero), version = if_not_exists(version, :zero) + :one, "
                    "updated_at = :now, sku = :sku, location_id = :loc, #type = :type"
                ),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#type": "type"},
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        change = {"delta": delta, "reason": reason.value, "note": note}
        movement = self._movement(sku, location_id, change, actor, now)
        self._transact_stock(
            [*self._checks(sku, location_id), entry, movement], sku, location_id, delta=delta
        )
        level = self.stock_level(sku, location_id)
        assert level is not None
        return level

    def receive_opening_stock(
        self, levels: Sequence[tuple[str, str, int]], actor: str, now: datetime
    ) -> dict[str, int]:
        """Opening stock ``(sku, location, on_hand)`` for levels that do not exist yet; existing ones are
        left alone (so a second run changes nothing and never undoes sales). For a first load (a new
        shop, the demo): up to 90 levels per ``TransactWriteItems`` instead of two calls per level. Each
        new level is conditioned on not existing and every location named is checked in the same
        transaction; the caller vouches for the SKUs (no catalog check per level). The level itself
        records who opened it (``opened_by``, version 1); movement records start with the first change.
        A chunk refused because a level appeared meanwhile is applied level by level."""
        wanted = {(sku, loc): on_hand for sku, loc, on_hand in levels}
        existing = self._existing_levels(list(wanted))
        new = [(sku, loc, qty) for (sku, loc), qty in wanted.items() if (sku, loc) not in existing]
        for start in range(0, len(new), OPENING_CHUNK):
            chunk = new[start : start + OPENING_CHUNK]
            try:
                self._client.transact_write_items(TransactItems=self._opening_items(chunk, actor, now))
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise
                self._opening_one_by_one(chunk, actor, now)
        return {"created": len(new), "existing": len(existing)}

    def _existing_levels(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request = {
                self.table: {
                    "Keys": [stock_key(sku, loc) for sku, loc in keys[start : start + BATCH_GET_LIMIT]],
                    "ProjectionExpression": "sku, location_id",
                }
            }
            for item in batch_get_all(self._client, request).get(self.table, []):
                found.add((item["sku"]["S"], item["location_id"]["S"]))
        return found

    def _opening_items(
        self, chunk: Sequence[tuple[str, str, int]], actor: str, now: datetime
    ) -> list[dict[str, Any]]:
        checks = [
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": location_key(loc),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
            for loc in sorted({loc for _, loc, _ in chunk})
        ]
        entries: list[dict[str, Any]] = []
        for sku, loc, on_hand in chunk:
            level = {
                "sku": sku,
                "location_id": loc,
                "type": "stock",
                "on_hand": on_hand,
                "reserved": 0,
                "available": on_hand,
                "version": 1,
                "updated_at": isoformat(now),
                "opened_by": actor,
            }
            put = {
                "TableName": self.table,
                "Item": serialize({**{k: v["S"] for k, v in stock_key(sku, loc).items()}, **level}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            entries.append({"Put": put})
        return [*checks, *entries]

    def _opening_one_by_one(self, chunk: Sequence[tuple[str, str, int]], actor: str, now: datetime) -> None:
        for sku, loc, on_hand in chunk:
            try:
                self.set_stock(sku, loc, on_hand, None, actor, now)
            except PreconditionRequired:
                continue  # it exists now: left alone

    def _transact_stock(self, items: list[dict[str, Any]], sku: str, location_id: str, **intent: Any) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise
            reasons = _reasons(exc)
            if len(reasons) != len(items):
                raise
            raise self._explain(reasons, sku, location_id, intent) from exc

    def _explain(
        self, reasons: list[dict[str, Any]], sku: str, location_id: str, intent: dict[str, Any]
    ) -> Exception:
        failed = [r.get("Code") == "ConditionalCheckFailed" for r in reasons]
        if failed[0]:
            return _not_found("path.location_id", f"no location {location_id!r}")
        if self._catalog_table is not None and failed[1]:
            return _not_found("path.sku", f"the catalog has no SKU {sku!r}")
        stock_index = 2 if self._catalog_table is not None else 1
        if not failed[stock_index]:
            return Conflict("the stock level changed meanwhile; retry")  # another entry failed (transient)
        old = reasons[stock_index].get("Item")
        current = stock_from_item(deserialize(old)) if old else self.stock_level(sku, location_id)
        return _stock_conflict(current, sku, location_id, intent)

    # --- reservations ---------------------------------------------------------------------------

    def reservation(self, reservation_id: str) -> Reservation | None:
        item = self._client.get_item(
            TableName=self.table, Key=reservation_key(reservation_id), ConsistentRead=True
        ).get("Item")
        return reservation_from_item(deserialize(item)) if item else None

    def transact(self, items: list[dict[str, Any]]) -> bool:
        """Run a status-conditioned transaction; False when a condition failed (already done)."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) == "TransactionCanceledException" and any(
                r.get("Code") == "ConditionalCheckFailed" for r in _reasons(exc)
            ):
                return False
            raise
        return True

    def finish(self, reservation_id: str, status: ReservationStatus, now: datetime) -> bool:
        """Release, expire or commit an active reservation; False if it is not active (idempotent)."""
        reservation = self.reservation(reservation_id)
        if reservation is None:
            raise NotFound(f"no reservation {reservation_id!r}")
        if reservation.status != ReservationStatus.ACTIVE:
            return False
        if status == ReservationStatus.COMMITTED:
            return self.transact(commit_transact_items(reservation, now, table_name=self.table))
        return self.transact(release_transact_items(reservation, now, table_name=self.table, status=status))

    def expire_deleted(self, reservation: Reservation, now: datetime) -> bool:
        """TTL removed an active reservation: tombstone it as expired and give the stock back, once."""
        return self.transact(expired_tombstone_items(reservation, now, table_name=self.table))

    # --- reconciliation -------------------------------------------------------------------------

    def holds_snapshot(self) -> tuple[list[LevelSeen], list[HoldSeen]]:
        """Every stock level and every line of every active reservation (consistent, paginated Scan)."""
        levels: list[LevelSeen] = []
        holds: list[HoldSeen] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "FilterExpression": "#type = :stock OR (#type = :reservation AND #status = :active)",
            "ProjectionExpression": "#type, sku, location_id, on_hand, reserved, available, updated_at, "
            "reservation_id, #status, #lines, expires_at",
            "ExpressionAttributeNames": {"#type": "type", "#status": "status", "#lines": "lines"},
            "ExpressionAttributeValues": {
                ":stock": {"S": "stock"},
                ":reservation": {"S": "reservation"},
                ":active": {"S": ReservationStatus.ACTIVE.value},
            },
        }
        for page in pages(self._client.scan, **request):
            for raw in page.get("Items", []):
                item = deserialize(raw)
                if item["type"] == "stock":
                    levels.append(_level_seen(item))
                else:
                    holds += _holds_seen(item)
        return levels, holds

    def recount_reserved(self, level: LevelSeen, held: int, now: datetime) -> bool:
        """Set ``reserved`` to what the active holds add up to, only if the level is still as read."""
        try:
            self._client.update_item(
                TableName=self.table,
                Key=stock_key(level.sku, level.location_id),
                UpdateExpression="SET reserved = :held, available = :available, updated_at = :now",
                ConditionExpression="updated_at = :seen AND reserved = :reserved AND available = :was "
                "AND on_hand = :on_hand",
                ExpressionAttributeValues={
                    ":held": {"N": str(held)},
                    ":available": {"N": str(level.on_hand - held)},
                    ":now": {"S": isoformat(now)},
                    ":seen": {"S": level.updated_at},
                    ":reserved": {"N": str(level.reserved)},
                    ":was": {"N": str(level.available)},
                    ":on_hand": {"N": str(level.on_hand)},
                },
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False  # it changed since the pass read it: the next pass judges it again
            raise
        return True

    def overdue_reservations(self, now: datetime, limit: int = 100) -> list[str]:
        response = self._client.query(
            TableName=self.table,
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk <= :now",
            ExpressionAttributeValues={
                ":pk": {"S": ACTIVE_RESERVATIONS},
                ":now": {"S": f"{int(now.timestamp()):012d}#~"},
            },
            Limit=limit,
        )
        return [deserialize(item)["reservation_id"] for item in response.get("Items", [])]


def _level_seen(item: dict[str, Any]) -> LevelSeen:
    return LevelSeen(
        sku=item["sku"],
        location_id=item["location_id"],
        on_hand=int(item["on_hand"]),
        reserved=int(item["reserved"]),
        available=int(item["available"]),
        updated_at=str(item.get("updated_at") or ""),
    )


def _holds_seen(item: dict[str, Any]) -> list[HoldSeen]:
    return [
        HoldSeen(
            reservation_id=item["reservation_id"],
            sku=line["sku"],
            location_id=line["location_id"],
            quantity=int(line["quantity"]),
            expires_at=int(item["expires_at"]),
        )
        for line in item["lines"]
    ]


def _location_precondition(expected_version: int | None) -> Exception:
    if expected_version is None:
        return PreconditionRequired(
            "this location exists: send If-Match with the ETag you read", field="header.if-match"
        )
    return PreconditionFailed("the location changed since you read it", field="header.if-match")


def _catalog_sku_key(sku: str) -> dict[str, dict[str, str]]:
    # The catalog's unique claim on a SKU (catalog.adapters.dynamo_repository): one per variant.
    return {"pk": {"S": f"UNIQUE#sku#{sku}"}, "sk": {"S": "UNIQUE"}}


def _stock_conflict(
    current: StockLevel | None, sku: str, location_id: str, intent: dict[str, Any]
) -> Exception:
    if "on_hand" in intent:
        expected = intent.get("expected_version")
        if current is None:
            return _not_found(
                "header.if-match", f"no stock level of {sku} at {location_id} yet: send it without If-Match"
            )
        if expected is None:
            return PreconditionRequired(
                "this stock level exists: send If-Match with the ETag you read", field="header.if-match"
            )
        if current.version != expected:
            return PreconditionFailed(
                "the stock level changed since you read it", field="header.if-match", version=current.version
            )
        message = f"on_hand {intent['on_hand']} is below the {current.reserved} units reserved for orders"
        return Conflict(
            message, errors=[FieldError(field="body.on_hand", message=message, code="below_reserved")]
        )
    available = current.available if current else 0
    if intent["delta"] < 0:
        message = f"only {available} units are available (not reserved); cannot take {-intent['delta']}"
        code = "below_reserved"
    else:
        message = "on_hand would exceed the maximum stock figure"
        code = "too_large"
    return Conflict(
        message, errors=[FieldError(field="body.delta", message=message, code=code)], available=available
    )


def location_document(location: Location) -> dict[str, Any]:
    return json.loads(location.model_dump_json())


__all__ = ["LOCATION_SK", "InventoryStore", "location_document"]
