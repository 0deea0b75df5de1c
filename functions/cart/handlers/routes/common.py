"""What the guest and customer cart routes share: who owns the cart, JSON/ETag answers, pricing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from cart.adapters import clock, pricing_ports, store
from cart.domain.models import CartOwner, OwnerKind, StoredCart
from cart.domain.pricing import customer_for, preview, price_for_display
from cart.domain.tokens import TOKEN_HEADER, checked_token, token_hash
from pricing.domain.rates import TAX_RATES
from shop_kernel.auth import Group, caller_from_event, require
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.http import etag, header, json_response, parse_if_match
from shop_kernel.locale import negotiate


def guest_owner(router: Router) -> CartOwner:
    return CartOwner(OwnerKind.GUEST, token_hash(checked_token(header(router, TOKEN_HEADER))))


def customer_owner(router: Router) -> CartOwner:
    return CartOwner(OwnerKind.CUSTOMER, require(router.current_event.raw_event, Group.CUSTOMERS).subject)


def customer(router: Router, owner: CartOwner) -> Any:
    caller = caller_from_event(router.current_event.raw_event)
    if owner.kind is OwnerKind.GUEST or caller is None:
        return customer_for(None, None, None)
    return customer_for(owner.key, caller.email, caller.price_group)


def if_match(router: Router) -> int | None:
    return parse_if_match(header(router, "If-Match"))


def ships_to(country: str | None) -> None:
    if country is not None and country not in TAX_RATES:
        raise ValidationFailed.on(
            "body.destination_country", f"we do not ship to {country}", "unsupported_country"
        )


def cart_response(cart: StoredCart, status: int = 200, extra: dict[str, Any] | None = None) -> Response[str]:
    return json_response({**cart.view(), **(extra or {})}, status, {"ETag": etag(cart.version)})


def priced_response(router: Router, owner: CartOwner, cart: StoredCart) -> Response[str]:
    facts, promotions = store().pricing_reads([line.sku for line in cart.lines])
    locale = negotiate(header(router, "Accept-Language"))
    ports = pricing_ports(promotions)
    body = price_for_display(cart, facts, customer(router, owner), clock().now(), ports, locale)
    return json_response(body, 200, {"ETag": etag(cart.version)})


def code_validator(router: Router, owner: CartOwner, kind: str) -> Any:
    """Prices the cart with the new code (a preview: nothing is redeemed); its problems name ``body.code``."""

    def validate(cart: StoredCart) -> None:
        facts, promotions = store().pricing_reads([line.sku for line in cart.lines])
        index = len(getattr(cart, kind)) - 1
        try:
            preview(cart, facts, customer(router, owner), clock().now(), pricing_ports(promotions))
        except ValidationFailed as error:
            mine = [e for e in error.errors if e.field == f"body.{kind}.{index}"]
            if mine:
                errors = [FieldError(field="body.code", message=e.message, code=e.code) for e in mine]
                raise ValidationFailed(mine[0].message, errors=errors) from None

    return validate
