"""Property tests: whatever the cart and promotions, the figures add up and nothing goes negative."""

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing.domain import (
    AmountOff,
    BuyXGetY,
    Conditions,
    Customer,
    FreeShipping,
    LineSelector,
    PercentOff,
    PricedCart,
    Promotion,
    Scope,
    Stacking,
    TaxClass,
    TaxDisplay,
)
from shop_kernel.money import Money

SKUS = ["A", "B", "C", "D", "E", "F"]

# Skewed towards overlapping, stackable, large discounts: that is where caps and rounding get tested.
selectors = st.one_of(
    st.just(LineSelector()),
    st.just(LineSelector()),
    st.builds(LineSelector, skus=st.frozensets(st.sampled_from(SKUS), max_size=3)),
    st.builds(LineSelector, category_ids=st.frozensets(st.sampled_from(["c1", "c2"]), min_size=1)),
    st.builds(LineSelector, brand_ids=st.frozensets(st.sampled_from(["b1", "b2"]), min_size=1)),
)
basis_points = st.one_of(
    st.sampled_from([10_000, 9_999, 5_000, 3_333]), st.integers(min_value=1, max_value=10_000)
)
euros = st.integers(min_value=1, max_value=20_000).map(lambda a: Money.of(a, "EUR"))
benefits = st.one_of(
    st.builds(PercentOff, basis_points=basis_points, scope=st.sampled_from(Scope), applies_to=selectors),
    st.builds(AmountOff, amounts=st.tuples(euros), scope=st.sampled_from(Scope), applies_to=selectors),
    st.builds(
        BuyXGetY,
        buy_quantity=st.integers(1, 3),
        get_quantity=st.integers(1, 3),
        basis_points=basis_points,
        applies_to=selectors,
        get=st.one_of(st.none(), selectors),
        max_applications=st.one_of(st.none(), st.integers(1, 3)),
    ),
    st.builds(FreeShipping),
)
conditions = st.one_of(
    st.just(Conditions()),
    st.builds(
        Conditions,
        min_subtotal=st.one_of(st.just(()), st.tuples(euros)),
        min_quantity=st.integers(0, 5),
    ),
)


@st.composite
def promotions(draw) -> list[Promotion]:
    count = draw(st.integers(0, 5))
    return [
        Promotion(
            id=f"p{i}",
            name=f"Promotion {i}",
            automatic=True,
            benefit=draw(benefits),
            priority=draw(st.integers(0, 5)),
            stacking=draw(st.sampled_from([Stacking.STACKABLE] * 3 + [Stacking.EXCLUSIVE])),
            stacking_group=draw(st.sampled_from([None, None, "g"])),
            conditions=draw(conditions),
        )
        for i in range(count)
    ]


lines = st.lists(
    st.tuples(
        st.integers(0, 50_000),  # price
        st.integers(1, 20),  # quantity
        st.sampled_from(["c1", "c2"]),
        st.sampled_from(["b1", "b2", None]),
        st.sampled_from(TaxClass),
        st.integers(0, 40),  # grams: keeps every parcel inside a weight band
    ),
    min_size=0,
    max_size=len(SKUS),
)


def check_sums(priced: PricedCart) -> None:
    def total(amounts) -> int:
        return sum(m.amount for m in amounts)

    shipping = [priced.shipping] if priced.shipping else []
    t = priced.totals
    assert t.subtotal.amount == total(line.subtotal for line in priced.lines)
    assert t.discount_total.amount == total(line.discount_total for line in priced.lines) + total(
        s.discount for s in shipping
    )
    assert t.tax_total.amount == total(line.tax for line in priced.lines) + total(s.tax for s in shipping)
    assert t.shipping.amount == total(s.price for s in shipping)
    assert t.grand_total.amount == total(line.total for line in priced.lines) + total(
        s.total for s in shipping
    )
    added_tax = t.tax_total.amount if priced.tax_display is TaxDisplay.EXCLUSIVE else 0
    assert t.grand_total.amount == t.subtotal.amount + t.shipping.amount - t.discount_total.amount + added_tax
    assert t.amount_due.amount == t.grand_total.amount - t.gift_certificates.amount


def check_lines(priced: PricedCart) -> None:
    for line in priced.lines:
        assert line.subtotal.amount == line.unit_price.amount * line.quantity
        assert line.discount_total.amount == sum(d.amount.amount for d in line.discounts)
        assert all(d.amount.amount > 0 for d in line.discounts)
        assert 0 <= line.discount_total.amount <= line.subtotal.amount
        assert 0 <= line.tax.amount <= line.total.amount
    if priced.shipping:
        assert 0 <= priced.shipping.discount.amount <= priced.shipping.price.amount
        assert priced.shipping.tax.amount >= 0


def check_promotions(priced: PricedCart) -> None:
    per_promotion: dict[str, int] = defaultdict(int)
    discounts = [d for line in priced.lines for d in line.discounts] + (
        priced.shipping.discounts if priced.shipping else []
    )
    for discount in discounts:
        per_promotion[discount.promotion_id] += discount.amount.amount
    assert dict(per_promotion) == {a.promotion_id: a.amount.amount for a in priced.applied_promotions}


def check_tender(priced: PricedCart) -> None:
    t = priced.totals
    assert t.gift_certificates.amount == sum(g.amount.amount for g in priced.gift_certificates)
    assert 0 <= t.gift_certificates.amount <= t.grand_total.amount
    assert t.amount_due.amount >= 0
    for g in priced.gift_certificates:
        assert g.balance_after.amount == g.balance_before.amount - g.amount.amount >= 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cart=lines,
    offers=promotions(),
    country=st.sampled_from(["DE", "FR", "US", "CH"]),
    display=st.sampled_from([None, TaxDisplay.INCLUSIVE, TaxDisplay.EXCLUSIVE]),
    balances=st.lists(st.integers(1, 100_000), max_size=2),
)
def test_totals_always_add_up(new_shop, cart, offers, country, display, balances):
    # GIVEN any cart, any automatic promotions and certificates
    shop = new_shop()
    for sku, (price, _, category, brand, tax_class, grams) in zip(SKUS, cart, strict=False):
        shop.item(sku, price, categories=[category], brand=brand, tax_class=tax_class, weight=grams)
    for offer in offers:
        shop.promote(offer)
    for i, balance in enumerate(balances):
        shop.certificate(f"GC{i}", balance)
    wanted = [(sku, spec[1]) for sku, spec in zip(SKUS, cart, strict=False)]
    customer = Customer(id="cus_1", tax_display=display)
    certificates = [f"GC{i}" for i in range(len(balances))]
    # WHEN priced twice
    priced = shop.price(wanted, country=country, customer=customer, certificates=certificates)
    # THEN every order figure is the sum of its parts, nothing is negative, and the result is reproducible
    check_sums(priced)
    check_lines(priced)
    check_promotions(priced)
    check_tender(priced)
    assert shop.price(wanted, country=country, customer=customer, certificates=certificates) == priced
