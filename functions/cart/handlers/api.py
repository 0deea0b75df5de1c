"""Cart REST API: guest carts under /cart (X-Cart-Token), the signed-in customer's cart under /me/cart.

One resolver, one OpenAPI document (``GET /cart/openapi.json``). ``/me/...`` requests are authorised
(``customers``) before anything reads their body (``api_function``).
"""

from __future__ import annotations

from cart.handlers.routes import customer, guest
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

app, handler = api_function(
    [guest.router, customer.router],
    openapi_path="/cart/openapi.json",
    title="Cart API",
    guards={"/me/": [Group.CUSTOMERS]},
    security_schemes=bearer_scheme(),
)
