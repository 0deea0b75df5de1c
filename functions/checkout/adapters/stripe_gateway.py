"""``PaymentGateway`` on Stripe, with the official SDK (imported on first use: read paths never load it).

PaymentIntents are created with ``capture_method=manual`` (authorise at checkout, capture when the order
ships), card payments only, the order id in ``metadata`` and an idempotency key made from our ids.
The SDK retries network failures itself with the same idempotency key. Locally ``STRIPE_API_BASE``
points it at the Stripe stand-in; in the cloud it talks to api.stripe.com. The secret key comes from
Secrets Manager through ``key_provider``, fetched once per process.

Stripe's errors become ours: unreachable, rate limited, 5xx or a key Stripe refuses -> 503 (payments
are unavailable, retry later); an amount Stripe will not charge -> 422.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from checkout.domain.ports import AuthorisationExpired, CaptureDeclined, ChargeFacts, PaymentIntent
from orders.domain.models import CardSummary, Order
from shop_kernel.errors import Conflict, DependencyUnavailable, ValidationFailed
from shop_kernel.observability import logger

NETWORK_RETRIES = 2
TIMEOUT_S = 10


def intent_from(obj: Any) -> PaymentIntent:
    """Our view of a Stripe PaymentIntent (an SDK object or a webhook's plain dict)."""
    data: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    get = data.get
    charge = get("latest_charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    error = get("last_payment_error")
    return PaymentIntent(
        id=str(get("id")),
        status=str(get("status")),
        amount=int(get("amount") or 0),
        currency=str(get("currency") or "").upper(),
        client_secret=get("client_secret"),
        amount_capturable=int(get("amount_capturable") or 0),
        amount_received=int(get("amount_received") or 0),
        created=int(get("created") or 0),
        metadata=dict(get("metadata") or {}),
        latest_charge=charge,
        cancellation_reason=get("cancellation_reason"),
        last_error=dict(error) if error else None,
    )


def charge_facts_from(obj: Any) -> ChargeFacts:
    charge: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    details = (charge.get("payment_method_details") or {}).get("card") or {}
    billing = (charge.get("billing_details") or {}).get("address") or {}
    card = CardSummary(
        brand=details.get("brand"),
        last4=details.get("last4"),
        country=details.get("country"),
        fingerprint=details.get("fingerprint"),
        funding=details.get("funding"),
    )
    multicapture = (details.get("multicapture") or {}).get("status") == "available"
    return ChargeFacts(card=card, billing_country=billing.get("country"), multicapture=multicapture)


class StripeGateway:
    def __init__(self, key_provider: Callable[[], bytes], api_base: str | None = None) -> None:
        self._key_provider = key_provider
        self._api_base = api_base
        self._client: Any = None
        self._lock = threading.Lock()

    def _stripe(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import stripe

                    kwargs: dict[str, Any] = {
                        "max_network_retries": NETWORK_RETRIES,
                        "http_client": stripe.RequestsClient(timeout=TIMEOUT_S),
                    }
                    if self._api_base:
                        kwargs["base_addresses"] = {"api": self._api_base}
                    self._client = stripe.StripeClient(self._key_provider().decode(), **kwargs)
        return self._client

    def create_intent(self, order: Order, idempotency_key: str) -> PaymentIntent:
        params: dict[str, Any] = {
            "amount": order.payment.amount.amount,
            "currency": order.payment.amount.currency.lower(),
            "capture_method": "manual",
            "payment_method_types": ["card"],
            "description": f"Order {order.id}",
            "metadata": {"order_id": order.id, "cart_id": order.cart_id},
            # One capture per shipment where Stripe offers it (IC+ pricing, the big card brands).
            "payment_method_options": {"card": {"request_multicapture": "if_available"}},
        }
        if order.buyer.email:
            params["receipt_email"] = order.buyer.email
        with _translated("create a payment"):
            intent = self._stripe().v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return intent_from(intent)

    def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        with _translated("read a payment"):
            return intent_from(self._stripe().v1.payment_intents.retrieve(intent_id))

    def cancel_intent(self, intent_id: str, reason: str, idempotency_key: str) -> PaymentIntent:
        try:
            with _translated("cancel a payment"):
                intent = self._stripe().v1.payment_intents.cancel(
                    intent_id,
                    params={"cancellation_reason": reason},
                    options={"idempotency_key": idempotency_key},
                )
        except Conflict:
            # Already cancelled (or captured): Stripe says so with a 400; answer what it is now.
            return self.retrieve_intent(intent_id)
        return intent_from(intent)

    def capture_intent(self, intent_id: str, amount: int, final: bool, idempotency_key: str) -> PaymentIntent:
        import stripe

        params: dict[str, Any] = {"amount_to_capture": amount}
        if not final:
            params["final_capture"] = False
        try:
            with _translated("capture a payment"):
                try:
                    intent = self._stripe().v1.payment_intents.capture(
                        intent_id, params=params, options={"idempotency_key": idempotency_key}
                    )
                except stripe.InvalidRequestError as exc:
                    if exc.code == "charge_expired_for_capture":
                        raise AuthorisationExpired(f"{intent_id}: the authorisation expired") from exc
                    raise
        except stripe.CardError as exc:
            raise CaptureDeclined(f"{intent_id}: {exc.code} ({exc.user_message or 'declined'})") from exc
        except Conflict as exc:
            # Cancelled (by us, or by Stripe when the authorisation lapsed): never capturable again. Else
            # the same key is still in flight (Stripe's 409): a retry gets its answer.
            current = self.retrieve_intent(intent_id)
            if current.status in ("canceled", "succeeded"):
                raise AuthorisationExpired(
                    f"{intent_id} is {current.status}: nothing more to capture"
                ) from exc
            raise DependencyUnavailable(f"the capture of {intent_id} is still in progress") from exc
        return intent_from(intent)

    def list_intents(self, created_since: datetime) -> Iterator[PaymentIntent]:
        params: dict[str, Any] = {"created": {"gte": int(created_since.timestamp())}, "limit": 100}
        with _translated("list payments"):
            page = self._stripe().v1.payment_intents.list(params=params)
            for intent in page.auto_paging_iter():
                yield intent_from(intent)

    def charge_facts(self, charge_id: str) -> ChargeFacts:
        with _translated("read a charge"):
            charge = self._stripe().v1.charges.retrieve(charge_id)
        return charge_facts_from(charge)


@contextmanager
def _translated(action: str) -> Iterator[None]:
    import stripe

    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        logger.warning("Stripe unavailable", extra={"action": action, "error": type(exc).__name__})
        raise DependencyUnavailable(f"the payment provider is unavailable: could not {action}") from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        # Our key is wrong or revoked: payments are down until an operator fixes it; say so loudly.
        logger.error("Stripe refused our API key", extra={"action": action})
        raise DependencyUnavailable("payments are unavailable right now") from exc
    except stripe.IdempotencyError as exc:
        raise Conflict("this payment is being created by another request; retry") from exc
    except stripe.InvalidRequestError as exc:
        if exc.code in ("amount_too_small", "amount_too_large"):
            raise ValidationFailed.on(
                "cart", f"Stripe cannot charge this amount: {exc.user_message or exc.code}", exc.code
            ) from exc
        if exc.code == "payment_intent_unexpected_state":
            raise Conflict(f"the payment cannot {action.split()[0]} in its current state") from exc
        logger.exception("Stripe refused a request", extra={"action": action, "code": exc.code})
        raise DependencyUnavailable(f"the payment provider refused to {action}") from exc
