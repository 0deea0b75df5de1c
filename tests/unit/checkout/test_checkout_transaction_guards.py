"""``CheckoutService.place`` writes one order per cart version, with every stock, code and certificate
condition in its one transaction, and explains each refusal the way the shopper needs it.

Pure domain: the service over in-memory ports (see ``checkout_doubles``); the moto-backed versions of the
main paths are in ``tests/integration/checkout``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cart.domain.models import CartOwner, CartStatus, Line, OwnerKind
from checkout.domain.orders import checkout_ref, intent_key
from checkout.domain.service import MAX_ATTEMPTS, MAX_TRANSACTION_ITEMS, Placed
from checkout.domain.throttle import AttemptLimits
from orders.domain.models import Buyer, OrderStatus
from pricing.domain import (
    AmountOff,
    FlatRate,
    ListPrice,
    PromoCode,
    Promotion,
    RuleBasedCarrierQuotes,
    ShippingRule,
)
from shop_kernel.clock import isoformat
from shop_kernel.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shop_kernel.limits import TooManyAttempts
from shop_kernel.money import Money
from tests.certificates import certificate_pk
from tests.unit.checkout.checkout_doubles import (
    BODY,
    BUYER,
    NOW,
    Refusal,
    checked_out_cart_item,
    eur,
    index_of,
    open_cart,
    refuse,
    shop,
    sku_facts,
)
from tests.unit.inventory.conftest import level, location


def _fields(error: ValidationFailed | Conflict) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in error.errors]


def test_one_transaction_closes_the_cart_writes_the_order_and_reserves_each_unit() -> None:
    # GIVEN a guest cart at version 3 with 2 x A (10.00 EUR each), 5 in stock
    s = shop()
    # WHEN the guest checks out
    placed = s.place()
    # THEN one transaction: the cart closed only if still at version 3 and open ...
    (entries,) = s.store.transactions
    cart = entries[index_of(entries, "cart")]["Update"]
    assert cart["ExpressionAttributeValues"][":v"] == {"N": "3"}
    assert cart["ExpressionAttributeValues"][":order"] == {"S": placed.order.id}
    assert cart["ExpressionAttributeValues"][":ref"] == {"S": checkout_ref(BUYER, "key-1")}
    assert cart["ExpressionAttributeValues"][":at"] == {"S": isoformat(NOW)}
    # ... the order put only if new ...
    order_put = entries[index_of(entries, "order")]["Put"]
    assert order_put["ConditionExpression"] == "attribute_not_exists(pk)"
    # ... 2 units taken from available only if 2 are available, and the reservation
    stock = entries[index_of(entries, "stock")]["Update"]
    assert stock["ConditionExpression"] == "available >= :q"
    assert stock["ExpressionAttributeValues"][":q"] == {"N": "2"}
    hold = entries[-1]["Put"]["Item"]
    assert (hold["reservation_id"], hold["order_id"]) == (
        {"S": placed.order.reservation_id},
        {"S": placed.order.id},
    )
    # AND the order asks the shopper's card for the order's amount, under a key made from the order
    order = placed.order
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert s.stripe.created == [(order.id, order.totals.amount_due.amount, "EUR", intent_key(order))]
    assert order.totals.amount_due.amount > 0
    assert order.payment.intent_id == "pi_1"
    assert placed.client_secret == "pi_1_secret"
    assert placed.view()["payment"] == {
        "provider": "stripe",
        "payment_intent_id": "pi_1",
        "client_secret": "pi_1_secret",
        "amount": order.payment.amount.model_dump(),
        "pay_by": order.payment_due_by,
    }
    assert placed.view()["order"] == order.view()
    assert s.store.orders[order.id].payment.intent_id == "pi_1"


def test_a_guest_pays_retail_whatever_price_group_the_request_names() -> None:
    # GIVEN SKU A at 10.00 retail and 6.00 on the b2b price list
    b2b = ListPrice(price_list="b2b", amount=eur(600), includes_tax=False)
    s = shop(
        A=sku_facts("A", prices=(ListPrice(price_list="retail", amount=eur(1000), includes_tax=True), b2b))
    )
    # WHEN a guest checks out with a buyer claiming the b2b group
    placed = s.place(buyer=BUYER.model_copy(update={"price_group": "b2b"}))
    # THEN the order is priced at retail
    assert placed.order.totals.subtotal == eur(2000)
    assert s.store.customers[0].group == "retail"


def test_a_signed_in_business_customer_pays_the_groups_price() -> None:
    # GIVEN the same SKU with a b2b price, and a customer of that group
    b2b = ListPrice(price_list="b2b", amount=eur(600), includes_tax=False)
    s = shop(
        A=sku_facts("A", prices=(ListPrice(price_list="retail", amount=eur(1000), includes_tax=True), b2b))
    )
    customer = Buyer(kind="customer", key="cus-1", email="buyer@firm.example", price_group="b2b")
    # WHEN they check out
    placed = s.place(owner=CartOwner(kind=OwnerKind.CUSTOMER, key="cus-1"), buyer=customer)
    # THEN the group's price list prices the order
    assert placed.order.totals.subtotal == eur(1200)
    assert s.store.customers[0].id == "cus-1"


@pytest.mark.parametrize("kind", ["stock", "stock-contention"], ids=["stock-condition", "contention"])
def test_a_lost_stock_race_plans_again_and_places_the_order(kind: str) -> None:
    # GIVEN another buyer wins the first transaction (a stock condition fails, or DynamoDB reports contention)
    s = shop()
    s.answer(refuse("stock") if kind == "stock" else refuse("stock", code="TransactionConflict"))
    # WHEN the guest checks out
    placed = s.place()
    # THEN the service tries again and places the order; the same order id means the same PaymentIntent key
    assert len(s.store.transactions) == 2
    assert isinstance(placed, Placed)
    assert s.stripe.created[0][3] == s.stripe.created[1][3]
    assert s.stripe.cancelled == []


def test_losing_every_stock_race_is_a_409_to_retry() -> None:
    # GIVEN every attempt loses its stock condition
    s = shop()
    s.answer(*[refuse("stock")] * MAX_ATTEMPTS)
    # WHEN the guest checks out
    with pytest.raises(Conflict, match="being bought right now"):
        s.place()
    # THEN it gave up after MAX_ATTEMPTS transactions and wrote no order
    assert len(s.store.transactions) == MAX_ATTEMPTS == 3
    assert s.store.orders == {}


def test_not_enough_stock_is_a_409_naming_the_cart_line_before_anything_is_written() -> None:
    # GIVEN 1 unit left and 2 in the cart
    s = shop(available=1)
    # WHEN the guest checks out
    with pytest.raises(Conflict) as caught:
        s.place()
    # THEN the refusal names the cart's line; no PaymentIntent, no transaction
    assert [f for f, _ in _fields(caught.value)] == ["cart.lines.0.quantity"]
    # AND tells how many there are
    assert caught.value.extra == {"available": 1}
    assert s.stripe.created == []
    assert s.store.transactions == []


def test_a_code_used_up_meanwhile_is_a_409_on_the_carts_codes() -> None:
    # GIVEN a limited code in the cart whose conditional count fails (the last use went elsewhere)
    s = shop(cart=open_cart(promo_codes=("FIVE",)))
    s.store.shop.promote(
        Promotion(id="five", name="5 off", benefit=AmountOff(amounts=(eur(500),))),
        PromoCode(code="FIVE", promotion_id="five", usage_limit=10),
    )
    s.answer(refuse("code"))
    # WHEN the guest checks out
    with pytest.raises(Conflict) as caught:
        s.place()
    # THEN a 409 names the codes and no order exists
    assert _fields(caught.value) == [("cart.promo_codes", "exhausted")]
    assert s.store.orders == {}
    assert len(s.store.transactions) == 1


def test_a_certificate_spent_meanwhile_is_a_409_on_the_carts_certificates() -> None:
    # GIVEN a certificate paying part of the order whose conditional debit fails
    s = shop(cart=open_cart(gift_certificates=("GC-1",)))
    s.store.shop.certificate("GC-1", 500)
    s.answer(refuse("gift"))
    # WHEN the guest checks out
    with pytest.raises(Conflict) as caught:
        s.place()
    # THEN a 409 names the certificates
    assert _fields(caught.value) == [("cart.gift_certificates", "balance_changed")]


def test_an_order_paid_in_full_by_certificate_needs_no_payment_intent_and_debits_it() -> None:
    # GIVEN a certificate larger than the order
    s = shop(cart=open_cart(gift_certificates=("GC-BIG",)))
    s.store.shop.certificate("GC-BIG", 100_000)
    # WHEN the guest checks out
    placed = s.place()
    # THEN no PaymentIntent, the order is authorised, and the certificate is debited in the transaction
    assert s.stripe.created == []
    assert placed.client_secret is None
    assert placed.order.status is OrderStatus.PAYMENT_AUTHORIZED
    debit = s.store.transactions[0][index_of(s.store.transactions[0], "gift")]["Update"]
    assert debit["ExpressionAttributeValues"][":amount"] == {"N": str(placed.order.totals.grand_total.amount)}


def test_a_retry_whose_first_try_landed_answers_the_same_order() -> None:
    # GIVEN the first try's transaction was written but its answer lost: the cart is checked out by us
    s = shop()

    def ours(entries: Any) -> list[Refusal]:
        order_id = entries[1]["Put"]["Item"]["order_id"]["S"]
        return [Refusal(index=0, code="ConditionalCheckFailed", item=checked_out_cart_item(order_id))]

    s.answer(ours)
    # WHEN the transaction is refused on the cart
    placed = s.place()
    # THEN the answer is the order, and its PaymentIntent is kept
    assert isinstance(placed, Placed)
    assert s.stripe.cancelled == []
    assert len(s.store.transactions) == 1


def test_a_cart_checked_out_by_another_request_is_a_409_and_our_payment_intent_is_cancelled() -> None:
    # GIVEN another request checked the cart out between our read and our write
    s = shop()
    s.answer(refuse("cart", item=checked_out_cart_item("ord_other")))
    # WHEN the transaction is refused on the cart
    with pytest.raises(Conflict) as caught:
        s.place()
    # THEN a 409 names the other order and our now useless PaymentIntent is cancelled
    assert caught.value.extra == {"order_id": "ord_other"}
    (created,) = s.stripe.created
    assert s.stripe.cancelled == [("pi_1", "abandoned", f"{created[0]}-abandon")]


def test_a_cart_changed_while_checking_out_is_a_409_and_our_payment_intent_is_cancelled() -> None:
    # GIVEN the cart moved to another version during checkout
    s = shop()
    s.answer(refuse("cart", item={"status": {"S": CartStatus.OPEN.value}, "version": {"N": "4"}}))
    # WHEN the transaction is refused on the cart
    with pytest.raises(Conflict, match="cart changed"):
        s.place()
    # THEN the PaymentIntent is cancelled
    assert len(s.stripe.cancelled) == 1


def test_an_order_that_already_exists_is_a_409_not_a_retry() -> None:
    # GIVEN only the order's own condition fails
    s = shop()
    s.answer(refuse("order"))
    # WHEN the guest checks out
    with pytest.raises(Conflict, match="could not be written"):
        s.place()
    # THEN it is not retried
    assert len(s.store.transactions) == 1


def test_a_checked_out_cart_answers_its_own_request_again_and_refuses_any_other() -> None:
    # GIVEN a cart this request (key-1) already turned into an order
    s = shop()
    first = s.place()
    ref = checkout_ref(BUYER, "key-1")
    s.store.cart_ = open_cart(status=CartStatus.CHECKED_OUT, order_id=first.order.id, checkout_ref=ref)
    # WHEN the same request comes again, and another request for the same cart
    again = s.place()
    with pytest.raises(Conflict) as other:
        s.place(idempotency_key="key-2")
    # THEN the first gets the same order (and its PaymentIntent's secret), the other a 409 naming it
    assert again.resumed is True
    assert again.order.id == first.order.id
    assert again.client_secret == f"{first.order.payment.intent_id}_secret_again"
    assert other.value.extra == {"order_id": first.order.id}
    assert len(s.store.transactions) == 1


@pytest.mark.parametrize("status", [None, CartStatus.MERGED], ids=["no-cart", "merged"])
def test_no_open_cart_is_a_404(status: CartStatus | None) -> None:
    # GIVEN no cart, or a guest cart merged into an account
    s = shop()
    s.store.cart_ = None if status is None else open_cart(status=status)
    # WHEN checking out
    # THEN 404, and nothing is created
    with pytest.raises(NotFound):
        s.place()
    assert s.stripe.created == []


def test_a_stale_if_match_is_a_412_and_an_empty_cart_a_422() -> None:
    # GIVEN a cart at version 3
    s = shop()
    # WHEN checking out with If-Match 2, then with the right version on an empty cart
    with pytest.raises(PreconditionFailed) as stale:
        s.place(if_match=2)
    s.store.cart_ = open_cart(lines=())
    with pytest.raises(ValidationFailed) as empty:
        s.place(if_match=3)
    # THEN 412 with the current version, then 422 on cart.lines; nothing was created
    assert stale.value.extra == {"version": 3}
    assert _fields(empty.value) == [("cart.lines", "empty")]
    assert s.stripe.created == []
    assert s.store.transactions == []


def test_a_line_no_longer_sold_or_not_priced_in_the_cart_currency_is_a_422_naming_it() -> None:
    # GIVEN a cart with A (withdrawn), B (priced only in USD) and C (fine)
    usd = ListPrice(price_list="retail", amount=Money.of(1000, "USD"), includes_tax=True)
    s = shop(
        A=sku_facts("A", status="draft"),
        B=sku_facts("B", prices=(usd,)),
        C=sku_facts("C"),
    )
    lines = tuple(Line(sku=sku, quantity=1, added_at="2026-03-16T08:00:00.000Z") for sku in "ABC")
    s.store.cart_ = open_cart(lines=lines)
    # WHEN checking out
    with pytest.raises(ValidationFailed) as caught:
        s.place()
    # THEN each bad line is named; no order is silently made without it
    assert _fields(caught.value) == [
        ("cart.lines.0.sku", "not_sellable"),
        ("cart.lines.1.sku", "currency_mismatch"),
    ]
    assert s.stripe.created == []


def test_a_pickup_at_a_place_that_is_not_a_pickup_store_is_a_422() -> None:
    # GIVEN a cart to be collected at the warehouse (not a store)
    s = shop(cart=open_cart(pickup_location_id="berlin-dc"))
    # WHEN checking out
    with pytest.raises(ValidationFailed) as caught:
        s.place()
    # THEN 422 on the cart's pickup location
    assert _fields(caught.value) == [("cart.pickup_location_id", "not_a_pickup_store")]


def test_an_order_too_large_for_one_transaction_is_refused_before_writing() -> None:
    # GIVEN 50 lines of 2 units, each unit in another warehouse: 100 stock entries + cart + order + reservation
    skus = [f"S{i:03d}" for i in range(50)]
    s = shop(**{sku: sku_facts(sku) for sku in skus}, available=1)
    s.store.locations["munich-dc"] = location("munich-dc", kind="warehouse")
    for sku in skus:
        s.store.stock[sku]["munich-dc"] = level(sku, "munich-dc", 1)
    s.store.cart_ = open_cart(
        lines=tuple(Line(sku=sku, quantity=2, added_at="2026-03-16T08:00:00.000Z") for sku in skus)
    )
    # WHEN checking out
    with pytest.raises(ValidationFailed) as caught:
        s.place()
    # THEN 422 "split it", nothing written
    assert _fields(caught.value) == [("cart.lines", "too_large")]
    assert s.store.transactions == []
    assert MAX_TRANSACTION_ITEMS == 100


def test_the_largest_order_that_fits_one_transaction_is_placed() -> None:
    # GIVEN 48 lines split over two warehouses: 96 stock entries + cart + order + reference + reservation
    skus = [f"S{i:03d}" for i in range(48)]
    s = shop(**{sku: sku_facts(sku) for sku in skus}, available=1)
    s.store.locations["munich-dc"] = location("munich-dc", kind="warehouse")
    for sku in skus:
        s.store.stock[sku]["munich-dc"] = level(sku, "munich-dc", 1)
    s.store.cart_ = open_cart(
        lines=tuple(Line(sku=sku, quantity=2, added_at="2026-03-16T08:00:00.000Z") for sku in skus)
    )
    # WHEN checking out
    s.place()
    # THEN exactly 100 entries went in one transaction
    assert len(s.store.transactions[0]) == MAX_TRANSACTION_ITEMS


def test_a_resumed_order_paid_by_certificate_has_no_client_secret() -> None:
    # GIVEN an order paid in full by a certificate, its cart checked out by this request
    s = shop(cart=open_cart(gift_certificates=("GC-BIG",)))
    s.store.shop.certificate("GC-BIG", 100_000)
    first = s.place()
    ref = checkout_ref(BUYER, "key-1")
    s.store.cart_ = open_cart(status=CartStatus.CHECKED_OUT, order_id=first.order.id, checkout_ref=ref)
    # WHEN the request comes again
    again = s.place()
    # THEN the same order, with no client secret to confirm (nothing is due)
    assert again.order.id == first.order.id
    assert again.client_secret is None


def test_a_pickup_order_reads_the_stores_stock_and_is_placed_there() -> None:
    # GIVEN a cart to collect at the Podil store, which has the units
    s = shop(cart=open_cart(pickup_location_id="podil", destination_country="UA"))
    s.store.locations["podil"] = location("podil")
    s.store.stock["A"]["podil"] = level("A", "podil", 5)
    # (1,000.00 UAH: a card is not charged less than 25.00 UAH, shop_kernel.card_minimums)
    s.store.facts["A"] = sku_facts(
        "A", prices=(ListPrice(price_list="retail", amount=Money.of(100_000, "UAH"), includes_tax=True),)
    )
    s.store.cart_ = s.store.cart_.model_copy(update={"currency": "UAH"}) if s.store.cart_ else None
    s.store.shop.rates["UA"] = s.store.shop.rates["DE"].model_copy(update={"country": "UA"})
    free = FlatRate(prices=(Money.of(0, "UAH"),))
    s.store.shop.carriers = RuleBasedCarrierQuotes(
        [ShippingRule(method="pickup", zone="ua", countries=frozenset({"UA"}), rate=free)]
    )
    # WHEN the guest checks out without an address
    placed = s.place(body=BODY.model_copy(update={"shipping_address": None}))
    # THEN the store was read as a candidate and the order is collected there
    assert s.store.candidates == [["podil"]]
    assert placed.order.fulfilment.location_id == "podil"
    assert {a.location_id for a in placed.order.allocations} == {"podil"}


def test_a_store_that_does_not_hand_out_orders_is_refused_for_pickup() -> None:
    # GIVEN a store without pickup
    s = shop(cart=open_cart(pickup_location_id="podil", destination_country="UA"))
    s.store.locations["podil"] = location("podil", pickup=False)
    # WHEN a pickup there is checked out
    with pytest.raises(ValidationFailed) as caught:
        s.place(body=BODY.model_copy(update={"shipping_address": None}))
    # THEN 422 on the pickup location
    assert _fields(caught.value) == [("cart.pickup_location_id", "not_a_pickup_store")]


def test_the_buyers_email_and_ip_reach_pricing_and_the_order() -> None:
    # GIVEN a guest giving an e-mail, and a customer giving none (their account's is used)
    guest, customer = shop(), shop()
    account = Buyer(kind="customer", key="cus-1", email="acc@example.com")
    # WHEN both check out, the guest from a known IP
    placed = guest.place(client_ip="203.0.113.9")
    customer.place(
        owner=CartOwner(kind=OwnerKind.CUSTOMER, key="cus-1"),
        buyer=account,
        body=BODY.model_copy(update={"email": None}),
    )
    # THEN per-customer code limits count against those e-mails, and the order keeps the IP for screening
    assert guest.store.customers[0].email == "anna@example.com"
    assert customer.store.customers[0].email == "acc@example.com"
    assert placed.order.client_ip == "203.0.113.9"


def test_an_order_with_a_code_and_a_certificate_writes_everything_in_one_transaction() -> None:
    # GIVEN a limited code and a certificate paying part of the order
    s = shop(cart=open_cart(promo_codes=("FIVE",), gift_certificates=("GC-1",)))
    s.store.shop.promote(
        Promotion(id="five", name="5 off", benefit=AmountOff(amounts=(eur(500),))),
        PromoCode(code="FIVE", promotion_id="five", usage_limit=10),
    )
    s.store.shop.certificate("GC-1", 500)
    # WHEN the guest checks out
    placed = s.place()
    # THEN the cart, the order, the stock, the code's count and the certificate's debit are all in it
    entries = s.store.transactions[0]
    for kind in ("cart", "order", "stock", "code", "gift"):
        index_of(entries, kind)
    debit_record = next(
        e["Put"]["Item"]
        for e in entries
        if "Put" in e and e["Put"]["Item"]["pk"]["S"] == certificate_pk("GC-1")
    )
    assert debit_record["order_id"] == {"S": placed.order.id}
    assert debit_record["at"] == {"S": isoformat(NOW)}


def test_a_delivery_asks_for_no_location_beyond_the_warehouses() -> None:
    # GIVEN a cart to be delivered (no pickup store)
    s = shop()
    # WHEN the guest checks out
    s.place()
    # THEN the store is asked for no extra candidate location (the warehouses are always read)
    assert s.store.candidates == [[]]


def test_a_code_whose_promotion_ends_at_checkout_time_is_a_422_on_the_carts_code() -> None:
    # GIVEN a cart priced with code FIVE while it was valid; its promotion ends exactly now
    s = shop(cart=open_cart(promo_codes=("FIVE",)))
    s.store.shop.promote(
        Promotion(id="five", name="5 off", benefit=AmountOff(amounts=(eur(500),)), ends_at=NOW),
        PromoCode(code="FIVE", promotion_id="five"),
    )
    # WHEN the guest checks out
    with pytest.raises(ValidationFailed) as caught:
        s.place()
    # THEN the window is judged at checkout's clock, the error names the cart's code, and nothing is held
    assert _fields(caught.value) == [("cart.promo_codes.0", "expired")]
    assert s.stripe.created == []
    assert s.store.transactions == []


def test_two_checkout_requests_for_one_cart_version_are_two_orders_a_retry_is_the_same() -> None:
    # GIVEN the same cart at version 3 in three shops
    first, other, retry = shop(), shop(), shop()
    # WHEN request key-1 checks it out, another request key-2 races it, and key-1 is retried
    ordered = first.place().order
    racing = other.place(idempotency_key="key-2").order
    again = retry.place().order
    # THEN the racing request makes another order (another PaymentIntent key, so Stripe never hands it
    # key-1's intent), while the retry makes the very same order and intent key
    assert racing.id != ordered.id
    assert other.stripe.created[0][3] != first.stripe.created[0][3]
    assert again.id == ordered.id
    assert retry.stripe.created[0][3] == first.stripe.created[0][3]


def _reservation_expiry(entries: list[dict[str, Any]]) -> int:
    (hold,) = [e["Put"]["Item"] for e in entries if "Put" in e and e["Put"]["TableName"] == "inventory"]
    return int(hold["expires_at"]["N"])


def test_a_card_orders_stock_is_held_until_its_payment_deadline_and_margin() -> None:
    # GIVEN a cart paid by card
    s = shop()
    # WHEN the guest checks out
    placed = s.place()
    # THEN the reservation written expires 45 minutes from now (30 to pay, 15 of margin), as the order says
    expiry = _reservation_expiry(s.store.transactions[0])
    assert expiry == int((NOW + timedelta(minutes=45)).timestamp()) == placed.order.reservation_expires_at


def test_an_order_certificates_pay_in_full_is_screened_on_their_value_counted_and_held_a_week() -> None:
    # GIVEN a guest's 1,200.00 EUR cart (the EUR high-value tier starts at 1,000.00) a certificate pays in full
    s = shop(cart=open_cart(gift_certificates=("GC-BIG",)), A=sku_facts("A", price=60_000))
    s.store.shop.certificate("GC-BIG", 500_000)
    # WHEN the guest checks out from a known IP
    placed = s.place(client_ip="203.0.113.9")
    # THEN the order written carries its assessment, scored on what the certificates pay
    written = s.store.orders[placed.order.id]
    assert written.risk is not None
    assert {"high_value", "guest_high_value"} <= {reason["code"] for reason in written.risk["reasons"]}
    # AND this hour's e-mail and IP counters count it in the orders table, in the same transaction
    entries = s.store.transactions[0]
    counters = [
        e["Update"]
        for e in entries
        if e.get("Update", {}).get("Key", {}).get("pk", {}).get("S", "").startswith("VELOCITY#")
    ]
    assert [(c["TableName"], c["Key"]["pk"]["S"]) for c in counters] == [
        ("orders", "VELOCITY#customer#anna@example.com"),
        ("orders", "VELOCITY#ip#203.0.113.9"),
    ]
    # AND its stock is held for 7 days, like an authorised card payment's
    assert _reservation_expiry(entries) == int((NOW + timedelta(days=7)).timestamp())


def test_checkouts_from_one_address_beyond_its_limit_are_a_429_before_anything_is_held() -> None:
    # GIVEN a limit of 2 checkouts an hour per client address, at 09:00 UTC
    s = shop()
    s.service.attempt_limits = AttemptLimits(per_ip=2)
    # WHEN three customers check out their carts from the same address
    for n in (1, 2):
        customer = Buyer(kind="customer", key=f"cus-{n}", email=f"c{n}@example.com")
        s.place(
            owner=CartOwner(kind=OwnerKind.CUSTOMER, key=f"cus-{n}"), buyer=customer, client_ip="203.0.113.9"
        )
    third = Buyer(kind="customer", key="cus-3", email="c3@example.com")
    with pytest.raises(TooManyAttempts) as caught:
        s.place(owner=CartOwner(kind=OwnerKind.CUSTOMER, key="cus-3"), buyer=third, client_ip="203.0.113.9")
    # THEN the third is refused until the hour's window ends, with no PaymentIntent and no stock held
    assert caught.value.retry_after_s == 3600
    assert len(s.stripe.created) == 2
    assert len(s.store.transactions) == 2


def test_the_service_writes_through_one_unit_of_work_and_holds_stock_as_long_as_the_payment_needs() -> None:
    # GIVEN a cart paid by card, and one paid in full by a certificate (placed at once, screened now)
    card = shop()
    gift = shop(cart=open_cart(gift_certificates=("GC-BIG",)))
    gift.store.shop.certificate("GC-BIG", 100_000)
    # WHEN both check out
    by_card, by_gift = card.place(), gift.place()
    # THEN each is one unit of work: the cart closed, the order added, the stock held, ... committed once
    (card_work,) = card.store.works
    (gift_work,) = gift.store.works
    assert [name for name, _ in card_work.calls] == ["close_cart", "add_order", "reserve"]
    assert [name for name, _ in gift_work.calls] == [
        "close_cart",
        "add_order",
        "reserve",
        "debit_certificate",
        "count_velocity",
    ]
    close = card_work.called("close_cart")[0]
    assert (close["cart"].version, close["order_id"], close["checkout_ref"]) == (
        3,
        by_card.order.id,
        checkout_ref(BUYER, "key-1"),
    )
    # AND a card order's stock is held until its payment deadline and margin, a paid one for 7 days
    card_hold, gift_hold = card_work.called("reserve")[0], gift_work.called("reserve")[0]
    assert (card_hold["reservation_id"], card_hold["hold"]) == (
        by_card.order.reservation_id,
        timedelta(minutes=45),
    )
    assert (gift_hold["order_id"], gift_hold["hold"]) == (by_gift.order.id, timedelta(days=7))
    assert [(a.sku, a.quantity) for a in card_hold["plan"].allocations] == [("A", 2)]
