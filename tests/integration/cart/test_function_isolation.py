"""Each handler runs as its function: only its spec's environment, only its spec's grants (tests.harness)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local.provision import function_environment
from infra.resources import function, physical_name
from tests.harness import RUNTIME_VARIABLES, UngrantedAccess
from tests.integration.cart.conftest import cart_event


def test_a_handler_sees_only_its_own_environment(cart_stack: SimpleNamespace, functions: Any) -> None:
    # GIVEN a test process whose environment holds the cart functions' variables and one of its own
    os.environ["SOMETHING_THE_TEST_SET"] = "1"
    try:
        # WHEN code runs as the inventory sweeper
        seen = functions.run("inventory-sweeper", lambda: dict(os.environ))
    finally:
        del os.environ["SOMETHING_THE_TEST_SET"]
    # THEN it sees its spec's environment and the runtime's variables, nothing the test or other functions had
    own = function_environment("test", function("inventory-sweeper"))
    assert {k: v for k, v in seen.items() if k in own} == own
    assert set(seen) - set(own) <= set(RUNTIME_VARIABLES)
    assert "CARTS_TABLE_NAME" not in seen
    assert "SOMETHING_THE_TEST_SET" not in seen


def test_a_handler_run_as_a_function_without_the_grant_is_refused_the_table(
    cart_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN the cart API's handler run as the catalog projector (carts only), told the other tables' names
    # (as a spec that adds a variable but forgets the grant would)
    from cart.handlers.api import handler

    functions.override(
        "cart-catalog-projector",
        PROMOTIONS_TABLE_NAME=physical_name("test", "promotions"),
        INVENTORY_TABLE_NAME=physical_name("test", "inventory"),
        LOYALTY_TABLE_NAME=physical_name("test", "loyalty"),
    )
    created = functions.invoke("cart-api", cart_event("POST", "/cart", {"currency": "EUR"}), lambda_context)
    assert created["statusCode"] == 201
    event = cart_event("GET", "/cart", token=json.loads(created["body"])["token"])
    # WHEN it reads a cart (the cart, the SKU facts and the promotions in one BatchGetItem)
    with pytest.raises(UngrantedAccess) as refused:
        functions.run("cart-catalog-projector", handler, event, lambda_context)
    # THEN the read is refused, naming the function, the action and the table it has no grant on
    assert refused.value.function == "cart-catalog-projector"
    assert refused.value.action == "dynamodb:BatchGetItem"
    assert refused.value.resource in (physical_name("test", "promotions"), physical_name("test", "inventory"))
    # AND the same request as the cart API itself is answered
    assert functions.invoke("cart-api", event, lambda_context)["statusCode"] == 200
