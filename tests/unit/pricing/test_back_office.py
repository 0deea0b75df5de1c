"""The back office's pure rules: computed status, drafts, deterministic batch codes, report figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pricing.domain.back_office import (
    CODE_ALPHABET,
    BatchStatus,
    CodeBatch,
    CodeDraft,
    PromotionDraft,
    PromotionStatus,
    batch_code,
    campaign_report,
    shares_of_placed_order,
    status_of,
)
from pricing.domain.promotions import Promotion
from shop_kernel.money import Money

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BENEFIT = {"kind": "percent_off", "basis_points": 1000}


def _promotion(**window: str) -> Promotion:
    return Promotion.model_validate({"id": "promo_x", "name": "X", "benefit": BENEFIT, **window})


@pytest.mark.parametrize(
    ("window", "archived_at", "expected"),
    [
        ({}, None, PromotionStatus.ACTIVE),
        ({"starts_at": "2026-12-03T12:00:00Z"}, None, PromotionStatus.ACTIVE),
        ({"starts_at": "2026-12-03T12:00:01Z"}, None, PromotionStatus.SCHEDULED),
        ({"ends_at": "2026-12-03T12:00:00Z"}, None, PromotionStatus.EXPIRED),
        ({"ends_at": "2026-12-03T12:00:01Z"}, None, PromotionStatus.ACTIVE),
        ({}, "2026-12-01T00:00:00.000000Z", PromotionStatus.ARCHIVED),
    ],
)
def test_status_follows_the_half_open_window_and_archiving_wins(
    window: dict[str, str], archived_at: str | None, expected: PromotionStatus
) -> None:
    # GIVEN a promotion with a window; WHEN its status is computed at NOW; THEN [starts_at, ends_at) holds
    assert status_of(_promotion(**window), archived_at, NOW) is expected


def test_a_draft_becomes_a_promotion_validated_as_cart_reads_it() -> None:
    # GIVEN a draft without an id; WHEN it is given one; THEN it is the promotion cart and checkout read
    draft = PromotionDraft.model_validate({"name": "X", "benefit": BENEFIT})
    assert draft.as_promotion("promo_1") == _promotion().model_copy(update={"id": "promo_1"})
    # AND a window in the wrong order or an id with spaces is refused
    with pytest.raises(ValidationError):
        PromotionDraft.model_validate(
            {
                "name": "X",
                "benefit": BENEFIT,
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
            }
        )
    with pytest.raises(ValidationError):
        PromotionDraft.model_validate({"id": "a b", "name": "X", "benefit": BENEFIT})


def test_codes_are_normalised_and_checked() -> None:
    # GIVEN codes as people type them; THEN trimmed and upper-cased; too short or with spaces refused
    assert CodeDraft(code=" spring-500 ").as_code("promo_x").code == "SPRING-500"
    for bad in ("ab", "two words", "-LEADING"):
        with pytest.raises(ValidationError):
            CodeDraft(code=bad)


def test_batch_codes_are_deterministic_per_seed_index_and_attempt() -> None:
    # GIVEN a seed; WHEN codes are derived twice
    seed = bytes(range(32))
    codes = [batch_code(seed, "spr", i) for i in range(1000)]
    # THEN the same inputs give the same code, indexes and attempts differ, another seed differs
    assert codes == [batch_code(seed, "spr", i) for i in range(1000)]
    assert len(set(codes)) == 1000
    assert batch_code(seed, "spr", 0, 1) != codes[0]
    assert batch_code(bytes(32), "spr", 0) != codes[0]
    # AND each reads PREFIX-XXXXXXXXXX in Crockford's alphabet (no I, L, O, U); no prefix, no dash
    assert all(c.startswith("SPR-") and set(c[4:]) <= set(CODE_ALPHABET) and len(c) == 14 for c in codes)
    assert len(batch_code(seed, "", 0)) == 10


def test_a_batch_plans_its_next_chunk() -> None:
    # GIVEN a batch of 2500 with 2000 generated; THEN the next chunk of 1000 is the last 500, then none
    batch = CodeBatch(
        id="batch_1",
        promotion_id="promo_x",
        requested=2500,
        generated=2000,
        prefix="",
        usage_limit=1,
        per_customer_limit=None,
        status=BatchStatus.GENERATING,
        created_at="t",
    )
    assert batch.next_indexes(1000) == range(2000, 2500)
    assert not batch.model_copy(update={"generated": 2500}).next_indexes(1000)


def test_an_order_shares_per_promotion_and_the_report_sums_per_currency() -> None:
    # GIVEN an OrderPlaced naming one promotion twice (two codes) and another once
    data = {
        "totals": {"grand_total": {"amount": 10_000, "currency": "UAH"}},
        "promotions": [
            {"promotion_id": "p1", "code": "A", "amount": {"amount": 100, "currency": "UAH"}},
            {"promotion_id": "p2", "code": None, "amount": {"amount": 50, "currency": "UAH"}},
            {"promotion_id": "p1", "code": "B", "amount": {"amount": 20, "currency": "UAH"}},
        ],
    }
    # WHEN its shares are taken; THEN one per promotion, its discounts summed, the order's total as revenue
    shares = shares_of_placed_order(data)
    assert [(s.promotion_id, s.discount.amount, s.revenue.amount) for s in shares] == [
        ("p1", 120, 10_000),
        ("p2", 50, 10_000),
    ]
    # AND an OrderPlaced 2.0 (no promotions) shares nothing
    assert shares_of_placed_order({"totals": data["totals"]}) == []
    # AND the report is Money per currency, redemptions across them
    report = campaign_report(
        "p1",
        [
            {"currency": "UAH", "orders": 2, "cancelled": 1, "discount": 240, "revenue": 20_000},
            {"currency": "EUR", "orders": 1, "discount": 5, "revenue": 900},
        ],
    )
    assert report.redemptions == 3
    assert [f.currency for f in report.currencies] == ["EUR", "UAH"]
    assert report.currencies[1].discount_cost == Money.of(240, "UAH")
