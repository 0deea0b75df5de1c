"""``POST /checkout`` (guest) and ``POST /me/checkout`` (customer): the cart becomes an order.

Each request needs an ``Idempotency-Key`` header (any visible ASCII, at most 255 characters; a UUID per
checkout attempt is ideal). Powertools idempotency keys the request on (buyer, key): a retry returns the
first answer, a concurrent duplicate gets a 409 while the first runs, and the same key with another body
is a 422. Errors are not remembered (the record is removed), so a retry after a 409 for stock runs again.
``If-Match`` with the cart's ETag is optional and refuses a cart that changed since (412).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from cart.domain.models import CartOwner, OwnerKind
from checkout.adapters import idempotency_store, service, settings
from checkout.domain.models import Buyer, CheckoutBody
from checkout.domain.service import PlaceOrder
from checkout.handlers.routes.common import client_ip, customer, guest, if_match, lambda_context
from shop_kernel.errors import Conflict, DependencyUnavailable, FieldError, MalformedRequest, ValidationFailed
from shop_kernel.http import json_response

router = Router()
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


# Documented in the OpenAPI document; checked by ``idempotency_key`` so that a missing key is a 400.
KeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Required: 1-255 visible ASCII characters, new per checkout attempt (a UUID); a retry sends the same one",
    ),
]


@router.post("/checkout", tags=["checkout"])
def guest_checkout(body: CheckoutBody, key: KeyHeader = None):
    """Checks out the guest cart named by ``X-Cart-Token``; answers the order and the PaymentIntent's
    client secret for Stripe.js. The order waits for payment until ``payment.pay_by``."""
    owner, buyer = guest(router)
    return _checkout(owner, buyer, body, key)


@router.post("/me/checkout", tags=["checkout"])
def customer_checkout(body: CheckoutBody, key: KeyHeader = None):
    """Checks out the signed-in customer's cart (their price group, their e-mail unless one is given)."""
    owner, buyer = customer(router)
    return _checkout(owner, buyer, body, key)


def idempotency_key(raw: str | None) -> str:
    field = f"header.{IDEMPOTENCY_HEADER.lower()}"
    if raw is None or not raw.strip():
        message = f"send an {IDEMPOTENCY_HEADER} header (e.g. a new UUID per checkout attempt)"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="missing")])
    if not _KEY.match(raw.strip()):
        message = f"{IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="malformed")])
    return raw.strip()


def _checkout(owner: CartOwner, buyer: Buyer, body: CheckoutBody, key: str | None) -> Response[str]:
    request = {
        "owner": f"{owner.kind.value}:{owner.key}",
        "key": idempotency_key(key),
        "body": body.model_dump(mode="json", exclude_none=True),
        "if_match": if_match(router),
        "buyer": buyer.model_dump(mode="json"),
        "client_ip": client_ip(router),
    }
    answer = _place_once(request)
    order_id = answer["body"]["order"]["id"]
    location = f"/me/orders/{order_id}" if buyer.kind == "customer" else f"/checkout/orders/{order_id}"
    return json_response(answer["body"], answer["status"], {"Location": location})


@lru_cache(maxsize=1)
def _idempotent_place(persistence: Any) -> tuple[Callable[..., dict[str, Any]], Any]:
    """Powertools' idempotent wrapper around placing the order, built on first use (it imports boto3).

    Keyed on the persistence layer, so ``checkout.adapters.reset()`` (a new layer) builds a new wrapper."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="[body, if_match]",
        expires_after_seconds=settings().idempotency_ttl_s,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def place_checkout(request: dict[str, Any]) -> dict[str, Any]:
        return {"status": 201, "body": service().place(_place_order(request)).view()}

    return place_checkout, config


def _place_order(request: dict[str, Any]) -> PlaceOrder:
    buyer = Buyer.model_validate(request["buyer"])
    return PlaceOrder(
        owner=CartOwner(OwnerKind(buyer.kind), buyer.key),
        buyer=buyer,
        body=CheckoutBody.model_validate(request["body"]),
        idempotency_key=request["key"],
        if_match=request["if_match"],
        client_ip=request["client_ip"],
    )


def _place_once(request: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency

    place, config = _idempotent_place(idempotency_store("checkout"))
    config.register_lambda_context(lambda_context())
    try:
        return place(request=request)
    except idempotency.IdempotencyAlreadyInProgressError as exc:
        raise Conflict("a checkout with this Idempotency-Key is still running: retry in a moment") from exc
    except idempotency.IdempotencyValidationError as exc:
        raise ValidationFailed(
            "this Idempotency-Key was used for a different checkout: send a new key",
            errors=[
                FieldError(
                    field="header.idempotency-key", message="reused with another request", code="reused"
                )
            ],
        ) from exc
    except (
        idempotency.IdempotencyPersistenceLayerError,
        idempotency.IdempotencyPersistenceConnectionError,
    ) as exc:
        raise DependencyUnavailable("checkout is unavailable right now: retry shortly") from exc
