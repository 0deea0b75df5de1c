"""Reconciliation: both scheduled reconcilers over a seeded shop with every kind of drift planted.

On moto in server mode and the Stripe stand-in (a bare stage: no pollers, no webhook deliveries), the
bench places ``ORDERS`` real orders through ``CheckoutService`` (guest carts made with the cart's domain
service, one unit each, so ``ORDERS`` reservations), authorises about half of them as the webhook would,
and opens ``EXTRA_LEVELS`` more stock levels. It then plants ``PER_KIND`` drifts of every kind the two
reconcilers know, behind the ledgers' backs (what a lost webhook, a lost release or a bad script leaves):

* checkout: cancelled orders whose PaymentIntent was never voided, PaymentIntents of attempts that never
  became orders, payments authorised in Stripe whose webhook never came, captures Stripe made without
  telling us, PaymentIntents whose amount changed in Stripe, authorisations voided in Stripe under a
  placed order;
* inventory: ``reserved`` counters with nothing holding them, ``available`` off by one, holds beyond what
  is on hand, holds long past their expiry, holds on levels that do not exist.

Both functions' handlers then run on a real-shaped schedule event (levels count as quiet at once:
``RECONCILE_SETTLE_MINUTES=0``), twice: the first run finds and repairs, the second must find only what
was flagged for ops. Figures: what each run checked, found per kind, repaired, flagged, and its seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from bench.checkout import (
    RACE_API_KEY,
    RACE_LOCATION,
    RACE_SKU,
    Environment,
    Shop,
    Tally,
    _request,
    race_stack,
)
from infra.local.functions import LambdaContext
from infra.local.pollers import scheduled_event
from infra.local.provision import function_environment
from infra.resources import function, physical_name

ORDERS = 200
PER_KIND = 5
EXTRA_LEVELS = 300
FUNCTIONS = ("checkout-reconciler", "inventory-reconciler")
CHECKOUT_KINDS = (
    "payable_after_cancel",
    "orphan_intent",
    "missed_authorisation",
    "capture_unrecorded",
    "amount_mismatch",
    "authorisation_lost",
)
INVENTORY_KINDS = (
    "reserved_mismatch",
    "available_mismatch",
    "oversold",
    "overdue_hold",
    "hold_without_stock",
)
REPAIRABLE = {
    "payable_after_cancel",
    "orphan_intent",
    "missed_authorisation",
    "capture_unrecorded",
    "reserved_mismatch",
    "available_mismatch",
}


class Planter:
    """Plants each kind of drift, PER_KIND times, on the seeded shop."""

    def __init__(self, stack: Any, shop: Shop) -> None:
        import stripe

        from checkout import wiring

        self.stack, self.shop = stack, shop
        self.client = stack.client(pool=4)
        self.stripe = stripe.StripeClient(RACE_API_KEY, base_addresses={"api": stack.standin.url})
        self.events = wiring.container.payment_events()
        self.table = stack.tables.inventory

    def pay(self, intent_id: str) -> None:
        url = f"{self.stack.standin.url}/_standin/payment_intents/{intent_id}/simulate"
        requests.post(url, json={"payment_method": "pm_card_visa"}, timeout=10).raise_for_status()

    def authorise(self, intent_id: str) -> None:
        from checkout.adapters.stripe_gateway import intent_from

        outcome = self.events.authorised(intent_from(self.stripe.v1.payment_intents.retrieve(intent_id)))
        assert outcome.action.startswith("placed"), outcome

    def checkout_drifts(self, placed: list[Any]) -> None:
        from checkout.domain import orders
        from orders.domain.models import CancelReason

        groups = [placed[i * PER_KIND : (i + 1) * PER_KIND] for i in range(6)]
        for p in groups[0]:  # payable_after_cancel: the void was lost
            cancelled = orders.cancelled(p.order, datetime.now(UTC), CancelReason.PAYMENT_EXPIRED)
            assert cancelled is not None
            self.shop.orders.save_order(cancelled, p.order.version)
        for n in range(PER_KIND):  # orphan_intent: an attempt two days ago that never became an order
            orphan = self.stripe.v1.payment_intents.create(
                params={
                    "amount": 400000,
                    "currency": "uah",
                    "capture_method": "manual",
                    "metadata": {"order_id": f"ord_gone{n}"},
                }
            )
            self.stack.standin.api.ledger.payment_intents[orphan.id]["created"] -= 2 * 24 * 3600
        for p in groups[1]:  # missed_authorisation: paid, the webhook never came
            self.pay(p.order.payment.intent_id)
        for p in groups[2]:  # capture_unrecorded
            self.pay(p.order.payment.intent_id)
            self.authorise(p.order.payment.intent_id)
            self.stripe.v1.payment_intents.capture(p.order.payment.intent_id)
        for p in groups[3]:  # amount_mismatch
            self.stripe.v1.payment_intents.update(p.order.payment.intent_id, params={"amount": 123456})
        for p in groups[4]:  # authorisation_lost
            self.pay(p.order.payment.intent_id)
            self.authorise(p.order.payment.intent_id)
            self.stripe.v1.payment_intents.cancel(p.order.payment.intent_id)
        # Half of the rest paid and placed as they should be: they must not be reported.
        for p in placed[6 * PER_KIND :: 2]:
            self.pay(p.order.payment.intent_id)
            self.authorise(p.order.payment.intent_id)

    def update(self, pk: str, sk: str, expression: str, values: dict[str, Any], status: bool = False) -> None:
        extra = {"ExpressionAttributeNames": {"#status": "status"}} if status else {}
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            **extra,
        )

    def ghost_hold(self, reservation_id: str, sku: str, quantity: int, expires_at: int) -> None:
        line = {"sku": {"S": sku}, "location_id": {"S": RACE_LOCATION}, "quantity": {"N": str(quantity)}}
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"RES#{reservation_id}"},
                "sk": {"S": "RESERVATION"},
                "type": {"S": "reservation"},
                "reservation_id": {"S": reservation_id},
                "order_id": {"S": f"ord_{reservation_id}"},
                "status": {"S": "active"},
                "lines": {"L": [{"M": line}]},
                "created_at": {"S": "2026-12-01T00:00:00.000Z"},
                "expires_at": {"N": str(expires_at)},
            },
        )

    def inventory_drifts(self, extra_skus: list[str], placed: list[Any]) -> None:
        now = int(time.time())
        two = {":q": {"N": "2"}}
        for sku in extra_skus[:PER_KIND]:  # reserved_mismatch: a counter with nothing holding it
            self.update(
                f"SKU#{sku}",
                f"LOC#{RACE_LOCATION}",
                "SET reserved = reserved + :q, available = available - :q",
                two,
            )
        for sku in extra_skus[PER_KIND : 2 * PER_KIND]:  # available_mismatch
            self.update(f"SKU#{sku}", f"LOC#{RACE_LOCATION}", "SET available = available - :q", two)
        for n, sku in enumerate(extra_skus[2 * PER_KIND : 3 * PER_KIND]):  # oversold: 12 held of 10
            self.update(f"SKU#{sku}", f"LOC#{RACE_LOCATION}", "SET on_hand = :ten, available = :zero, reserved = :ten",
                        {":ten": {"N": "10"}, ":zero": {"N": "0"}})  # fmt: skip
            self.ghost_hold(f"res_over{n}", sku, 12, now + 3600)
        for p in placed[-PER_KIND:]:  # overdue_hold: an hour past expiry, still active
            self.update(f"RES#{p.order.reservation_id}", "RESERVATION", "SET expires_at = :past",
                        {":past": {"N": str(now - 3600)}})  # fmt: skip
        for n in range(PER_KIND):  # hold_without_stock
            self.ghost_hold(f"res_nolevel{n}", f"GONE-{n}", 1, now + 3600)


def _stage(stack: Any) -> str:
    return str(stack.tables.orders).removeprefix("shop-").removesuffix("-orders")


def _environment(stack: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in FUNCTIONS:
        env.update(function_environment(_stage(stack), function(name)))
    env.update(
        STRIPE_API_BASE=stack.standin.url,
        RECONCILE_SETTLE_MINUTES="0",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    return env


def _invoke(stack: Any, name: str) -> tuple[dict[str, Any], float]:
    from checkout.handlers.reconciler import handler as checkout_handler
    from inventory.handlers.reconciler import handler as inventory_handler

    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = (
        checkout_handler if name == "checkout-reconciler" else inventory_handler
    )
    rule = f"arn:aws:events:eu-west-1:123456789012:rule/{physical_name(_stage(stack), name)}-schedule"
    spec = function(name)
    context = LambdaContext(physical_name(_stage(stack), name), spec.memory_mb, spec.timeout_s)
    started = time.perf_counter()
    result = handler(scheduled_event(rule), context)
    return result, round(time.perf_counter() - started, 3)


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    from checkout import wiring as checkout_wiring
    from inventory import wiring as inventory_wiring
    from shop_kernel import aws

    containers = checkout_wiring.container, inventory_wiring.container

    with race_stack() as stack:
        env = _environment(stack)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            import boto3

            secrets = boto3.client("secretsmanager")
            secrets.put_secret_value(
                SecretId=physical_name(_stage(stack), "stripe-api-key"), SecretString=RACE_API_KEY
            )
            # The functions start in this environment: new clients, new containers built on first use.
            aws.reset_clients()
            checkout_wiring.container = checkout_wiring.CheckoutContainer()
            inventory_wiring.container = inventory_wiring.InventoryContainer()
            figures = _measure(stack)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            aws.reset_clients()
            checkout_wiring.container, inventory_wiring.container = containers
    first, second = figures["first_run"], figures["second_run"]
    summary = [
        ("orders placed / PaymentIntents checked", f"{ORDERS} / {first['checkout']['intents_checked']}", "+5 orphans"),
        ("stock levels / active holds checked", f"{first['inventory']['levels_checked']} / {first['inventory']['holds_checked']}", ""),
        ("drifts planted", str(figures["planted_total"]), f"{PER_KIND} of each of 11 kinds"),
        ("drifts found (first run)", str(figures["found_total"]), "every planted one, nothing else"),
        ("drifts repaired (first run)", str(figures["repaired_total"]), "void, authorise, record capture, recount"),
        ("drifts flagged for ops", str(figures["flagged_total"]), "amount, lost authorisation, oversold, overdue, no level"),
        ("second run: found / repaired", f"{figures['second_found_total']} / {figures['second_repaired_total']}", "only the flagged ones again"),
        ("checkout reconciler seconds (1st / 2nd)", f"{first['checkout_s']} / {second['checkout_s']}", "moto server + Stripe stand-in, 1 process"),
        ("inventory reconciler seconds (1st / 2nd)", f"{first['inventory_s']} / {second['inventory_s']}", "one consistent Scan + recounts"),
    ]  # fmt: skip
    return figures, summary


def _measure(stack: Any) -> dict[str, Any]:
    from inventory.adapters.dynamo import InventoryStore

    shop = Shop(stack)
    level = shop.level()
    shop.inventory.set_stock(RACE_SKU, RACE_LOCATION, ORDERS + 10, level.version, "bench", datetime.now(UTC))
    extra = [f"BENCH-{n:04d}" for n in range(EXTRA_LEVELS)]
    InventoryStore(stack.client(), stack.tables.inventory).receive_opening_stock(
        [(sku, RACE_LOCATION, 10) for sku in extra], "bench", datetime.now(UTC)
    )
    buyer = Environment(stack, Tally())
    seeding = time.perf_counter()
    placed = [buyer.service.place(_request(shop.guest_cart())) for _ in range(ORDERS)]
    planter = Planter(stack, shop)
    planter.checkout_drifts(placed)
    planter.inventory_drifts(extra, placed)
    seeded_s = round(time.perf_counter() - seeding, 1)
    runs: list[dict[str, Any]] = []
    for _ in range(2):
        checkout_result, checkout_s = _invoke(stack, "checkout-reconciler")
        inventory_result, inventory_s = _invoke(stack, "inventory-reconciler")
        runs.append(
            {
                "checkout": checkout_result,
                "checkout_s": checkout_s,
                "inventory": inventory_result,
                "inventory_s": inventory_s,
            }
        )
    first, second = runs

    def total(run: dict[str, Any], key: str) -> int:
        return sum(run["checkout"][key].values()) + sum(run["inventory"][key].values())

    planted = {kind: PER_KIND for kind in (*CHECKOUT_KINDS, *INVENTORY_KINDS)}
    found = {**first["checkout"]["found"], **first["inventory"]["found"]}
    if found != planted:
        raise AssertionError(f"found {found}, planted {planted}")
    return {
        "orders": ORDERS,
        "extra_levels": EXTRA_LEVELS,
        "per_kind": PER_KIND,
        "seed_and_plant_s": seeded_s,
        "planted": planted,
        "planted_total": sum(planted.values()),
        "found_total": total(first, "found"),
        "repaired_total": total(first, "repaired"),
        "flagged_total": first["checkout"]["flagged"] + first["inventory"]["flagged"],
        "second_found_total": total(second, "found"),
        "second_repaired_total": total(second, "repaired"),
        "first_run": first,
        "second_run": second,
    }
