"""The order item's stored form: the order's JSON compressed, read back whichever way it arrives."""

from __future__ import annotations

import base64
import json

from orders.adapters.records import order_from_item, order_item, read_partition
from shop_kernel.dynamo import deserialize
from tests.integration.orders.conftest import customer_order


def test_an_order_is_stored_compressed_to_under_half_its_json_and_read_back_whole() -> None:
    # GIVEN an authorised customer's order
    order = customer_order()
    # WHEN it is laid out as its item
    item = order_item(order)
    # THEN the document is binary and under half the JSON's size, and reads back as the same order
    assert "B" in item["doc"]
    assert len(item["doc"]["B"]) * 2 < len(order.model_dump_json())
    assert order_from_item(item) == order
    assert read_partition([item]).order == order


def test_an_order_arrives_whole_from_a_stream_record_and_from_an_item_written_before_compression() -> None:
    # GIVEN the same order as a Lambda stream record carries it (binary as base64 text) and as items
    # written before compression held it (the JSON as a string)
    order = customer_order()
    item = order_item(order)
    streamed = {**item, "doc": {"B": base64.b64encode(item["doc"]["B"]).decode()}}
    older = {**item, "doc": {"S": order.model_dump_json()}}
    # WHEN each is read
    # THEN each is the order
    assert order_from_item(json.loads(json.dumps(streamed))) == order
    assert order_from_item(older) == order
    assert deserialize(older)["doc"] == order.model_dump_json()
