"""What the guest and customer cart routes share: the headers they read (typed, so the OpenAPI document
lists them), who owns the cart, JSON/ETag answers, pricing, and the answers each operation documents."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from cart import wiring
from cart.domain.code_entries import CodeEntryLimits, code_entry_keys, refused_entry
from cart.domain.models import SKU_PATTERN, CartOwner, OwnerKind, StoredCart
from cart.domain.pricing import customer_for, preview, price_for_display
from cart.domain.tokens import TOKEN_HEADER, TOKEN_PATTERN, checked_token, token_hash
from cart.handlers.views import CartChoices, PricedCartView
from pricing.domain.rates import TAX_RATES
from shop_kernel.auth import Group, caller_from_event, require
from shop_kernel.errors import ValidationFailed
from shop_kernel.http import etag, json_response, parse_if_match
from shop_kernel.locale import negotiate
from shop_kernel.openapi import IF_MATCH_PATTERN, documented, ok, route_checked

ETAG = {"ETag": "The cart's version in quotes: send it as If-Match to change exactly what you read"}

CartToken = Annotated[
    str | None,
    Header(
        alias=TOKEN_HEADER,
        description="The guest cart's token, from the answer that created the cart",
        json_schema_extra=route_checked(pattern=TOKEN_PATTERN),
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Optional: the ETag you read (e.g. "3"); the change is refused with 412 if the cart '
        "changed since. `*` means any version",
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
    ),
]
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="Language of product names (en, uk; q-values honoured); English otherwise",
        json_schema_extra={"examples": ["uk, en;q=0.8"]},
    ),
]
SkuPath = Annotated[str, Path(pattern=SKU_PATTERN, description="The line's SKU", examples=["LAP-A-BLK"])]
CodePath = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 _-]+$", description="The code as entered"),
]

# What each kind of operation can answer besides the common problems (400, 413, 415, 422, 429, 503).
PRICED = documented(ok(PricedCartView, "The cart, priced now", headers=ETAG), 404)
CHANGED = documented(ok(CartChoices, "The changed cart (GET it for prices)", headers=ETAG), 404, 409, 412)
# Where this cart's codes live on the cart, per path segment (``/promo-codes``, ``/gift-certificates``).
CODE_KINDS = {
    "promo-codes": ("promo_codes", "promo code"),
    "gift-certificates": ("gift_certificates", "gift certificate"),
}
CODE_NOUNS = dict(CODE_KINDS.values())


def guest_owner(token: str | None) -> CartOwner:
    """The guest cart named by ``X-Cart-Token``; 400 naming the header when it is absent or malformed."""
    return CartOwner(OwnerKind.GUEST, token_hash(checked_token(token)))


def customer_owner(router: Router) -> CartOwner:
    return CartOwner(OwnerKind.CUSTOMER, require(router.current_event.raw_event, Group.CUSTOMERS).subject)


def customer(router: Router, owner: CartOwner) -> Any:
    caller = caller_from_event(router.current_event.raw_event)
    if owner.kind is OwnerKind.GUEST or caller is None:
        return customer_for(None, None, None)
    return customer_for(owner.key, caller.email, caller.price_group)


def if_match(value: str | None) -> int | None:
    """The version ``If-Match`` names; None when absent or ``*`` (any current version, RFC 9110)."""
    if value is not None and value.strip() == "*":
        return None
    return parse_if_match(value)


def ships_to(country: str | None) -> None:
    if country is not None and country not in TAX_RATES:
        raise ValidationFailed.on(
            "body.destination_country", f"we do not ship to {country}", "unsupported_country"
        )


def cart_response(cart: StoredCart, status: int = 200, extra: dict[str, Any] | None = None) -> Response[str]:
    return json_response({**cart.view(), **(extra or {})}, status, {"ETag": etag(cart.version)})


def priced_response(
    router: Router, owner: CartOwner, cart: StoredCart, accept_language: str | None
) -> Response[str]:
    # A signed-in customer's cart shows what their loyalty points may pay: the member (their Cognito
    # subject, as checkout debits it) is read in the same BatchGetItem as the facts and promotions.
    member_id = owner.key if owner.kind is OwnerKind.CUSTOMER else None
    skus = [line.sku for line in cart.lines]
    facts, promotions, member = wiring.container.store().display_reads(skus, member_id)
    locale = negotiate(accept_language)
    ports = wiring.container.pricing_ports(promotions)
    body = price_for_display(
        cart, facts, customer(router, owner), wiring.container.clock().now(), ports, locale, member
    )
    return json_response(body, 200, {"ETag": etag(cart.version)})


def client_ip(router: Router) -> str | None:
    """The caller's address as API Gateway saw it (``requestContext.identity.sourceIp``)."""
    identity = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    ip = identity.get("sourceIp")
    return str(ip) if ip else None


def code_validator(router: Router, owner: CartOwner, kind: str) -> Any:
    """Counts the entry (429 over a limit), then prices the cart with the new code (a preview: nothing is
    redeemed); a code it cannot use is one uniform 422 on ``body.code`` (``cart.domain.code_entries``)."""

    def validate(cart: StoredCart) -> None:
        now = wiring.container.clock().now()
        wiring.container.store().count_code_entry(
            code_entry_keys(owner, client_ip(router), now, CodeEntryLimits()), now
        )
        facts, promotions = wiring.container.store().pricing_reads([line.sku for line in cart.lines])
        codes = getattr(cart, kind)
        index = len(codes) - 1
        try:
            preview(cart, facts, customer(router, owner), now, wiring.container.pricing_ports(promotions))
        except ValidationFailed as error:
            mine = [e for e in error.errors if e.field == f"body.{kind}.{index}"]
            if mine:
                raise refused_entry(codes[index], CODE_NOUNS[kind], mine) from None

    return validate
