"""Catalog API: cold init of the function and DynamoDB calls + consumed capacity per route."""

from __future__ import annotations

import json
import threading
from typing import Any

from bench.cold_start import measure
from bench.stack import proxy_event, running_stack
from infra.local.provision import function_environment
from infra.resources import function

FUNCTION = "catalog-api"


class DynamoMeter:
    """Counts DynamoDB calls and consumed capacity through botocore event hooks on the shared client.

    Only calls made by the thread serving the measured request count: the local stack's pollers feed
    other functions (the cart's catalog projector, the indexer) on the same client meanwhile.
    """

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        self.capacity = 0.0
        self.thread = threading.get_ident()
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask_for_capacity)
        client.meta.events.register("before-call.dynamodb.*", self._count)
        client.meta.events.register("after-call.dynamodb.*", self._add_capacity)

    _WITH_CAPACITY = {
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
    }  # fmt: skip

    def _mine(self) -> bool:
        return threading.get_ident() == self.thread

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self._mine() and model.name in self._WITH_CAPACITY:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, model: Any, **_: Any) -> None:
        if self._mine():
            self.calls.append(model.name)

    def _add_capacity(self, parsed: dict[str, Any], **_: Any) -> None:
        if not self._mine():
            return
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.capacity += float(entry.get("CapacityUnits", 0))

    def reset(self) -> None:
        self.calls, self.capacity, self.thread = [], 0.0, threading.get_ident()


def _invoke(stack: Any, event: dict[str, Any]) -> dict[str, Any]:
    response = stack.functions[FUNCTION].invoke(event)
    return {"status": response["statusCode"], "body": json.loads(response["body"] or "null")}


def _sample(stack: Any) -> dict[str, str]:
    tree = _invoke(stack, proxy_event("GET", "/catalog/categories"))["body"]
    roots = tree["items"] if isinstance(tree, dict) else tree
    category = roots[0]["id"]
    page = _invoke(stack, proxy_event("GET", f"/catalog/categories/{category}/products"))["body"]
    product = page["items"][0]
    detail = _invoke(stack, proxy_event("GET", f"/catalog/products/{product['id']}", locale="uk"))["body"]
    return {"category": category, "product": product["id"], "slug_uk": detail["seo"]["slug"]}


def _routes(sample: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        "GET product by id": proxy_event("GET", f"/catalog/products/{sample['product']}"),
        "GET product by uk slug": proxy_event(
            "GET", f"/catalog/products/by-slug/{sample['slug_uk']}", locale="uk"
        ),
        "GET category page": proxy_event("GET", f"/catalog/categories/{sample['category']}/products"),
        "GET category page, price filter": proxy_event(
            "GET",
            f"/catalog/categories/{sample['category']}/products",
            "currency=EUR&min_price=1000&max_price=200000",
        ),
        "GET category tree": proxy_event("GET", "/catalog/categories"),
    }


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    from shop_kernel.aws import client

    with running_stack() as stack:
        sample = _sample(stack)
        meter = DynamoMeter(client("dynamodb"))
        per_route: dict[str, Any] = {}
        for name, event in _routes(sample).items():
            meter.reset()
            result = _invoke(stack, event)
            per_route[name] = {
                "status": result["status"],
                "calls": len(meter.calls),
                "operations": meter.calls,
                "consumed_rcu_wcu": round(meter.capacity, 2),
            }
        env = function_environment("bench", function(FUNCTION))
        cold = measure(function(FUNCTION).handler, _routes(sample)["GET product by id"], env=env, runs=11)
    figures = {"dynamodb_per_route": per_route, "cold_start": cold}
    summary = [
        (
            "cold init, catalog-api (GET product)",
            f"{cold['handler_ms_median']} ms vs {cold['baseline_ms_median']} ms bare boto3 client",
            f"ratio {cold['ratio']} (target <= 1.0)",
        ),
        (
            "modules loaded at cold init",
            str(cold["modules"]),
            "forbidden loaded: " + (", ".join(cold["forbidden_modules"]) or "none"),
        ),
    ]
    for name, figure in per_route.items():
        target = (
            "target 1" if name in {"GET product by id", "GET product by uk slug", "GET category page"} else ""
        )
        summary.append(
            (f"DynamoDB calls: {name}", f"{figure['calls']} ({figure['consumed_rcu_wcu']} RCU)", target)
        )
    return figures, summary
