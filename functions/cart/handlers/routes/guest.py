"""Guest cart routes under ``/cart``: no account, the cart named by its ``X-Cart-Token``.

Writes answer the cart's choices and its ``ETag`` (one read and one conditional write: prices are not
computed on the write path); ``GET`` answers the priced cart. ``If-Match`` is optional and honoured.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from cart import wiring
from cart.domain.models import CartOwner, OwnerKind
from cart.domain.tokens import TOKEN_HEADER, new_token, token_hash
from cart.handlers.routes.common import (
    CHANGED,
    CODE_KINDS,
    ETAG,
    PRICED,
    AcceptLanguage,
    CartToken,
    CodePath,
    IfMatch,
    SkuPath,
    cart_response,
    code_validator,
    guest_owner,
    if_match,
    priced_response,
    ships_to,
)
from cart.handlers.views import (
    CartCodeEntry,
    CartCreate,
    CartLineAdd,
    CartLineQuantity,
    CartSettingsChange,
    NewGuestCart,
)
from shop_kernel.openapi import documented, ok

router = Router()
TAG = "guest cart"
TOKEN_ONCE = {
    **ETAG,
    TOKEN_HEADER: "The new cart's token (the same as `token` in the body): keep it, it is shown once",
}


@router.post(
    "/cart",
    summary="Start a guest cart",
    description="Opens an empty cart for a shopper without an account, in a currency and for a destination "
    "country. The answer carries the cart's token once: send it as X-Cart-Token on every later cart and "
    "checkout request; it is the only key to the cart.",
    tags=[TAG],
    operation_id="create_guest_cart",
    responses=documented(ok(NewGuestCart, "The new cart and its token", status=201, headers=TOKEN_ONCE)),
)
def create_guest_cart(body: CartCreate):
    ships_to(body.destination_country)
    token = new_token()
    cart = wiring.container.service().create(CartOwner(OwnerKind.GUEST, token_hash(token)), body)
    response = cart_response(cart, 201, {"token": token})
    response.headers[TOKEN_HEADER] = token
    return response


@router.get(
    "/cart",
    summary="Read the guest cart with prices",
    description="The guest's cart priced now: unit prices, discounts per line, shipping, tax and totals, "
    "product names in the negotiated language. Lines or codes that stopped being valid since they were "
    "added are listed apart instead of failing the read.",
    tags=[TAG],
    operation_id="get_guest_cart",
    responses=PRICED,
)
def get_guest_cart(token: CartToken = None, accept_language: AcceptLanguage = None):
    owner = guest_owner(token)
    return priced_response(router, owner, wiring.container.service().current(owner), accept_language)


@router.patch(
    "/cart",
    summary="Change the guest cart's currency, destination or delivery",
    description="Changes any of currency, destination country, shipping method and pickup store; fields "
    "left out stay as they are, `pickup_location_id: null` switches back to delivery.",
    tags=[TAG],
    operation_id="change_guest_cart",
    responses=CHANGED,
)
def change_guest_cart(body: CartSettingsChange, token: CartToken = None, if_match_header: IfMatch = None):
    ships_to(body.destination_country)
    return cart_response(
        wiring.container.service().change_settings(guest_owner(token), body, if_match(if_match_header))
    )


@router.post(
    "/cart/lines",
    summary="Add a product to the guest cart",
    description="Adds a quantity of a SKU (to what the cart already holds of it). Refused when the SKU is "
    "not for sale in the cart's currency (422) or not in stock for the cart's delivery or pickup store (409).",
    tags=[TAG],
    operation_id="add_guest_cart_line",
    responses=CHANGED,
)
def add_guest_cart_line(body: CartLineAdd, token: CartToken = None, if_match_header: IfMatch = None):
    return cart_response(
        wiring.container.service().add_line(guest_owner(token), body, if_match(if_match_header))
    )


@router.put(
    "/cart/lines/<sku>",
    summary="Set how many of a product the guest cart holds",
    description="Replaces the line's quantity; 404 when the SKU is not in the cart, 409 when that many "
    "are not in stock.",
    tags=[TAG],
    operation_id="set_guest_cart_line_quantity",
    responses=CHANGED,
)
def set_guest_cart_line_quantity(
    sku: SkuPath, body: CartLineQuantity, token: CartToken = None, if_match_header: IfMatch = None
):
    owner = guest_owner(token)
    return cart_response(
        wiring.container.service().set_quantity(owner, sku, body.quantity, if_match(if_match_header))
    )


@router.delete(
    "/cart/lines/<sku>",
    summary="Remove a product from the guest cart",
    description="Removes the SKU's line; 404 when it is not in the cart.",
    tags=[TAG],
    operation_id="remove_guest_cart_line",
    responses=CHANGED,
)
def remove_guest_cart_line(sku: SkuPath, token: CartToken = None, if_match_header: IfMatch = None):
    return cart_response(
        wiring.container.service().remove_line(guest_owner(token), sku, if_match(if_match_header))
    )


def _code_routes(segment: str, kind: str, noun: str) -> None:
    @router.post(
        f"/cart/{segment}",
        summary=f"Enter a {noun} in the guest cart",
        description=f"Adds a {noun}, checked by pricing the cart with it (nothing is redeemed before "
        f"checkout); a {noun} the cart cannot use is one 422 naming `body.code`, whatever the "
        f"reason (so codes cannot be enumerated); too many entries from one cart or address are a 429.",
        tags=[TAG],
        operation_id=f"add_guest_cart_{kind.removesuffix('s')}",
        responses=CHANGED,
    )
    def add_code(body: CartCodeEntry, token: CartToken = None, if_match_header: IfMatch = None):
        owner = guest_owner(token)
        validate = code_validator(router, owner, kind)
        return cart_response(
            wiring.container.service().add_code(owner, kind, body.code, validate, if_match(if_match_header))
        )

    @router.delete(
        f"/cart/{segment}/<code>",
        summary=f"Take a {noun} out of the guest cart",
        description=f"Removes the {noun}; 404 when the cart does not hold it.",
        tags=[TAG],
        operation_id=f"remove_guest_cart_{kind.removesuffix('s')}",
        responses=CHANGED,
    )
    def remove_code(code: CodePath, token: CartToken = None, if_match_header: IfMatch = None):
        return cart_response(
            wiring.container.service().remove_code(guest_owner(token), kind, code, if_match(if_match_header))
        )


for _segment, (_kind, _noun) in CODE_KINDS.items():
    _code_routes(_segment, _kind, _noun)
