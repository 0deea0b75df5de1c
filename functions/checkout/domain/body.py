"""What checkout takes: the request body of ``POST /checkout``.

The body carries only what the shopper tells us at checkout: contact e-mail, addresses and phone. What
is bought, at what price, comes from the server-side cart and pricing; the model forbids unknown
fields, so a client-sent ``price``, ``total`` or ``discount`` is a 422 naming that field. A customer's body
may also name loyalty points to pay with (``CustomerCheckoutBody``). What checkout
makes of it is an order (``orders.domain.models``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orders.domain.models import Strict
from shop_kernel.address import Address
from shop_kernel.address import PhoneNumber as Phone
from shop_kernel.openapi import NOT_SPACE

# Python and JSON Schema read "not a space" alike only spelled out (shop_kernel.openapi.NOT_SPACE).
_NOT_AT = NOT_SPACE.replace("[^", "[^@")
EMAIL_PATTERN = rf"^{_NOT_AT}+@{_NOT_AT}+\.{_NOT_AT}+$"

Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN, examples=["olena@example.com"])]


class CheckoutBody(Strict):
    """Contact and addresses. Delivery needs ``shipping_address`` (in the cart's destination country);
    store pickup has none. ``billing_address`` defaults to the shipping address. Guests must give
    ``email``; customers may, and otherwise their account's e-mail is used."""

    email: Email | None = None
    phone: Phone | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None


MAX_POINTS = 100_000_000
PointsWanted = Annotated[int, Field(ge=1, le=MAX_POINTS)] | Literal["max"]


class CustomerCheckoutBody(CheckoutBody):
    """A signed-in customer's checkout may also pay part of the order with loyalty points (guests have
    none: the guest body has no ``points``, so sending it there is a 422 naming the field)."""

    points: PointsWanted | None = Field(
        default=None,
        description="Loyalty points to pay with: a number (refused with 422 when the balance or the "
        'redemption rules allow fewer), or "max" for as many as the rules and the balance allow (none '
        "when they allow none). Absent: the order is paid without points",
        examples=[500, "max"],
    )
