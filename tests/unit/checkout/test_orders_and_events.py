"""Order logic without AWS: deterministic ids, contact checks, state transitions, and the events a
committed change of an order means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cart.domain.models import OwnerKind, StoredCart
from checkout.domain import orders
from checkout.domain.events import events_for_change
from checkout.domain.models import (
    Address,
    Buyer,
    CancelReason,
    CheckoutBody,
    Order,
    OrderStatus,
    Payment,
    PaymentFailure,
)
from inventory.domain.allocation import Fulfilment
from pricing.domain import AppliedPromotion, TaxDisplay, Totals
from shop_kernel.errors import ValidationFailed
from shop_kernel.guest_keys import GuestKeys
from shop_kernel.ids import is_prefixed_id
from shop_kernel.money import Money

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ADDRESS = Address(name="Olena", line1="Khreshchatyk 1", city="Kyiv", country="UA")
GUEST = Buyer(kind="guest", key="a" * 64)


def _cart(version: int = 3, pickup: str | None = None) -> StoredCart:
    return StoredCart(
        id="cart_01JDZZZZZZZZZZZZZZZZZZZZZZ",
        owner_kind=OwnerKind.GUEST,
        version=version,
        currency="UAH",
        destination_country="UA",
        pickup_location_id=pickup,
        created_at="2026-12-02T09:00:00.000Z",
        updated_at="2026-12-02T09:30:00.000Z",
        expires_at=1,
    )


def _uah(amount: int) -> Money:
    return Money.of(amount, "UAH")


def _order(**changes: object) -> Order:
    totals = Totals(
        subtotal=_uah(10000),
        discount_total=_uah(0),
        shipping=_uah(0),
        tax_total=_uah(1667),
        grand_total=_uah(10000),
        gift_certificates=_uah(0),
        amount_due=_uah(10000),
    )
    order = Order(
        id="ord_01JE0000000000000000000000",
        status=OrderStatus.PENDING_PAYMENT,
        buyer=GUEST.model_copy(update={"email": "olena@example.com"}),
        cart_id="cart_01JDZZZZZZZZZZZZZZZZZZZZZZ",
        checkout_ref="r" * 32,
        currency="UAH",
        tax_display=TaxDisplay.INCLUSIVE,
        destination_country="UA",
        lines=(),
        shipping=None,
        totals=totals,
        fulfilment=Fulfilment(mode="delivery"),
        allocations=(),
        shipping_address=ADDRESS,
        reservation_id="res_01JE0000000000000000000000",
        reservation_expires_at=2_000_000_000,
        payment=Payment(provider="stripe", intent_id="pi_1", amount=_uah(10000), status="requires_payment"),
        created_at="2026-12-02T10:00:00.000Z",
        updated_at="2026-12-02T10:00:00.000Z",
        payment_due_by="2026-12-02T10:30:00.000Z",
    )
    return order.model_copy(update=changes)


def test_one_cart_version_checked_out_by_one_request_is_always_the_same_order() -> None:
    # GIVEN a cart version and two checkout requests (keys) of one guest
    ref, other = orders.checkout_ref(GUEST, "key-1"), orders.checkout_ref(GUEST, "key-2")
    # WHEN order ids are derived
    first, again = orders.order_id_for(_cart(), ref), orders.order_id_for(_cart(), ref)
    # THEN the same request gives the same ULID (time = the cart's last change); anything else differs
    assert first == again
    assert is_prefixed_id(first, "ord")
    assert first != orders.order_id_for(_cart(), other)
    assert first != orders.order_id_for(_cart(version=4), ref)
    from ulid import ULID

    assert ULID.from_str(first.removeprefix("ord_")).datetime == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    # AND another buyer with the same key is another request
    assert orders.checkout_ref(Buyer(kind="guest", key="b" * 64), "key-1") != ref


@pytest.mark.parametrize(
    ("body", "pickup", "store_country", "field"),
    [
        (CheckoutBody(shipping_address=ADDRESS), None, None, "body.email"),
        (CheckoutBody(email="a@b.co"), None, None, "body.shipping_address"),
        (
            CheckoutBody(email="a@b.co", shipping_address=ADDRESS.model_copy(update={"country": "PL"})),
            None,
            None,
            "body.shipping_address.country",
        ),
        (CheckoutBody(email="a@b.co", shipping_address=ADDRESS), "lviv", "UA", "body.shipping_address"),
        (CheckoutBody(email="a@b.co"), "warsaw", "PL", "cart.destination_country"),
    ],
    ids=["no-email", "no-address", "other-country", "address-for-pickup", "store-abroad"],
)
def test_contact_details_must_fit_the_cart(
    body: CheckoutBody, pickup: str | None, store_country: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        orders.contact_for(body, GUEST, _cart(pickup=pickup), store_country)
    assert refused.value.errors[0].field == field


def test_contact_defaults_billing_to_shipping_and_email_to_the_account() -> None:
    customer = Buyer(kind="customer", key="sub", email="me@example.com")
    contact = orders.contact_for(CheckoutBody(shipping_address=ADDRESS), customer, _cart(), None)
    assert (contact.email, contact.billing_address, contact.phone) == ("me@example.com", ADDRESS, None)
    pickup = orders.contact_for(
        CheckoutBody(email="a@b.co", phone="+380441234567"), GUEST, _cart(pickup="lviv"), "UA"
    )
    assert (pickup.shipping_address, pickup.phone) == (None, "+380441234567")


def test_transitions_move_forward_once() -> None:
    order = _order()
    # WHEN it is authorised, then authorised again, then cancelled twice
    placed = orders.authorised(order, NOW, None, "UA", {"score": 0}, review_required=False)
    assert placed is not None
    assert orders.authorised(placed, NOW, None, "UA", None, review_required=False) is None
    cancelled = orders.cancelled(placed, NOW + timedelta(hours=1), CancelReason.PAYMENT_CANCELLED)
    assert cancelled is not None
    assert orders.cancelled(cancelled, NOW, CancelReason.PAYMENT_CANCELLED) is None
    # THEN each step is the next version with its history, and a cancelled order takes no payment failure
    assert [o.version for o in (order, placed, cancelled)] == [1, 2, 3]
    assert [c.status for c in cancelled.history] == [OrderStatus.PAYMENT_AUTHORIZED, OrderStatus.CANCELLED]
    assert (cancelled.cancel_reason, cancelled.payment.status) == (
        CancelReason.PAYMENT_CANCELLED,
        "cancelled",
    )
    failure = PaymentFailure(code="card_declined", at="2026-12-02T10:05:00.000Z")
    assert orders.payment_failed(cancelled, NOW, failure) is None


def test_refunds_and_captures_record_only_increases() -> None:
    order = _order()
    refunded = orders.refunded(order, NOW, _uah(2000))
    assert refunded is not None
    assert orders.refunded(refunded, NOW, _uah(2000)) is None
    assert orders.refunded(refunded, NOW, _uah(1000)) is None
    more = orders.refunded(refunded, NOW, _uah(5000))
    assert more is not None
    assert more.payment.refunded == _uah(5000)


def test_a_committed_change_means_its_events_and_a_replay_means_the_same_ids() -> None:
    # GIVEN an order that was placed, had a card declined before, and then was cancelled
    pending = _order()
    failed = orders.payment_failed(
        pending, NOW, PaymentFailure(code="card_declined", at="2026-12-02T10:01:00.000Z")
    )
    assert failed is not None
    placed = orders.authorised(failed, NOW, None, "UA", None, review_required=True)
    assert placed is not None
    cancelled = orders.cancelled(placed, NOW, CancelReason.PAYMENT_CANCELLED)
    assert cancelled is not None
    # WHEN each change is turned into events (twice for the placement, as a replayed record would)
    created = events_for_change(None, pending)
    declined = events_for_change(pending, failed)
    placed_events, replayed = events_for_change(failed, placed), events_for_change(failed, placed)
    cancelled_events = events_for_change(placed, cancelled)
    # THEN: nothing on creation, PaymentFailed for the decline, OrderPlaced (held for review), OrderCancelled
    assert created == []
    assert [e.detail_type for e in declined] == ["PaymentFailed"]
    assert declined[0].data["attempt"] == 1
    assert [e.detail_type for e in placed_events] == ["OrderPlaced"]
    assert placed_events[0].data["review_required"] is True
    assert [e.metadata.event_id for e in placed_events] == [e.metadata.event_id for e in replayed]
    assert [e.detail_type for e in cancelled_events] == ["OrderCancelled"]
    assert cancelled_events[0].data["was_placed"] is True
    # AND an order paid by gift certificates is placed when it is written
    paid = _order(status=OrderStatus.PAYMENT_AUTHORIZED)
    assert [e.detail_type for e in events_for_change(None, paid)] == ["OrderPlaced"]


def _texts(value: object) -> list[str]:
    """Every string in an event's data, however deeply nested."""
    if isinstance(value, dict):
        return [text for v in value.values() for text in _texts(v)]
    if isinstance(value, list | tuple):
        return [text for v in value for text in _texts(v)]
    return [value] if isinstance(value, str) else []


