"""``POST /webhooks/stripe``: Stripe's events, verified, deduplicated, applied to orders.

1. ``stripe.Webhook.construct_event`` checks the ``Stripe-Signature`` (HMAC of the exact body with the
   endpoint's signing secret from Secrets Manager) and its timestamp (older than 300 s is refused, so a
   captured request cannot be replayed later). A forged, tampered or stale request is a 400 and changes
   nothing.
2. Powertools idempotency keyed on the Stripe event id: Stripe delivers at least once (and our answer
   can be lost), so the same event arriving again returns the first outcome without touching the order.
3. ``checkout.domain.payments.PaymentEvents`` applies it (authorised, failed, cancelled, captured,
   refunded). An outage answers 503 and Stripe retries with backoff for up to three days.

Events that are not about our orders are acknowledged with 200 so Stripe stops sending them. The route
is in the function's OpenAPI document (``GET /webhooks/stripe/openapi.json``, tag ``stripe``), merged into
the local ``/openapi.json``: a JSON body without an event's ``id``, ``type`` and ``data.object`` is a 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from checkout import wiring
from checkout.adapters.stripe_gateway import intent_from
from checkout.handlers.views import StripeEvent, StripeEventReceived
from shop_kernel.errors import Conflict, DependencyUnavailable, FieldError, MalformedRequest
from shop_kernel.http import api_function, json_response
from shop_kernel.observability import logger
from shop_kernel.openapi import documented, ok, problem, route_checked

SIGNATURE_HEADER = "Stripe-Signature"
TITLE = "Stripe webhooks"
VERSION = "1.0.0"
SignatureHeader = Annotated[
    str | None,
    Header(
        alias=SIGNATURE_HEADER,
        description="Stripe's signature of the body: `t=<unix time>,v1=<HMAC-SHA256 hex>` (checked by the route)",
        json_schema_extra=route_checked(
            examples=["t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"]
        ),
    ),
]

router = Router()


def _idempotent_apply(persistence: Any) -> tuple[Any, Any]:
    """Powertools' idempotent wrapper around applying an event, on this environment's persistence layer.
    Built per request (a decorator and a config, microseconds): the layer is what lasts, in the container."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=7 * 24 * 3600)

    @idempotent_function(
        data_keyword_argument="stripe_event",
        persistence_store=persistence,
        config=config,
    )
    def apply_event(stripe_event: dict[str, Any]) -> dict[str, Any]:
        obj = stripe_event["object"]
        intent = intent_from(obj) if obj.get("object") == "payment_intent" else None
        outcome = wiring.container.payment_events().handle(stripe_event["type"], obj, intent)
        logger.info(
            "stripe event",
            extra={
                "event_id": stripe_event["id"],
                "type": stripe_event["type"],
                "outcome": outcome.action,
                "order_id": outcome.order_id,
            },
        )
        return {"outcome": outcome.action, "order_id": outcome.order_id}

    return apply_event, config


def _verified(payload: str, signature: str | None) -> Any:
    import stripe

    field = f"header.{SIGNATURE_HEADER.lower()}"
    try:
        return stripe.Webhook.construct_event(
            payload,
            signature,
            wiring.container.webhook_secret()().decode(),
            tolerance=wiring.container.settings().webhook_tolerance_s,
        )
    except ValueError as exc:
        raise MalformedRequest("the body is not a Stripe event") from exc
    except stripe.SignatureVerificationError as exc:
        message = "the Stripe-Signature does not match this body, or it is too old"
        raise MalformedRequest(
            message, errors=[FieldError(field=field, message=message, code="invalid_signature")]
        ) from exc


@router.post(
    "/webhooks/stripe",
    summary="Receive a Stripe event",
    description="Stripe's endpoint for payment events (authorised, failed, cancelled, captured, refunded): "
    "not for shops or shoppers. The Stripe-Signature must match the exact body with our signing secret "
    "and be at most five minutes old, else 400 and nothing changes. The same event delivered again "
    "answers the first outcome; events not about our orders are acknowledged with 200 so Stripe stops "
    "sending them; a 409 or 503 makes Stripe retry later.",
    tags=["stripe"],
    operation_id="receive_stripe_event",
    responses=documented(
        ok(StripeEventReceived, "Verified and handled (or a repeat of one handled)"),
        problem(409, "The same event is being handled right now: Stripe retries later"),
    ),
)
def stripe_webhook(_event: StripeEvent, signature: SignatureHeader = None):
    # The signature covers the exact bytes Stripe sent, so it is checked on the raw body, not the model.
    event = _verified(router.current_event.decoded_body or "", signature)
    apply_event, config = _idempotent_apply(wiring.container.stripe_event_idempotency())
    config.register_lambda_context(router.lambda_context)
    from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency

    data = {"id": event["id"], "type": event["type"], "object": event["data"]["object"].to_dict()}
    try:
        result = apply_event(stripe_event=data)
    except idempotency.IdempotencyAlreadyInProgressError as exc:
        raise Conflict("this event is being processed; Stripe will retry") from exc
    except (
        idempotency.IdempotencyPersistenceLayerError,
        idempotency.IdempotencyPersistenceConnectionError,
    ) as exc:
        raise DependencyUnavailable("cannot record the event right now") from exc
    return json_response({"received": True, **result})


# The correlation id is the X-Request-Id every answer carries (shop_kernel.proxy.finish).
app, handler = api_function(
    [router], openapi_path="/webhooks/stripe/openapi.json", title=TITLE, version=VERSION
)
