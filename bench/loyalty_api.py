"""Loyalty: cold init of loyalty-api (ratio to a bare boto3 client, as the other API functions), beside
cart-api measured in the same run, and the DynamoDB calls of ``GET /me/loyalty`` (a ledger longer than
one page) and of earning per order event.

Runs against a moto server with the stage's resources (``provision``), not the whole local stack: the
figures need the loyalty table and the cursor key only. The member has 30 ledger entries (more than a
page of 20), written through the earning function's own code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bench.cold_start import measure
from bench.stack import proxy_event
from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.provision import function_environment, provision
from infra.resources import function

STAGE = "bench"
RUNS = 11
MEMBER = "bench-customers"  # the sub bench.stack.proxy_event gives role "customers"
ORDERS = 14  # 14 orders + 14 maturities + the welcome bonus = 29 entries, over one page


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _sqs(source: str, detail_type: str, data: dict[str, Any]) -> dict[str, Any]:
    body = {"source": source, "detail-type": detail_type, "detail": {"metadata": {}, "data": data}}
    return {
        "Records": [
            {
                "messageId": "m-0",
                "receiptHandle": "h",
                "body": json.dumps(body),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q",
                "awsRegion": "eu-west-1",
            }
        ]
    }


def _placed(order_id: str) -> dict[str, Any]:
    money = {"amount": 5_000, "currency": "EUR"}
    return {
        "order_id": order_id,
        "placed_at": "2026-11-02T10:00:00.000Z",
        "customer_id": MEMBER,
        "currency": "EUR",
        "lines": [
            {
                "sku": "SKU-1",
                "name": "x",
                "quantity": 1,
                "unit_price": money,
                "discount_total": money,
                "tax": money,
                "total": money,
            }
        ],
    }


def _counted(calls: list[str], handler: Any, event: dict[str, Any]) -> tuple[list[str], Any]:
    before = len(calls)
    answer = handler(event, _Context())
    return calls[before:], answer


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench"


def _seed_and_count() -> dict[str, Any]:
    """Earns ``ORDERS`` orders through the earning handler and matures them through the job (in this
    process, with each function's environment), counting DynamoDB calls per event and for the read."""
    from loyalty import wiring

    from shop_kernel import aws

    calls: list[str] = []
    aws.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    with _environment(function_environment(STAGE, function("loyalty-earning"))):
        from loyalty.handlers import order_events

        wiring.container = wiring.container.fresh()
        placed, delivered = [], []
        for n in range(ORDERS):
            seen, _ = _counted(
                calls, order_events.handler, _sqs("shop.checkout", "OrderPlaced", _placed(f"ord_{n}"))
            )
            placed.append(seen)
            event = {
                "order_id": f"ord_{n}",
                "customer_id": MEMBER,
                "delivered_at": "2026-11-05T12:00:00.000Z",
            }
            seen, _ = _counted(calls, order_events.handler, _sqs("shop.orders", "OrderDelivered", event))
            delivered.append(seen)
    with _environment(function_environment(STAGE, function("loyalty-maturity"))):
        from loyalty.handlers import maturity

        wiring.container = wiring.container.fresh()
        maturity.handler({}, _Context())
    with _environment(function_environment(STAGE, function("loyalty-api"))):
        from loyalty.handlers import api

        wiring.container = wiring.container.fresh()
        seen, answer = _counted(calls, api.handler, proxy_event("GET", "/me/loyalty", role="customers"))
        body = json.loads(answer["body"])
    return {
        "order_placed": placed[-1],
        "order_delivered": delivered[-1],
        "get_me_loyalty": seen,
        "get_me_loyalty_status": answer["statusCode"],
        "ledger_entries_on_first_page": len(body["ledger"]["items"]),
        "more_pages": body["ledger"]["next_cursor"] is not None,
    }


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    port = free_port()
    server = MotoServer(port)
    with _environment(aws_environment(port)):
        server.start()
        try:
            provision(STAGE)
            calls = _seed_and_count()
            loyalty = measure(
                function("loyalty-api").handler,
                proxy_event("GET", "/me/loyalty", role="customers"),
                env=function_environment(STAGE, function("loyalty-api")),
                runs=RUNS,
            )
            cart = measure(
                function("cart-api").handler,
                proxy_event("POST", "/cart", body={"currency": "UAH", "destination_country": "UA"}),
                env=function_environment(STAGE, function("cart-api")),
                runs=RUNS,
            )
        finally:
            server.stop()
    cold: dict[str, dict[str, Any]] = {"loyalty-api GET /me/loyalty": loyalty, "cart-api POST /cart": cart}
    figures = {"at": datetime.now(UTC).isoformat(), "dynamodb_calls": calls, "cold_init": cold}
    summary = [
        (
            f"cold init, {name}",
            f"{f['handler_ms_median']} ms vs {f['baseline_ms_median']} ms bare boto3 client",
            f"ratio {f['ratio']}; {f['modules']} modules; heavy modules: {', '.join(f['forbidden_modules']) or 'none'}",
        )
        for name, f in cold.items()
    ]
    summary += [
        (
            "DynamoDB calls: GET /me/loyalty (ledger over one page)",
            str(len(calls["get_me_loyalty"])),
            ", ".join(calls["get_me_loyalty"])
            + f"; {calls['ledger_entries_on_first_page']} entries, more pages: "
            f"{calls['more_pages']}",
        ),
        (
            "DynamoDB calls: earning per OrderDelivered",
            str(len(calls["order_delivered"])),
            ", ".join(calls["order_delivered"]),
        ),
        (
            "DynamoDB calls: OrderPlaced recorded",
            str(len(calls["order_placed"])),
            ", ".join(calls["order_placed"]),
        ),
    ]
    return figures, summary
