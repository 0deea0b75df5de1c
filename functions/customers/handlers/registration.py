"""Cognito post-confirmation trigger of the shoppers' pool: a shopper who confirmed their sign-up joins the
``customers`` group (every ``/me`` route requires it) and is registered here, which publishes
``CustomerRegistered`` (from the table's stream, like every event of this context).

Only ``PostConfirmation_ConfirmSignUp``: ``PostConfirmation_ConfirmForgotPassword`` is an existing user
resetting a password, who is neither new nor to be added again. Cognito retries a failed or slow trigger;
both steps are idempotent (adding a member again succeeds; the registration item is written once), so a
retry publishes nothing twice. A failure raises: Cognito answers the confirmation with an error (the user
may already be confirmed), the function's error alarm fires, and the group is then added by an operator;
the registration still happens at the first profile write.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customers import wiring
from shop_kernel.observability import get_tracer, logger, metrics

SIGN_UP_CONFIRMED = "PostConfirmation_ConfirmSignUp"
SHOPPER_GROUP = "customers"
tracer = get_tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = event.get("triggerSource")
    if source != SIGN_UP_CONFIRMED:
        logger.info("not a sign-up confirmation; nothing to do", extra={"trigger_source": source})
        return event
    sub = event["request"]["userAttributes"]["sub"]
    wiring.container.user_groups().add(event["userPoolId"], event["userName"], SHOPPER_GROUP)
    recorded = wiring.container.service().register(sub)
    logger.info("shopper signed up", extra={"customer_id": sub, "first_time": recorded})
    return event
