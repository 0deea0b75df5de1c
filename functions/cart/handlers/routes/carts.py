"""Cart routes, the same for guests (``/cart``, ``X-Cart-Token``) and customers (``/me/cart``, Cognito).

Writes answer the cart's choices and its ``ETag`` (one read and one conditional write: prices are not
computed on the write path); ``GET`` answers the priced cart. ``If-Match`` is optional and honoured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from cart.adapters import service
from cart.domain.models import (
    SKU_PATTERN,
    AddLine,
    CartOwner,
    CartSettingsBody,
    CodeBody,
    NewCart,
    OwnerKind,
    SetQuantity,
)
from cart.domain.tokens import TOKEN_HEADER, new_token, token_hash
from cart.handlers.routes.common import (
    cart_response,
    code_validator,
    customer_owner,
    guest_owner,
    if_match,
    priced_response,
    ships_to,
)

router = Router()
SkuPath = Annotated[str, Path(pattern=SKU_PATTERN)]
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 _-]+$")]
CODE_KINDS = {"promo-codes": "promo_codes", "gift-certificates": "gift_certificates"}


@router.post("/cart", tags=["guest cart"])
def create_guest_cart(body: NewCart):
    """A new guest cart. The ``token`` in the answer is shown once: send it as ``X-Cart-Token``."""
    ships_to(body.destination_country)
    token = new_token()
    cart = service().create(CartOwner(OwnerKind.GUEST, token_hash(token)), body)
    response = cart_response(cart, 201, {"token": token})
    response.headers[TOKEN_HEADER] = token
    return response


@router.post("/me/cart", tags=["customer cart"])
def create_customer_cart(body: NewCart):
    """Opens the signed-in customer's cart; when one is open already, answers it unchanged."""
    ships_to(body.destination_country)
    cart, created = service().open_customer_cart(customer_owner(router), body)
    return cart_response(cart, 201 if created else 200)


def _routes(base: str, owner_of: Callable[[Router], CartOwner], tag: str) -> None:
    """Registers the cart operations under ``base`` for the owner ``owner_of`` resolves."""

    @router.get(base, tags=[tag])
    def get_cart():
        owner = owner_of(router)
        return priced_response(router, owner, service().current(owner))

    @router.patch(base, tags=[tag])
    def change_cart(body: CartSettingsBody):
        ships_to(body.destination_country)
        return cart_response(service().change_settings(owner_of(router), body, if_match(router)))

    @router.post(f"{base}/lines", tags=[tag])
    def add_line(body: AddLine):
        return cart_response(service().add_line(owner_of(router), body, if_match(router)))

    @router.put(f"{base}/lines/<sku>", tags=[tag])
    def set_quantity(sku: SkuPath, body: SetQuantity):
        return cart_response(service().set_quantity(owner_of(router), sku, body.quantity, if_match(router)))

    @router.delete(f"{base}/lines/<sku>", tags=[tag])
    def remove_line(sku: SkuPath):
        return cart_response(service().remove_line(owner_of(router), sku, if_match(router)))

    for path, kind in CODE_KINDS.items():
        _code_routes(base, path, kind, owner_of, tag)


def _code_routes(base: str, path: str, kind: str, owner_of: Callable[[Router], CartOwner], tag: str) -> None:
    @router.post(f"{base}/{path}", tags=[tag])
    def add_code(body: CodeBody):
        owner = owner_of(router)
        validate = code_validator(router, owner, kind)
        return cart_response(service().add_code(owner, kind, body.code, validate, if_match(router)))

    @router.delete(f"{base}/{path}/<code>", tags=[tag])
    def remove_code(code: CodePath):
        return cart_response(service().remove_code(owner_of(router), kind, code, if_match(router)))


_routes("/cart", guest_owner, "guest cart")
_routes("/me/cart", customer_owner, "customer cart")


@router.post("/me/cart/merge", tags=["customer cart"])
def merge_guest_cart():
    """Moves the guest cart named by ``X-Cart-Token`` into the customer's cart (idempotent)."""
    owner = customer_owner(router)
    merged = service().merge(owner, guest_owner(router))
    extra = {
        "merge": {
            "dropped": [{"sku": d.sku, "quantity": d.quantity, "reason": d.reason} for d in merged.dropped],
            "capped": list(merged.capped),
        }
    }
    return cart_response(merged.cart, 200, extra)
