"""The signed-in customer's cart under ``/me/cart`` (Cognito, group ``customers``), and taking over the
guest cart at sign-in. The same operations as the guest cart, with the cart found by the caller."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from cart import wiring
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
    customer_owner,
    guest_owner,
    if_match,
    priced_response,
    ships_to,
)
from cart.handlers.views import (
    CartChoices,
    CartCodeEntry,
    CartCreate,
    CartLineAdd,
    CartLineQuantity,
    CartSettingsChange,
    MergedCart,
)
from shop_kernel.openapi import BEARER_SECURITY, documented, ok

router = Router()
TAG = "customer cart"


@router.post(
    "/me/cart",
    summary="Open the customer's cart",
    description="Opens a cart for the signed-in customer (201), or answers the one already open unchanged "
    "(200). A cart that became an order is replaced by a new one.",
    tags=[TAG],
    operation_id="open_customer_cart",
    security=BEARER_SECURITY,
    responses=documented(
        ok(CartChoices, "The customer's open cart, unchanged", headers=ETAG),
        ok(CartChoices, "A new cart", status=201, headers=ETAG),
        409,
    ),
)
def open_customer_cart(body: CartCreate):
    ships_to(body.destination_country)
    cart, created = wiring.container.service().open_customer_cart(customer_owner(router), body)
    return cart_response(cart, 201 if created else 200)


@router.get(
    "/me/cart",
    summary="Read the customer's cart with prices",
    description="The customer's cart priced now at their price group's prices (business groups see net "
    "prices with tax added): lines, discounts, shipping, tax and totals, and `points`: their loyalty "
    'points, the most this cart may be paid with (what checkout\'s `points: "max"` uses) and what those '
    "pay; 404 when no cart is open.",
    tags=[TAG],
    operation_id="get_customer_cart",
    security=BEARER_SECURITY,
    responses=PRICED,
)
def get_customer_cart(accept_language: AcceptLanguage = None):
    owner = customer_owner(router)
    return priced_response(router, owner, wiring.container.service().current(owner), accept_language)


@router.patch(
    "/me/cart",
    summary="Change the customer's cart's currency, destination or delivery",
    description="Changes any of currency, destination country, shipping method and pickup store; fields "
    "left out stay as they are, `pickup_location_id: null` switches back to delivery.",
    tags=[TAG],
    operation_id="change_customer_cart",
    security=BEARER_SECURITY,
    responses=CHANGED,
)
def change_customer_cart(body: CartSettingsChange, if_match_header: IfMatch = None):
    ships_to(body.destination_country)
    return cart_response(
        wiring.container.service().change_settings(customer_owner(router), body, if_match(if_match_header))
    )


@router.post(
    "/me/cart/lines",
    summary="Add a product to the customer's cart",
    description="Adds a quantity of a SKU, opening a cart when none is open. Refused when the SKU is not "
    "for sale in the cart's currency (422) or not in stock for its delivery or pickup store (409).",
    tags=[TAG],
    operation_id="add_customer_cart_line",
    security=BEARER_SECURITY,
    responses=CHANGED,
)
def add_customer_cart_line(body: CartLineAdd, if_match_header: IfMatch = None):
    return cart_response(
        wiring.container.service().add_line(customer_owner(router), body, if_match(if_match_header))
    )


@router.put(
    "/me/cart/lines/<sku>",
    summary="Set how many of a product the customer's cart holds",
    description="Replaces the line's quantity; 404 when the SKU is not in the cart, 409 when that many "
    "are not in stock.",
    tags=[TAG],
    operation_id="set_customer_cart_line_quantity",
    security=BEARER_SECURITY,
    responses=CHANGED,
)
def set_customer_cart_line_quantity(sku: SkuPath, body: CartLineQuantity, if_match_header: IfMatch = None):
    owner = customer_owner(router)
    return cart_response(
        wiring.container.service().set_quantity(owner, sku, body.quantity, if_match(if_match_header))
    )


@router.delete(
    "/me/cart/lines/<sku>",
    summary="Remove a product from the customer's cart",
    description="Removes the SKU's line; 404 when it is not in the cart.",
    tags=[TAG],
    operation_id="remove_customer_cart_line",
    security=BEARER_SECURITY,
    responses=CHANGED,
)
def remove_customer_cart_line(sku: SkuPath, if_match_header: IfMatch = None):
    return cart_response(
        wiring.container.service().remove_line(customer_owner(router), sku, if_match(if_match_header))
    )


def _code_routes(segment: str, kind: str, noun: str) -> None:
    @router.post(
        f"/me/cart/{segment}",
        summary=f"Enter a {noun} in the customer's cart",
        description=f"Adds a {noun}, checked by pricing the cart with it for this customer (nothing is "
        f"redeemed before checkout); a {noun} the cart cannot use is one 422 naming `body.code`, whatever the "
        f"reason (so codes cannot be enumerated); too many entries from one cart or address are a 429.",
        tags=[TAG],
        operation_id=f"add_customer_cart_{kind.removesuffix('s')}",
        security=BEARER_SECURITY,
        responses=CHANGED,
    )
    def add_code(body: CartCodeEntry, if_match_header: IfMatch = None):
        owner = customer_owner(router)
        validate = code_validator(router, owner, kind)
        return cart_response(
            wiring.container.service().add_code(owner, kind, body.code, validate, if_match(if_match_header))
        )

    @router.delete(
        f"/me/cart/{segment}/<code>",
        summary=f"Take a {noun} out of the customer's cart",
        description=f"Removes the {noun}; 404 when the cart does not hold it.",
        tags=[TAG],
        operation_id=f"remove_customer_cart_{kind.removesuffix('s')}",
        security=BEARER_SECURITY,
        responses=CHANGED,
    )
    def remove_code(code: CodePath, if_match_header: IfMatch = None):
        owner = customer_owner(router)
        return cart_response(
            wiring.container.service().remove_code(owner, kind, code, if_match(if_match_header))
        )


for _segment, (_kind, _noun) in CODE_KINDS.items():
    _code_routes(_segment, _kind, _noun)


@router.post(
    "/me/cart/merge",
    summary="Take over the guest cart at sign-in",
    description="Moves the lines and codes of the guest cart named by X-Cart-Token into the customer's "
    "cart (quantities add up to the per-line maximum; lines no longer for sale are reported as dropped) "
    "and closes the guest cart. Merging the same guest cart again answers the customer's cart unchanged; "
    "404 when the guest cart does not exist, was merged elsewhere or became an order.",
    tags=[TAG],
    operation_id="merge_guest_cart",
    security=BEARER_SECURITY,
    responses=documented(
        ok(MergedCart, "The customer's cart with the guest's lines", headers=ETAG), 404, 409
    ),
)
def merge_guest_cart(token: CartToken = None):
    owner = customer_owner(router)
    merged = wiring.container.service().merge(owner, guest_owner(token))
    extra = {
        "merge": {
            "dropped": [{"sku": d.sku, "quantity": d.quantity, "reason": d.reason} for d in merged.dropped],
            "capped": list(merged.capped),
        }
    }
    return cart_response(merged.cart, 200, extra)
