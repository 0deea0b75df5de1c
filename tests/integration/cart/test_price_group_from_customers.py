"""A B2B price group end to end: staff set it in the customers context, the shoppers' pool's pre-token
trigger (customers-token-claims) turns it into the ``custom:price_group`` claim, and the cart prices by that
claim. Every function runs warm as its own function between the steps: nothing cached carries the old group."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.conftest import REGION
from tests.integration.cart.conftest import OTHER_SUB, Reply
from tests.integration.customers.conftest import AGENT_SUB, customers_event
from tests.support import reply_from

RETAIL_EUR_LAPTOP = 100000  # the catalog's retail price of LAP-A-BLK (tax included)
GOLD_EUR_LAPTOP = 80000  # the b2b_gold list's net price


def _token_claims(functions: Any, lambda_context: Any, sub: str) -> dict[str, str]:
    """The ID token claims a refreshed token carries: the pre-token trigger's answer applied to what the
    token had (a user attribute the user could hold is what the trigger overrides or suppresses)."""
    event = {
        "version": "1",
        "region": REGION,
        "userPoolId": f"{REGION}_shoppers",
        "userName": sub,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "web"},
        "triggerSource": "TokenGeneration_RefreshTokens",
        "request": {
            "userAttributes": {"sub": sub, "email_verified": "true", "custom:price_group": "b2b_gold"},
            "groupConfiguration": {"groupsToOverride": ["customers"], "iamRolesToOverride": []},
        },
        "response": {},
    }
    answer = functions.invoke("customers-token-claims", event, lambda_context)
    override = answer["response"]["claimsOverrideDetails"]
    claims = {"custom:price_group": "b2b_gold", **override.get("claimsToAddOrOverride", {})}
    for name in override.get("claimsToSuppress", []):
        claims.pop(name, None)
    return claims


def test_a_staff_change_of_the_group_reprices_the_customers_cart_at_the_next_token(
    call: Callable[..., Reply], shop: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    def set_group(group: str | None, **who: Any) -> Reply:
        event = customers_event("PUT", f"/admin/customers/{OTHER_SUB}/group", {"group": group}, **who)
        return reply_from(functions.invoke("customers-api", event, lambda_context))

    def cart_price() -> tuple[str, int]:
        claims = _token_claims(functions, lambda_context, OTHER_SUB)
        (line,) = call("GET", "/me/cart", sub=OTHER_SUB, claims=claims).body["lines"]
        return line["price_list"], line["unit_price"]["amount"]

    # GIVEN a customer with a laptop in their cart, and no group (whatever their user attribute says)
    claims = _token_claims(functions, lambda_context, OTHER_SUB)
    call("POST", "/me/cart", {"currency": "EUR", "destination_country": "DE"}, sub=OTHER_SUB, claims=claims)
    call("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=OTHER_SUB, claims=claims)
    assert cart_price() == ("retail", RETAIL_EUR_LAPTOP)
    # WHEN the customer tries to set their own group THEN it is refused and the price stays retail
    assert set_group("b2b_gold", sub=OTHER_SUB, groups="customers").status == 403
    assert cart_price() == ("retail", RETAIL_EUR_LAPTOP)
    # WHEN an agent sets b2b_gold THEN the cart shows the negotiated price with the next token
    assert set_group("b2b_gold", sub=AGENT_SUB, groups="agents").status == 200
    assert cart_price() == ("b2b_gold", GOLD_EUR_LAPTOP)
    # WHEN the agent clears it THEN the next one is retail again
    assert set_group(None, sub=AGENT_SUB, groups="agents", headers={"If-Match": '"1"'}).status == 200
    assert cart_price() == ("retail", RETAIL_EUR_LAPTOP)
