"""The one postal address model: where an order is delivered or billed, where a warehouse or store is.

Checkout, cart and inventory's locations all use it, so the published OpenAPI document has one
``Address`` schema and a client sends the same fields everywhere (``postal_code``, never ``postcode``).
``name`` is the addressee: checkout requires it for a delivery (a business rule, answered as a 422
naming ``body.shipping_address.name``); a location may leave it out because it has its own name.

Unknown fields are refused, so a misspelt field is a 422 naming it rather than a silently lost value.
Field constraints are exactly those checkout's ``OrderPlaced`` v1 schema publishes (its event model is
this one with ``name`` required), so the event contract did not change when the models became one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["UA"])]
PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,19}$", examples=["+380 44 123 4567"])]
AddresseeName = Annotated[str, Field(min_length=1, max_length=100, examples=["Olena Shevchenko"])]
POSTAL_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$"
PostalCode = Annotated[str, Field(pattern=POSTAL_CODE_PATTERN)]


class Address(BaseModel):
    """A postal address. ``name``: who receives post there (a person or a company), required by checkout
    for a delivery. ``country``: ISO 3166-1 alpha-2. ``phone``: for the courier."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Olena Shevchenko",
                    "line1": "Khreshchatyk 1",
                    "city": "Kyiv",
                    "postal_code": "01001",
                    "country": "UA",
                    "phone": "+380 44 123 4567",
                }
            ]
        },
    )

    name: AddresseeName | None = None
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postal_code: PostalCode | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    country: CountryCode
    phone: PhoneNumber | None = None