def test_order_events_carry_ids_not_personal_data() -> None:
    # GIVEN a delivery order with the buyer's email, name, street and phone, declined once then paid
    pending = _order(shipping_address=ADDRESS.model_copy(update={"phone": "+380441234567"}))
    failed = orders.payment_failed(
        pending, NOW, PaymentFailure(code="card_declined", at="2026-12-02T10:01:00.000Z")
    )
    assert failed is not None
    placed = orders.authorised(failed, NOW, None, "UA", None, review_required=False)
    assert placed is not None
    # WHEN its changes become events (the archive keeps them for a year and cannot erase one), the guest's
    # e-mail keyed for loyalty's claim
    keys = GuestKeys(lambda: b"stage secret")
    events = events_for_change(pending, failed, keys.of) + events_for_change(failed, placed, keys.of)
    # THEN no event holds anything that identifies the person; the order id leads to it
    personal = {"olena@example.com", "Olena", "Khreshchatyk 1", "+380441234567"}
    assert [e.detail_type for e in events] == ["PaymentFailed", "OrderPlaced"]
    for event in events:
        assert personal.isdisjoint(_texts(event.data)), event.detail_type
        assert event.data["order_id"] == pending.id
    # AND OrderPlaced carries the keyed hash of the guest's e-mail instead
    assert events[1].data["guest_key"] == keys.of("olena@example.com")
    # AND they say which major version of the contract they follow (OrderPlaced 2.1 only added a field)
    assert {e.metadata.version.split(".")[0] for e in events} == {"2"}


