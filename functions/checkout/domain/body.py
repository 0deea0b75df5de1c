"""What checkout takes: the request body of ``POST /checkout``.

The body carries only what the shopper tells us at checkout: contact e-mail, addresses and phone. What
is bought, at what price, comes from the server-side cart and pricing; the model forbids unknown
fields, so a client-sent ``price``, ``total`` or ``discount`` is a 422 naming that field. What checkout
makes of it is an order (``orders.domain.models``).
"""

from __future__ import annotations

from typing import Annotated

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
