"""``POST /checkout`` (guest) and ``POST /me/checkout`` (customer): the cart becomes an order.

Each request needs an ``Idempotency-Key`` header (any visible ASCII, at most 255 characters; a UUID per
checkout attempt is ideal). Powertools idempotency keys the request on (buyer, key): a retry returns the
first answer, a concurrent duplicate gets a 409 while the first runs, and the same key with another body
is a 422. Errors are not remembered (the record is removed), so a retry after a 409 for stock runs again.
The completed record (the answer) is written in the order's own transaction (``checkout.adapters.idempotency``).
``If-Match`` with the cart's ETag is optional and refuses a cart that changed since (412).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, ConfigDict, computed_field, field_serializer, model_validator

from cart.domain.models import CartOwner, OwnerKind
from checkout import wiring
from checkout.domain.body import CheckoutBody, CustomerCheckoutBody
from checkout.domain.service import Placed, PlaceOrder
from checkout.domain.throttle import attempt_keys
from checkout.handlers.routes.common import (
    CartToken,
    IfMatch,
    client_ip,
    customer,
    guest,
    if_match,
)
from checkout.handlers.views import CheckoutPlaced
from orders.domain.models import Buyer
from shop_kernel.errors import (
    Conflict,
    DependencyUnavailable,
    FieldError,
    MalformedRequest,
    TooManyRequests,
    ValidationFailed,
)
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok, problem, route_checked

if TYPE_CHECKING:
    from checkout.adapters.idempotency import CheckoutRecords
    from shop_kernel.transact import TransactPart

router = Router()
IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)


# Documented as required; checked by ``idempotency_key`` so that a missing or malformed key is the route's 400.
KeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="1-255 visible ASCII characters, new per checkout attempt (a UUID); a retry sends the "
        "same one and gets the first answer",
        json_schema_extra=route_checked(pattern=KEY_PATTERN, examples=["6f1d2c3b-8a4e-4f5d-9c6b"]),
    ),
]
LOCATION = {"Location": "Where the new order can be read (GET)"}
PLACED = documented(
    ok(CheckoutPlaced, "The order, waiting for payment, and how to pay it", status=201, headers=LOCATION),
    problem(404, "No open cart (unknown token, or no customer cart)"),
    problem(
        409,
        "Out of stock, a code used up or a gift certificate spent meanwhile, the cart already checked out "
        "(the problem names the order), or the same Idempotency-Key still running",
    ),
    problem(412, "The cart changed since the ETag sent in If-Match"),
    problem(
        422,
        "A field is not valid; `card_charge_below_minimum` on `cart.gift_certificates` (or `cart.lines`) when "
        "gift certificates (or the order itself) leave the card more than nothing but less than the least a "
        "card can be charged in the currency (Stripe's minimum, e.g. 0.50 EUR; `minimum` says it): an order "
        "certificates pay in full needs no card at all",
    ),
)
CUSTOMER_PLACED = documented(
    PLACED,
    problem(
        409,
        "Out of stock, a code used up, a gift certificate spent or the points balance changed meanwhile "
        "(`insufficient-points`, with `available`), the cart already checked out (the problem names the "
        "order), or the same Idempotency-Key still running",
    ),
    problem(
        422,
        "A field is not valid; `body.points` is refused with `not_enough_points` (more than the balance, "
        "`available` says how many there are) or `over_redemption_limit` (more than this order may be paid "
        "with: the currency's rate, the share of the order points may pay and the excluded categories; "
        "`allowed` says how many) or `card_charge_below_minimum` (the points would leave the card more than "
        "nothing but less than the least a card can be charged, Stripe's minimum, e.g. 0.50 EUR: `minimum` "
        "says it, `allowed` the most points that leave the card at least that; points paying everything "
        'need no card). `"max"` uses that many itself. Certificates leaving the card too little: '
        "`card_charge_below_minimum` on `cart.gift_certificates`",
    ),
)
DESCRIPTION = (
    "The cart is priced again on the server, its stock reserved, codes and gift certificates redeemed and "
    "the order written in one transaction; the answer has the order (waiting for payment until "
    "`payment.pay_by`) and the PaymentIntent's client secret for Stripe.js. Retrying with the same "
    "Idempotency-Key answers the first result; a cart that changed, an item out of stock or a code used up "
    "meanwhile is refused by name and changes nothing."
)


@router.post(
    "/checkout",
    summary="Check out the guest cart",
    description="Turns the guest cart named by X-Cart-Token into an order, for a shopper without an "
    "account (an e-mail address is required). " + DESCRIPTION,
    tags=["checkout"],
    operation_id="checkout_guest_cart",
    responses=PLACED,
)
def guest_checkout(
    body: CheckoutBody, key: KeyHeader = None, token: CartToken = None, if_match_header: IfMatch = None
):
    owner, buyer = guest(token)
    return _checkout(owner, buyer, body, key, if_match_header)


@router.post(
    "/me/checkout",
    summary="Check out the customer's cart",
    description="Turns the signed-in customer's cart into an order at their price group's prices; the "
    "receipt goes to their account's e-mail unless another is given. `points` pays part of it with "
    "loyalty points (a number, or `max`): debited in the order's transaction, the card is asked for the "
    "rest (`order.points` says what they paid), and given back if the order is cancelled. The balance is "
    "in `GET /me/loyalty`. " + DESCRIPTION,
    tags=["checkout"],
    operation_id="checkout_customer_cart",
    security=BEARER_SECURITY,
    responses=CUSTOMER_PLACED,
)
def customer_checkout(body: CustomerCheckoutBody, key: KeyHeader = None, if_match_header: IfMatch = None):
    owner, buyer = customer(router)
    return _checkout(owner, buyer, body, key, if_match_header)


def idempotency_key(raw: str | None) -> str:
    field = f"header.{IDEMPOTENCY_HEADER.lower()}"
    if raw is None or not raw.strip():
        message = f"send an {IDEMPOTENCY_HEADER} header (e.g. a new UUID per checkout attempt)"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="missing")])
    if not _KEY.match(raw.strip()):
        message = f"{IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="malformed")])
    return raw.strip()


class CheckoutAttempt(BaseModel):
    """One checkout request, as the idempotency layer sees it: ``[owner, key]`` names the attempt, and a
    retry must send the same ``[body, if_match]`` (else 422). Powertools hashes the model's JSON dump; the
    body is dumped without its absent fields, so the hashes are the ones the earlier dict request had."""

    model_config = ConfigDict(frozen=True)

    buyer: Buyer
    key: str
    body: CheckoutBody  # a customer's is a ``CustomerCheckoutBody`` (the instance is kept as given)
    if_match: int | None
    client_ip: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner(self) -> str:
        return f"{self.buyer.kind}:{self.buyer.key}"

    @field_serializer("body")
    def _present_fields(self, body: CheckoutBody) -> dict[str, Any]:
        return body.model_dump(mode="json", exclude_none=True)

    def command(self) -> PlaceOrder:
        return PlaceOrder(
            owner=CartOwner(OwnerKind(self.buyer.kind), self.buyer.key),
            buyer=self.buyer,
            body=self.body,
            idempotency_key=self.key,
            if_match=self.if_match,
            client_ip=self.client_ip,
            points=self.body.points if isinstance(self.body, CustomerCheckoutBody) else None,
        )


class RecordedCheckout(CheckoutPlaced):
    """The answer as its idempotency record holds it. Records written before the answer was stored as the
    model hold ``{"status": 201, "body": ...}``; for their ``idempotency_ttl_s`` after a deploy they still
    answer their retry."""

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) == {"status", "body"}:
            return data["body"]
        return data


def _checkout(
    owner: CartOwner,
    buyer: Buyer,
    body: CheckoutBody | CustomerCheckoutBody,
    key: str | None,
    if_match_header: str | None,
) -> Response[str]:
    attempt = CheckoutAttempt(
        buyer=buyer,
        key=idempotency_key(key),
        body=body,
        if_match=if_match(if_match_header),
        client_ip=client_ip(router),
    )
    placed = _place_once(attempt)
    order_id = placed.order.id
    location = f"/me/orders/{order_id}" if buyer.kind == "customer" else f"/checkout/orders/{order_id}"
    return json_response(placed.model_dump(mode="json"), 201, {"Location": location})


def _idempotent_place(persistence: CheckoutRecords) -> tuple[Callable[..., CheckoutPlaced], Any]:
    """Powertools' idempotent wrapper around placing the order (its module imports boto3: loaded on first use).

    It takes the request model and answers the response model: Powertools hashes the one and stores the
    other as JSON (``PydanticSerializer``), and a retry gets the stored answer back as the model. Built per
    request (a decorator and a config, microseconds): the persistence layer is what lasts, in the container."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    config = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="[body, if_match]",
        expires_after_seconds=wiring.container.settings().idempotency_ttl_s,
        raise_on_no_idempotency_key=True,
    )

    serializer = PydanticSerializer(RecordedCheckout)

    # The record's key starts with this function's module and qualified name: renaming it would let a
    # retry of a request placed before the rename run again (it would then resume its order, not 201).
    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        output_serializer=serializer,
    )
    def place_checkout(request: CheckoutAttempt) -> CheckoutPlaced:
        # The completed record is written in the order's transaction (decision 49), from the same request
        # dump Powertools hashes and the same answer dump it would store.
        data = request.model_dump(mode="json")

        def answer(placed: Placed) -> TransactPart:
            return persistence.completion(
                data, serializer.to_dict(RecordedCheckout.model_validate(placed.view()))
            )

        command = replace(request.command(), answer=answer, attempt_counted=True)
        placed = wiring.container.service().place(command)
        if placed.recorded:
            persistence.answered(data)
        return RecordedCheckout.model_validate(placed.view())

    return place_checkout, config


def _place_once(request: CheckoutAttempt) -> CheckoutPlaced:
    from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency

    records = wiring.container.checkout_idempotency()
    place, config = _idempotent_place(records)
    # The invocation's Lambda context: the idempotency layer's in-progress record expires with it.
    config.register_lambda_context(router.lambda_context)
    # The attempt counts against its sources (decision 29) in the write of its in-progress record.
    service = wiring.container.service()
    now = service.clock.now()
    owner = CartOwner(OwnerKind(request.buyer.kind), request.buyer.key)
    keys = attempt_keys(owner, request.client_ip, now, service.attempt_limits)
    try:
        with records.counting(wiring.container.store().orders_table, keys, now):
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
        if isinstance(exc.__cause__, TooManyRequests):  # a counter at its limit or contended: nothing written
            raise exc.__cause__ from None
        raise DependencyUnavailable("checkout is unavailable right now: retry shortly") from exc
