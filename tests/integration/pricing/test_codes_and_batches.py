"""Promo codes and code batches through pricing-api; the batch generator driven by the table's stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pricing import contract
from pricing.domain import Cart, CodeRedemption, Customer
from pricing.domain.codes import validate_codes
from shop_kernel.errors import ValidationFailed
from tests.integration.pricing.conftest import SPRING
from tests.support import Reply, TableStream

CODES = "/admin/promotions/promo_spring/codes"


def _promotion(call: Callable[..., Reply]) -> None:
    assert call("POST", "/admin/promotions", {**SPRING, "id": "promo_spring"}).status == 201


def test_a_code_is_unique_whatever_its_case(call: Callable[..., Reply]) -> None:
    # GIVEN a promotion; WHEN a code is created, then the same code in other case
    _promotion(call)
    created = call("POST", CODES, {"code": " spring500 ", "usage_limit": 1000})
    again = call("POST", CODES, {"code": "SPRING500"})
    # THEN it is stored upper-cased and the second is a 409; it reads back by any case
    assert created.status == 201, created.body
    assert created.body["code"] == "SPRING500"
    assert again.status == 409
    read = call("GET", f"{CODES}/Spring500")
    assert (read.status, read.body["uses"], read.body["customers"]) == (200, 0, 0)
    assert call("POST", CODES, {"code": "no spaces inside"}).status == 422
    assert call("GET", "/admin/promotions/other/codes/SPRING500").status == 404


def test_a_disabled_code_is_refused_by_what_cart_and_checkout_use(
    call: Callable[..., Reply], pricing_stack: SimpleNamespace
) -> None:
    # GIVEN a code of an active promotion
    _promotion(call)
    call("POST", CODES, {"code": "SPRING500"})
    # WHEN it is disabled (twice)
    disabled = call("POST", f"{CODES}/SPRING500/disable")
    assert disabled.status == 200
    assert disabled.body["disabled_at"]
    assert call("POST", f"{CODES}/SPRING500/disable").body == disabled.body
    # THEN the code check cart and checkout run (over what they read through pricing's contract) refuses it
    keys = [contract.promotions_config_key(), *contract.usage_keys("SPRING500", None)]
    items = [pricing_stack.dynamodb.get_item(TableName=pricing_stack.table, Key=k)["Item"] for k in keys]
    prefetched = contract.Prefetched(items)
    cart = Cart.model_validate(
        {"currency": "UAH", "destination_country": "UA", "lines": [], "promo_codes": ["spring500"]}
    )
    with pytest.raises(ValidationFailed) as refused:
        validate_codes(cart, Customer(), datetime.now(UTC), prefetched, prefetched, "cart")
    assert [e.code for e in refused.value.errors] == ["disabled"]
    # AND checkout's redemption write, had it priced the code before, counts no use
    redemption = CodeRedemption(
        code="SPRING500",
        promotion_id="promo_spring",
        customer_key=None,
        usage_limit=None,
        per_customer_limit=None,
    )
    part = contract.redeem_code(pricing_stack.table, redemption)
    with pytest.raises(ClientError):
        pricing_stack.dynamodb.transact_write_items(TransactItems=list(part.entries))
    assert call("GET", f"{CODES}/SPRING500").body["uses"] == 0


def test_a_batch_is_generated_in_chunks_from_the_stream_and_exported(
    call: Callable[..., Reply],
    functions: Any,
    lambda_context: Any,
    batch_stream: TableStream,
    monkeypatch: Any,
) -> None:
    # GIVEN a promotion and a code a merchandiser typed; chunks of 4 codes
    from pricing.handlers import code_batches

    monkeypatch.setattr(code_batches, "CHUNK", 4)
    _promotion(call)
    # WHEN a batch of 10 is asked for
    accepted = call("POST", "/admin/promotions/promo_spring/code-batches", {"count": 10, "prefix": "spr"})
    assert accepted.status == 202, accepted.body
    batch_id = accepted.body["id"]
    progress = f"/admin/promotions/promo_spring/code-batches/{batch_id}"
    assert call("GET", progress).body["generated"] == 0
    # AND the stream brings the batch, and each change of its progress, to the generator
    seen = []
    for _ in range(6):
        records = batch_stream.batch()
        if not records["Records"]:
            break
        assert functions.invoke("pricing-code-batches", records, lambda_context)["batchItemFailures"] == []
        seen.append(call("GET", progress).body["generated"])
    # THEN it moved 4, 8, 10 and completed, with start and finish times
    assert seen[:3] == [4, 8, 10]
    batch = call("GET", progress).body
    assert (batch["status"], batch["started_at"] is not None, batch["finished_at"] is not None) == (
        "completed",
        True,
        True,
    )
    # AND the export lists 10 distinct single-use codes SPR-XXXXXXXXXX in index order, a page at a time
    first = call("GET", f"{progress}/codes", query={"limit": "6"})
    rest = call("GET", f"{progress}/codes", query={"cursor": first.body["next_cursor"]})
    codes = first.body["items"] + rest.body["items"]
    assert [c["batch_index"] for c in codes] == list(range(10))
    assert len({c["code"] for c in codes}) == 10
    assert all(c["code"].startswith("SPR-") and len(c["code"]) == 14 and c["usage_limit"] == 1 for c in codes)


def test_a_replayed_chunk_writes_the_same_codes_and_a_collision_moves_to_the_next_code(
    call: Callable[..., Reply],
    functions: Any,
    lambda_context: Any,
    batch_stream: TableStream,
    pricing_stack: SimpleNamespace,
) -> None:
    # GIVEN a batch of 3 whose first code a merchandiser already created by hand
    from pricing.adapters.back_office import batch_seed
    from pricing.domain.back_office import batch_code

    _promotion(call)
    accepted = call("POST", "/admin/promotions/promo_spring/code-batches", {"count": 3})
    item = pricing_stack.dynamodb.get_item(
        TableName=pricing_stack.table, Key={"pk": {"S": f"BATCH#{accepted.body['id']}"}, "sk": {"S": "BATCH"}}
    )["Item"]
    taken = batch_code(batch_seed(item), "", 0)
    assert call("POST", CODES, {"code": taken}).status == 201
    # WHEN the batch's first record is delivered twice
    records = batch_stream.batch()
    for _ in range(2):
        assert functions.invoke("pricing-code-batches", records, lambda_context)["batchItemFailures"] == []
    # THEN 3 codes, the hand-made one untouched and index 0 moved to its next attempt; progress counted once
    progress = call("GET", f"/admin/promotions/promo_spring/code-batches/{accepted.body['id']}").body
    assert (progress["generated"], progress["status"]) == (3, "completed")
    exported = call("GET", f"/admin/promotions/promo_spring/code-batches/{accepted.body['id']}/codes").body[
        "items"
    ]
    assert [c["code"] for c in exported] == [
        batch_code(batch_seed(item), "", i, 1 if i == 0 else 0) for i in range(3)
    ]
    assert call("GET", f"{CODES}/{taken}").body["batch_id"] is None
    assert len(call("GET", CODES).body["items"]) == 4


def test_batches_are_validated_and_refused_for_archived_promotions(call: Callable[..., Reply]) -> None:
    # GIVEN a promotion; WHEN batches out of bounds are asked for; THEN 422
    _promotion(call)
    for body in ({"count": 0}, {"count": 100_001}, {"count": 5, "prefix": "no-dash"}):
        assert call("POST", "/admin/promotions/promo_spring/code-batches", body).status == 422, body
    # AND once archived, no batch and no code (409); an unknown batch is a 404
    call("POST", "/admin/promotions/promo_spring/archive")
    assert call("POST", "/admin/promotions/promo_spring/code-batches", {"count": 5}).status == 409
    assert call("POST", CODES, {"code": "LATE1"}).status == 409
    assert (
        call("GET", "/admin/promotions/promo_spring/code-batches/batch_01JD0000000000000000000000").status
        == 404
    )
