"""The orders context's own reads and writes on the orders table (layout: ``orders.adapters.records``).

* ``order_page``: the order with its timeline, shipments and stage: one consistent Query of its partition.
* ``orders``: several orders with their stages (one BatchGetItem of the orders and progress items).
* ``search``: staff search (``orders.domain.search``): one Query of a gsi1 partition, one BatchGetItem.
* ``project``: an event's timeline entry written once (conditional on the event id); for an event that can
  move the stage (placed, confirmed, cancelled, a shipment's news), the shipment updated only by a newer
  report, then the order's partition read again and its progress written from everything known (never by
  a computation that saw less), with its e-mail and phone lookups the first time. One Put for the other
  events; two or three Puts and one Query for those, each write idempotent on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orders.adapters import records
from orders.domain.models import Order
from orders.domain.projection import Projected
from orders.domain.search import SearchCriteria
from orders.domain.timeline import Shipment, Stage, TimelineEntry, stage_of
from shop_kernel.dynamo import CursorCodec, batch_get_all, deserialize, query_all, signed_page


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class OrderNotYetKnown(Exception):
    """An event about an order this table does not hold yet: retried (checkout writes it first)."""


@dataclass(frozen=True)
class Outcome:
    """What projecting one event did: whether it was new, and the order's stage before and after."""

    new: bool
    order: Order
    before: Stage | None
    after: Stage


@dataclass(frozen=True)
class OrderPage:
    order: Order
    stage: Stage
    entries: tuple[TimelineEntry, ...]
    shipments: tuple[Shipment, ...]


class DynamoOrders:
    def __init__(self, client: Any, table: str, cursors: Callable[[], CursorCodec]) -> None:
        self._client = client
        self._table = table
        self._cursors = cursors

    # --- reads --------------------------------------------------------------------------------

    def _partition(self, order_id: str) -> records.Partition:
        return records.read_partition(
            query_all(self._client, **records.partition_query(self._table, order_id))
        )

    def order_page(self, order_id: str) -> OrderPage | None:
        found = self._partition(order_id)
        if found.order is None:
            return None
        stage = stage_of(found.order, found.entries, found.shipments)
        return OrderPage(found.order, stage, found.entries, found.shipments)

    def orders(self, order_ids: Sequence[str]) -> list[tuple[Order, Stage]]:
        """The orders with these ids and their stages, in the order asked (at most 50)."""
        if not order_ids:
            return []
        keys = [records.order_key(i) for i in order_ids] + [records.progress_key(i) for i in order_ids]
        found = batch_get_all(self._client, {self._table: {"Keys": keys}}).get(self._table, [])
        orders: dict[str, Order] = {}
        stages: dict[str, Stage] = {}
        for raw in found:
            item = deserialize(raw)
            if item.get("type") == "order":
                orders[item["order_id"]] = Order.model_validate_json(item["doc"])
            elif item.get("type") == "progress":
                stages[item["order_id"]] = Stage(item["stage"])
        return [(orders[i], stages.get(i) or stage_of(orders[i], (), ())) for i in order_ids if i in orders]

    def orders_of(self, kind: str, key: str, limit: int) -> list[tuple[Order, Stage]]:
        return self.orders(records.buyer_order_ids(self._client, self._table, kind, key, limit))

    def search(
        self, criteria: SearchCriteria, cursor: str | None, limit: int
    ) -> tuple[list[tuple[Order, Stage]], str | None]:
        if criteria.order_id:
            page = self.order_page(criteria.order_id)
            return ([(page.order, page.stage)] if page else []), None
        since = criteria.since.isoformat() if criteria.since else None
        until = criteria.until.isoformat() if criteria.until else None
        if criteria.email:
            request = records.lookup_query(self._table, records.email_lookup(criteria.email), since, until)
        elif criteria.phone:
            request = records.lookup_query(self._table, records.phone_lookup(criteria.phone), since, until)
        elif criteria.stage is Stage.PENDING_PAYMENT:
            request = records.lookup_query(self._table, records.PENDING_PAYMENT_GSI_PK, since, until)
        else:
            assert criteria.stage is not None
            request = records.lookup_query(self._table, records.stage_lookup(criteria.stage), since, until)
        scope = f"{request['ExpressionAttributeValues'][':pk']['S']}|{since}|{until}|{criteria.stage}"
        items, after = signed_page(self._client, self._cursors(), scope, cursor, limit, **request)
        found = self.orders([deserialize(i)["order_id"] for i in items])
        if criteria.filters_stage:
            found = [(order, stage) for order, stage in found if stage is criteria.stage]
        return found, after

    # --- writes -------------------------------------------------------------------------------

    def _put_once(self, request: dict[str, Any]) -> bool:
        """A conditional Put; False when its condition failed (a replay, or an older report)."""
        try:
            self._client.put_item(**request)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _write_shipment(self, order_id: str, shipment: Shipment) -> None:
        """The newest report of a shipment; an older one still leaves what only it knows (the kind)."""
        try:
            self._client.update_item(**records.shipment_update(self._table, order_id, shipment))
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            kind = records.kind_update(self._table, order_id, shipment)
            if kind is not None:
                self._client.update_item(**kind)

    def record(self, order_id: str, entry: TimelineEntry) -> bool:
        """One entry on the order's timeline that moves no stage (a request); False if it was there already."""
        return self._put_once(records.entry_put(self._table, order_id, entry))

    def project(self, projected: Projected) -> Outcome | None:
        """What one event means for its order, once. An entry that can move neither the stage nor a
        shipment (a capture, a refund, a dropped line) is only written (one Put): None. Otherwise the
        partition is read again and the progress written from everything known."""
        new = self._put_once(records.entry_put(self._table, projected.order_id, projected.entry))
        if projected.entry.stage is None and projected.shipment is None:
            return None
        if projected.shipment is not None:
            self._write_shipment(projected.order_id, projected.shipment)
        found = self._partition(projected.order_id)
        if found.order is None:
            raise OrderNotYetKnown(projected.order_id)
        for lookup in records.lookup_puts(self._table, found.order):
            if deserialize(lookup["Item"])["sk"] not in found.lookups:
                self._client.put_item(**lookup)
        stage = stage_of(found.order, found.entries, found.shipments)
        self._put_once(records.progress_put(self._table, found.order, stage.value, found.size))
        return Outcome(new, found.order, Stage(found.stage) if found.stage else None, stage)
