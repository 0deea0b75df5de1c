"""Stacking: priority order, exclusive promotions, stacking groups, one candidate per promotion."""

from pricing.domain import AmountOff, Conditions, PercentOff, PromoCode, Promotion, RejectionReason, Stacking
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def promotion(pid: str, benefit, *, automatic=False, **fields) -> Promotion:
    return Promotion(id=pid, name=pid.title(), benefit=benefit, automatic=automatic, **fields)


def code(text: str, pid: str, **limits) -> PromoCode:
    return PromoCode(code=text, promotion_id=pid, **limits)


def rejected(priced) -> list[tuple[str, RejectionReason]]:
    return [(r.code, r.reason) for r in priced.rejected_codes]


def test_priority_decides_the_order_and_later_discounts_see_what_is_left(shop):
    # GIVEN 5.00 off and 10% off, both automatic, on an item at 10.00
    shop.item("A", 1000)
    shop.promote(promotion("five", AmountOff(amounts=(eur(500),)), automatic=True, priority=10))
    shop.promote(promotion("ten", PercentOff(basis_points=1000), automatic=True, priority=20))
    # WHEN priced THEN 5.00 first, then 10% of the remaining 5.00
    priced = shop.price([("A", 1)])
    assert [(d.promotion_id, d.amount) for d in priced.lines[0].discounts] == [
        ("five", eur(500)),
        ("ten", eur(50)),
    ]
    # AND with the priorities swapped, 10% of 10.00 first, then 5.00
    shop.promote(promotion("ten", PercentOff(basis_points=1000), automatic=True, priority=5))
    swapped = shop.price([("A", 1)])
    assert [(d.promotion_id, d.amount) for d in swapped.lines[0].discounts] == [
        ("ten", eur(100)),
        ("five", eur(500)),
    ]


def test_equal_priorities_apply_in_id_order(shop):
    shop.item("A", 1000)
    shop.promote(promotion("b-second", AmountOff(amounts=(eur(100),)), automatic=True))
    shop.promote(promotion("a-first", PercentOff(basis_points=5000), automatic=True))
    priced = shop.price([("A", 1)])
    assert [a.promotion_id for a in priced.applied_promotions] == ["a-first", "b-second"]
    assert priced.lines[0].discount_total == eur(600)


def test_an_exclusive_promotion_blocks_every_lower_priority_one(shop):
    # GIVEN an exclusive automatic 20% (priority 10) and a stackable code (priority 20)
    shop.item("A", 1000)
    shop.promote(
        promotion(
            "vip", PercentOff(basis_points=2000), automatic=True, priority=10, stacking=Stacking.EXCLUSIVE
        )
    )
    shop.promote(promotion("extra", AmountOff(amounts=(eur(100),)), priority=20), code("EXTRA", "extra"))
    # WHEN the code is entered
    priced = shop.price([("A", 1)], codes=["EXTRA"])
    # THEN only the exclusive promotion applies; the code is reported and not redeemed
    assert [a.promotion_id for a in priced.applied_promotions] == ["vip"]
    assert rejected(priced) == [("EXTRA", RejectionReason.BLOCKED_BY_EXCLUSIVE)]
    assert priced.redemptions.promo_codes == []


def test_an_exclusive_promotion_does_not_join_promotions_already_applied(shop):
    shop.item("A", 1000)
    shop.promote(promotion("auto", PercentOff(basis_points=1000), automatic=True, priority=10))
    shop.promote(
        promotion("solo", PercentOff(basis_points=3000), priority=20, stacking=Stacking.EXCLUSIVE),
        code("SOLO", "solo"),
    )
    priced = shop.price([("A", 1)], codes=["SOLO"])
    assert [a.promotion_id for a in priced.applied_promotions] == ["auto"]
    assert rejected(priced) == [("SOLO", RejectionReason.NOT_COMBINABLE)]


def test_an_exclusive_promotion_that_does_not_apply_blocks_nothing(shop):
    shop.item("A", 1000)
    big_spender = Conditions(min_subtotal=(eur(100_000),))
    shop.promote(
        promotion(
            "vip",
            PercentOff(basis_points=2000),
            automatic=True,
            priority=1,
            stacking=Stacking.EXCLUSIVE,
            conditions=big_spender,
        )
    )
    shop.promote(promotion("ten", PercentOff(basis_points=1000), automatic=True, priority=2))
    assert [a.promotion_id for a in shop.price([("A", 1)]).applied_promotions] == ["ten"]


def test_one_promotion_per_stacking_group(shop):
    # GIVEN two order-level percentages in the same group, and a fixed amount outside it
    shop.item("A", 1000)
    shop.promote(
        promotion("p15", PercentOff(basis_points=1500), priority=10, stacking_group="order_percent"),
        code("P15", "p15"),
    )
    shop.promote(
        promotion("p10", PercentOff(basis_points=1000), priority=20, stacking_group="order_percent"),
        code("P10", "p10"),
    )
    shop.promote(promotion("one", AmountOff(amounts=(eur(100),)), automatic=True, priority=30))
    # WHEN both codes are entered
    priced = shop.price([("A", 1)], codes=["P10", "P15"])
    # THEN the higher-priority percentage and the fixed amount apply: 1.50 + 1.00
    assert [a.promotion_id for a in priced.applied_promotions] == ["p15", "one"]
    assert rejected(priced) == [("P10", RejectionReason.STACKING_GROUP_TAKEN)]
    assert priced.lines[0].discount_total == eur(250)
    assert [r.code for r in priced.redemptions.promo_codes] == ["P15"]


def test_two_codes_of_one_promotion_count_once(shop):
    shop.item("A", 1000)
    shop.promote(promotion("p10", PercentOff(basis_points=1000)), code("ALPHA", "p10"), code("BETA", "p10"))
    priced = shop.price([("A", 1)], codes=["ALPHA", "BETA"])
    assert priced.lines[0].discount_total == eur(100)
    assert rejected(priced) == [("BETA", RejectionReason.SAME_PROMOTION)]
    assert [r.code for r in priced.redemptions.promo_codes] == ["ALPHA"]


def test_a_code_for_an_automatic_promotion_applies_it_once_and_is_counted(shop):
    shop.item("A", 1000)
    shop.promote(
        promotion("p10", PercentOff(basis_points=1000), automatic=True), code("TEN", "p10", usage_limit=5)
    )
    priced = shop.price([("A", 1)], codes=["TEN"])
    assert [(a.promotion_id, a.code) for a in priced.applied_promotions] == [("p10", "TEN")]
    assert priced.lines[0].discount_total == eur(100)
    assert [r.code for r in priced.redemptions.promo_codes] == ["TEN"]


def test_same_inputs_give_the_same_result(shop):
    shop.item("A", 1234)
    shop.item("B", 999)
    shop.promote(promotion("p", PercentOff(basis_points=1234), automatic=True))
    shop.promote(promotion("q", AmountOff(amounts=(eur(333),)), automatic=True, priority=1))
    first = shop.price([("A", 3), ("B", 7)])
    assert shop.price([("A", 3), ("B", 7)]) == first
