"""Customers API: cold init of the function on a read path (GET /me/profile of a customer who has one).

Same method as the other API functions (``bench.cold_start``): fresh interpreters import the handler and
serve one event, alternating with a bare boto3 client in the same run. catalog-api (GET /catalog/categories)
is measured in the same run as the reference an existing API function gives on this machine at this load.
"""

from __future__ import annotations

import json
from typing import Any

from bench.cold_start import measure
from bench.stack import proxy_event, running_stack
from infra.local.provision import function_environment
from infra.resources import function

FUNCTION = "customers-api"
REFERENCE = "catalog-api"
PROFILE = {
    "given_name": "Olena",
    "family_name": "Shevchenko",
    "phones": [{"kind": "mobile", "number": "+380441234567"}],
    "addresses": [
        {"address": {"line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"}, "default_shipping": True}
    ],
    "language": "uk",
    "currency": "UAH",
}


def _invoke(stack: Any, event: dict[str, Any]) -> dict[str, Any]:
    response = stack.functions[FUNCTION].invoke(event)
    return {"status": response["statusCode"], "body": json.loads(response["body"] or "null")}


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    with running_stack(products=1) as stack:
        created = _invoke(stack, proxy_event("PUT", "/me/profile", body=PROFILE, role="customers"))
        if created["status"] not in (200, 201, 428):
            raise RuntimeError(f"the profile was not created: {created}")
        env = function_environment("bench", function(FUNCTION))
        read = proxy_event("GET", "/me/profile", role="customers")
        cold = measure(function(FUNCTION).handler, read, env=env, runs=11)
        catalog_env = function_environment("bench", function(REFERENCE))
        categories = proxy_event("GET", "/catalog/categories")
        reference = measure(function(REFERENCE).handler, categories, env=catalog_env, runs=11)
    figures = {"cold_start": cold, "reference_cold_start": reference}
    summary = [
        (
            "cold init, customers-api (GET /me/profile)",
            f"{cold['handler_ms_median']} ms vs {cold['baseline_ms_median']} ms bare boto3 client",
            f"ratio {cold['ratio']}; modules {cold['modules']}; forbidden loaded: "
            + (", ".join(cold["forbidden_modules"]) or "none"),
        ),
        (
            "cold init, catalog-api (GET /catalog/categories), same run",
            f"{reference['handler_ms_median']} ms vs {reference['baseline_ms_median']} ms bare boto3 client",
            f"ratio {reference['ratio']}; modules {reference['modules']} (the reference: an existing API function)",
        ),
    ]
    return figures, summary
