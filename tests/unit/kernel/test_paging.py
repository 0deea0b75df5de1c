"""The kernel's paging helpers, the one place that follows ``LastEvaluatedKey``, against a moto table.

Pages are made small with ``Limit`` so every helper has to follow (or stop at) a page boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shop_kernel.dynamo import CursorCodec, pages, query_all, query_items, query_page, signed_page
from shop_kernel.errors import ValidationFailed
from tests.unit.kernel.conftest import recording_table

TABLE = "paging-test"
PARTITION = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "LIST"}}}


@pytest.fixture
def client(aws_credentials: None) -> Iterator[Any]:
    """A table with five items in one partition, and the operations its client sends."""
    with recording_table(TABLE, range_key=True) as dynamodb:
        for n in range(5):
            dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "LIST"}, "sk": {"S": f"{n:02d}"}})
        dynamodb.sent.clear()
        yield dynamodb


def _sks(items: list[dict[str, Any]]) -> list[str]:
    return [i["sk"]["S"] for i in items]


def test_a_query_is_followed_to_its_last_page_and_no_further_than_its_reader_goes(client: Any) -> None:
    # GIVEN five items read two at a time
    # WHEN they are read all, then only until the first one
    everything = query_all(client, TableName=TABLE, Limit=2, **PARTITION)
    calls_for_all = len(client.sent)
    first = next(query_items(client, TableName=TABLE, Limit=2, **PARTITION))
    # THEN every item came, in three calls, and the reader that stopped early cost one call
    assert _sks(everything) == ["00", "01", "02", "03", "04"]
    assert calls_for_all == 3
    assert first["sk"]["S"] == "00"
    assert len(client.sent) == 4


def test_scan_pages_are_the_raw_responses_with_their_counts(client: Any) -> None:
    # GIVEN a count-only Scan two items a page
    # WHEN its pages are read
    counts = [page["Count"] for page in pages(client.scan, TableName=TABLE, Select="COUNT", Limit=2)]
    # THEN every page is there and they add up to the table
    assert sum(counts) == 5
    assert len(counts) >= 3


def test_a_page_starts_after_the_key_the_previous_one_ended_on(client: Any) -> None:
    # GIVEN the first page of two
    first, after = query_page(client, 2, None, TableName=TABLE, **PARTITION)
    # WHEN the rest is read from its key, up to ten
    rest, end = query_page(client, 10, after, TableName=TABLE, **PARTITION)
    # THEN the pages follow each other and the last one has no key after it
    assert _sks(first) == ["00", "01"]
    assert after is not None
    assert _sks(rest) == ["02", "03", "04"]
    assert end is None


def test_signed_pages_hand_out_cursors_only_their_own_listing_accepts(client: Any) -> None:
    # GIVEN a codec for this table and a first page of the listing "five"
    codec = CursorCodec(TABLE, lambda: b"paging-secret")
    first, cursor = signed_page(client, codec, "five", None, 2, TableName=TABLE, **PARTITION)
    # WHEN the next page is asked with that cursor, and with it for another listing or tampered with
    second, _ = signed_page(client, codec, "five", cursor, 2, TableName=TABLE, **PARTITION)
    # THEN the cursor continues its own listing and is a 400 on query.cursor anywhere else
    assert _sks(first) == ["00", "01"]
    assert _sks(second) == ["02", "03"]
    assert cursor is not None
    for scope, forged in (("other", cursor), ("five", cursor[:-2] + "xx")):
        with pytest.raises(ValidationFailed) as refused:
            signed_page(client, codec, scope, forged, 2, TableName=TABLE, **PARTITION)
        assert refused.value.errors[0].field == "query.cursor"
