"""The campaign report: checkout's order events through the projector's queue, counted once per order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checkout.domain.events import SOURCE, OrderCancelled, OrderPlaced, PlacedTotals
from shop_kernel.events import DomainEvent, make_event
from shop_kernel.money import Money
from tests.integration.pricing.conftest import SPRING, order_events
from tests.support import Reply

REPORT = "/admin/promotions/promo_spring/report"


def _placed(order_id: str, grand_total: Money, discount: Money | None, version: str = "2.1") -> DomainEvent:
    zero = Money.zero(grand_total.currency)
    data = OrderPlaced.model_validate(
        {
            "order_id": order_id,
            "placed_at": "2026-12-01T10:00:00.000Z",
            "currency": grand_total.currency,
            "lines": [],
            "totals": PlacedTotals(
                subtotal=grand_total,
                discount_total=discount or zero,
                shipping=zero,
                tax_total=zero,
                grand_total=grand_total,
                gift_certificates=zero,
                amount_due=grand_total,
            ),
            "fulfilment": {"mode": "delivery"},
            "destination_country": "UA",
            "reservation_id": f"res_{order_id}",
            "review_required": False,
            "promotions": [{"promotion_id": "promo_spring", "code": "SPRING500", "amount": discount}]
            if discount
            else [],
        }
    )
    return make_event(
        SOURCE, "OrderPlaced", data, version=version, occurred_at=data.placed_at, event_id=f"p-{order_id}"
    )


def _cancelled(order_id: str, was_placed: bool = True) -> DomainEvent:
    data = OrderCancelled(
        order_id=order_id,
        reason="payment_cancelled",
        cancelled_at="2026-12-01T11:00:00.000Z",
        reservation_id=f"res_{order_id}",
        was_placed=was_placed,
    )
    return make_event(
        SOURCE, "OrderCancelled", data, version="2.0", occurred_at=data.cancelled_at, event_id=f"c-{order_id}"
    )


def _project(functions: Any, lambda_context: Any, *events: DomainEvent) -> None:
    answer = functions.invoke("pricing-campaign-projector", order_events(*events), lambda_context)
    assert answer["batchItemFailures"] == []


def test_orders_count_once_and_a_cancellation_takes_its_order_off_once(
    call: Callable[..., Reply], functions: Any, lambda_context: Any
) -> None:
    # GIVEN a promotion; two UAH orders and one EUR order used it, one order did not
    assert call("POST", "/admin/promotions", {**SPRING, "id": "promo_spring"}).status == 201
    first = _placed("ord_1", Money.of(150_000, "UAH"), Money.of(50_000, "UAH"))
    second = _placed("ord_2", Money.of(250_000, "UAH"), Money.of(50_000, "UAH"))
    euro = _placed("ord_3", Money.of(9_000, "EUR"), Money.of(1_500, "EUR"))
    without = _placed("ord_4", Money.of(99_000, "UAH"), None)
    # WHEN the events arrive, the first twice, then the second is cancelled twice
    _project(functions, lambda_context, first, second, euro, without, first)
    _project(functions, lambda_context, _cancelled("ord_2"), _cancelled("ord_2"))
    # THEN per currency: what stayed, what the promotion cost, what those orders brought
    report = call("GET", REPORT)
    assert report.status == 200, report.body
    assert report.body == {
        "promotion_id": "promo_spring",
        "redemptions": 2,
        "currencies": [
            {
                "currency": "EUR",
                "orders": 1,
                "cancelled": 0,
                "discount_cost": {"amount": 1_500, "currency": "EUR"},
                "revenue": {"amount": 9_000, "currency": "EUR"},
            },
            {
                "currency": "UAH",
                "orders": 1,
                "cancelled": 1,
                "discount_cost": {"amount": 50_000, "currency": "UAH"},
                "revenue": {"amount": 150_000, "currency": "UAH"},
            },
        ],
    }


def test_a_cancellation_that_overtakes_its_placement_leaves_nothing_counted(
    call: Callable[..., Reply], functions: Any, lambda_context: Any
) -> None:
    # GIVEN a promotion; WHEN an order's cancellation arrives before its placement, and an unplaced one's
    call("POST", "/admin/promotions", {**SPRING, "id": "promo_spring"})
    _project(functions, lambda_context, _cancelled("ord_9"), _cancelled("ord_8", was_placed=False))
    _project(functions, lambda_context, _placed("ord_9", Money.of(150_000, "UAH"), Money.of(50_000, "UAH")))
    # THEN nothing is counted; an unknown promotion's report is a 404
    assert call("GET", REPORT).body == {"promotion_id": "promo_spring", "redemptions": 0, "currencies": []}
    assert call("GET", "/admin/promotions/nope/report").status == 404
