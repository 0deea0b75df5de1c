"""``POST /webhooks/stripe``: Stripe's events, verified, deduplicated, applied to orders.

1. ``stripe.Webhook.construct_event`` checks the ``Stripe-Signature`` (HMAC of the exact body with the
   endpoint's signing secret from Secrets Manager) and its timestamp (older than 300 s is refused, so a
   captured request cannot be replayed later). A forged, tampered or stale request is a 400 and changes
   nothing.
2. Powertools idempotency keyed on the Stripe event id: Stripe delivers at least once (and our answer
   can be lost), so the same event arriving again returns the first outcome without touching the order.
3. ``checkout.domain.payments.PaymentEvents`` applies it (authorised, failed, cancelled, captured,
   refunded). An outage answers 503 and Stripe retries with backoff for up to three days.

Events that are not about our orders are acknowledged with 200 so Stripe stops sending them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout.adapters import idempotency_store, payment_events, settings, webhook_secret
from checkout.adapters.stripe_gateway import intent_from
from shop_kernel.errors import Conflict, DependencyUnavailable, FieldError, MalformedRequest
from shop_kernel.http import build_resolver, header, json_response
from shop_kernel.observability import logger, metrics

SIGNATURE_HEADER = "Stripe-Signature"
app = build_resolver()


@lru_cache(maxsize=1)
def _idempotent_apply(persistence: Any) -> tuple[Any, Any]:
    """Keyed on the persistence layer, so ``checkout.adapters.reset()`` builds a new wrapper."""
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
        outcome = payment_events().handle(stripe_event["type"], obj, intent)
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
            payload, signature, webhook_secret()().decode(), tolerance=settings().webhook_tolerance_s
        )
    except ValueError as exc:
        raise MalformedRequest("the body is not a Stripe event") from exc
    except stripe.SignatureVerificationError as exc:
        message = "the Stripe-Signature does not match this body, or it is too old"
        raise MalformedRequest(
            message, errors=[FieldError(field=field, message=message, code="invalid_signature")]
        ) from exc


@app.post("/webhooks/stripe", include_in_schema=False)
def stripe_webhook():
    event = _verified(app.current_event.decoded_body or "", header(app, SIGNATURE_HEADER))
    apply_event, config = _idempotent_apply(idempotency_store("stripe-events"))
    config.register_lambda_context(app.lambda_context)
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
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