def test_order_placed_names_each_promotions_discount() -> None:
    # GIVEN a paid order given 500 UAH by a code and 120 UAH automatically
    applied = (
        AppliedPromotion(
            promotion_id="promo_spring", name="Spring", code="SPRING500", amount=Money.of(50_000, "UAH")
        ),
        AppliedPromotion(promotion_id="promo_auto", name="Auto", amount=Money.of(12_000, "UAH")),
    )
    placed = _order(status=OrderStatus.PAYMENT_AUTHORIZED, applied_promotions=applied)
    # WHEN it becomes OrderPlaced
    (event,) = events_for_change(None, placed)
    # THEN version 2.1 carries each promotion's discount and code (not its name: the id leads to it)
    assert event.metadata.version == "2.2"
    assert event.data["promotions"] == [
        {
            "promotion_id": "promo_spring",
            "code": "SPRING500",
            "amount": {"amount": 50_000, "currency": "UAH"},
        },
        {"promotion_id": "promo_auto", "code": None, "amount": {"amount": 12_000, "currency": "UAH"}},
    ]


def test_only_a_guests_order_carries_a_guest_key() -> None:
    keys = GuestKeys(lambda: b"stage secret")
    customer = _order(
        status=OrderStatus.PAYMENT_AUTHORIZED,
        buyer=GUEST.model_copy(update={"kind": "customer", "key": "sub-1", "email": "olena@example.com"}),
    )
    (event,) = events_for_change(None, customer, keys.of)
    assert (event.data["customer_id"], event.data["guest_key"]) == ("sub-1", None)
    (no_key,) = events_for_change(None, _order(status=OrderStatus.PAYMENT_AUTHORIZED))
    assert no_key.data["guest_key"] is None
