"""The payments reconciler on moto and the Stripe stand-in: every kind of drift between orders and
PaymentIntents planted for real, found by one scheduled run, the safe ones repaired, the rest flagged;
the run's metrics (EMF) and its ``PaymentDriftFound`` event on the bus; a second run finds only what
was left for ops."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conftest import REGION
from tests.integration.checkout.conftest import ADDRESS, API_KEY, deliver, guest_cart, item, new_key, pay
from tests.support import Reply, order_json

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
EVENTS = Path(__file__).parents[2] / "events" / "checkout"
Webhook = Callable[[str, str | None], Reply]


@pytest.fixture
def reconcile(
    checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[], dict[str, Any]]:
    """The checkout-reconciler run as its function (its spec's environment and grants), on a real-shaped
    schedule event."""
    event = json.loads((EVENTS / "scheduled_event.json").read_text())
    event["resources"] = [event["resources"][0].replace("checkout-sweeper", "checkout-reconciler")]
    return lambda: functions.invoke("checkout-reconciler", event, lambda_context)  # type: ignore[no-any-return]


def _stripe(shop: SimpleNamespace) -> Any:
    import stripe

    return stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url})


def _place(cart: Callable[..., Reply], checkout: Callable[..., Reply]) -> tuple[str, str]:
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    assert placed.status == 201, placed.body
    return placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]


def _order(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert found is not None
    return dict(order_json(found))


def _cancel_behind_stripes_back(shop: SimpleNamespace, order_id: str) -> None:
    """The order is cancelled but its PaymentIntent is never voided (the void was lost)."""
    from checkout.adapters.dynamo import DynamoCheckoutStore
    from checkout.domain import orders
    from orders.domain.models import CancelReason
    from shop_kernel.clock import SystemClock

    store = DynamoCheckoutStore(
        shop.dynamodb,
        orders=shop.orders,
        carts=shop.carts,
        inventory=shop.inventory,
        promotions=shop.promotions,
        loyalty=shop.loyalty,
    )
    order = store.order(order_id)
    assert order is not None
    cancelled = orders.cancelled(order, SystemClock().now(), CancelReason.PAYMENT_EXPIRED)
    assert cancelled is not None
    store.save_order(cancelled, order.version)


def _bus_events(shop: SimpleNamespace) -> list[dict[str, Any]]:
    from infra.resources import physical_name
    from tests.integration.checkout.conftest import read_queue

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]
    return [e for e in read_queue(sqs, url) if e["detail-type"] == "PaymentDriftFound"]


def test_each_planted_payment_drift_is_found_and_the_safe_ones_repaired(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Webhook,
    shop: SimpleNamespace,
    reconcile: Callable[[], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stripe = _stripe(shop)
    # GIVEN an order that agrees with Stripe (paid, webhook delivered)
    fine, fine_pi = _place(cart, checkout)
    pay(shop.standin, fine_pi)
    deliver(shop.standin, webhook, intent_id=fine_pi)
    # AND a cancelled order whose PaymentIntent can still be paid (payable_after_cancel)
    cancelled, cancelled_pi = _place(cart, checkout)
    _cancel_behind_stripes_back(shop, cancelled)
    # AND a PaymentIntent of an attempt that never became an order, two days old (orphan_intent), and
    # one of a minute ago that a retried checkout may still get back (left alone)
    orphan, young = (
        stripe.v1.payment_intents.create(
            params={
                "amount": 5000,
                "currency": "uah",
                "capture_method": "manual",
                "metadata": {"order_id": ref},
            }
        )
        for ref in ("ord_gone", "ord_retrying")
    )
    shop.standin.api.ledger.payment_intents[orphan.id]["created"] -= 2 * 24 * 3600
    # AND an order paid in Stripe whose webhook never came (missed_authorisation)
    unheard, unheard_pi = _place(cart, checkout)
    pay(shop.standin, unheard_pi)
    # AND an order captured in Stripe without the capture event (capture_unrecorded)
    captured, captured_pi = _place(cart, checkout)
    pay(shop.standin, captured_pi)
    deliver(shop.standin, webhook, intent_id=captured_pi)
    stripe.v1.payment_intents.capture(captured_pi)
    # AND an order whose PaymentIntent's amount was changed in Stripe (amount_mismatch)
    _changed, changed_pi = _place(cart, checkout)
    stripe.v1.payment_intents.update(changed_pi, params={"amount": 1234567})
    # AND a placed order whose authorisation was voided in Stripe (authorisation_lost)
    lost, lost_pi = _place(cart, checkout)
    pay(shop.standin, lost_pi)
    deliver(shop.standin, webhook, intent_id=lost_pi)
    stripe.v1.payment_intents.cancel(lost_pi)

    # WHEN the scheduled reconciler runs, its metrics switched on
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    first = reconcile()
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]

    # THEN every kind of drift was found once, the fine order not at all
    kinds = ("payable_after_cancel", "orphan_intent", "missed_authorisation", "capture_unrecorded")
    assert first["found"] == {**dict.fromkeys(kinds, 1), "amount_mismatch": 1, "authorisation_lost": 1}
    assert first["repaired"] == dict.fromkeys(kinds, 1)
    assert (first["intents_checked"], first["flagged"]) == (8, 2)
    # AND the repairs are what a webhook or the sweeper would have done
    intents = shop.standin.api.ledger.payment_intents
    assert intents[cancelled_pi]["status"] == "canceled"
    assert intents[orphan.id]["status"] == "canceled"
    assert intents[young.id]["status"] == "requires_payment_method"
    assert _order(shop, unheard)["status"] == "PAYMENT_AUTHORIZED"
    payment = _order(shop, captured)["payment"]
    assert (
        payment["captured"]
        == payment["amount"]
        == {"amount": intents[captured_pi]["amount_received"], "currency": "UAH"}
    )
    # AND the flagged ones were left alone for ops
    assert intents[changed_pi]["status"] == "requires_payment_method"
    assert _order(shop, lost)["status"] == "PAYMENT_AUTHORIZED"
    assert _order(shop, fine)["status"] == "PAYMENT_AUTHORIZED"
    # AND one metric per kind (zeros too) and the repaired/flagged totals went out as EMF
    values = {k: v for line in emitted for k, v in line.items() if k.startswith("PaymentDrift")}
    assert values["PaymentDrift.orphan_intent"] == [1.0]
    assert (values["PaymentDriftsRepaired"], values["PaymentDriftsFlagged"]) == ([4.0], [2.0])
    assert len([k for k in values if k.startswith("PaymentDrift.")]) == 6
    # AND PaymentDriftFound reached the bus, naming intents and orders only
    (event,) = _bus_events(shop)
    data = event["detail"]["data"]
    assert data["found"] == first["found"]
    assert {d["intent_id"]: d["repaired"] for d in data["drifts"]} == {
        cancelled_pi: True,
        orphan.id: True,
        unheard_pi: True,
        captured_pi: True,
        changed_pi: False,
        lost_pi: False,
    }
    assert "olena" not in json.dumps(event)

    # WHEN it runs again
    second = reconcile()
    # THEN only what was left for ops is found again, and nothing more is repaired
    assert second["found"] == {"amount_mismatch": 1, "authorisation_lost": 1}
    assert second["repaired"] == {}


def test_a_run_where_orders_and_stripe_agree_publishes_nothing(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    shop: SimpleNamespace,
    reconcile: Callable[[], dict[str, Any]],
) -> None:
    # GIVEN an order waiting for payment and its untouched PaymentIntent
    _place(cart, checkout)
    # WHEN the reconciler runs
    summary = reconcile()
    # THEN it checked them, found nothing and said nothing on the bus
    assert (summary["intents_checked"], summary["orders_checked"], summary["found"]) == (1, 1, {})
    assert _bus_events(shop) == []
