"""Cognito pre-token-generation trigger of the shoppers' pool: the ``custom:price_group`` claim is the B2B
price group staff set in this context, never the user pool attribute of the same name.

Cart, checkout, catalog and search price by that claim (``shop_kernel.auth``); API Gateway's authorizer
passes the ID token's claims, which this trigger (V1 event) decides. A shopper without a group gets the
claim suppressed, so nothing a user or a stale attribute holds can name a price list. A change by staff
reaches the shopper's requests with their next token (sign-in, or the refresh the app makes before the
ID token's hour is up).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customers import wiring
from shop_kernel.auth import PRICE_GROUP_CLAIM
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()


def claims_override(group: str | None) -> dict[str, Any]:
    if group:
        return {"claimsToAddOrOverride": {PRICE_GROUP_CLAIM: group}}
    return {"claimsToSuppress": [PRICE_GROUP_CLAIM]}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sub = event["request"]["userAttributes"]["sub"]
    group = wiring.container.store().price_group(sub)
    event.setdefault("response", {})["claimsOverrideDetails"] = claims_override(group)
    logger.info("token claims", extra={"customer_id": sub, "price_group": group})
    return event
