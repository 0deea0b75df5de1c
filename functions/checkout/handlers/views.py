"""What the checkout API and the Stripe webhook answer, as documented response models.

Routes answer ``Placed.view()`` and ``Order.view()`` (the domain decides what a shopper may see of an
order); these models describe exactly those bodies, and the checkout integration tests validate every
answer against the OpenAPI document built from them. Names start with ``Checkout`` or ``Stripe`` so the
merged ``/openapi.json`` cannot confuse them with the orders context's staff views; the priced shapes
are pricing's, shared with the cart (``shop_kernel.priced``), the address is the kernel's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.address import Address
from shop_kernel.money import Money
from shop_kernel.priced import PricedDiscount, PricedPromotion, PricedShipping, PricedTotals, TaxDisplayName

# The domain's enums as literals: listed in place in the document, so no generic ``OrderStatus`` component
# can clash with another context's (tests/contract/openapi/test_checkout_openapi.py keeps them equal).
CheckoutOrderStatus = Literal["PENDING_PAYMENT", "PAYMENT_AUTHORIZED", "CANCELLED"]
CheckoutCancelReason = Literal[
    "payment_expired",
    "payment_cancelled",
    "reservation_lapsed",
    "review_rejected",
    "not_fulfilled",
    "cancellation_requested",
    "not_collected",
]


def _money(amount: int, currency: str = "UAH") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


ORDER_EXAMPLE: dict[str, Any] = {
    "id": "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
    "version": 1,
    "status": "PENDING_PAYMENT",
    "cart_id": "cart_01JD3Q0A1B2C3D4E5F6G7H8J9K",
    "currency": "UAH",
    "tax_display": "inclusive",
    "destination_country": "UA",
    "lines": [
        {
            "sku": "LAP-A-BLK",
            "name": {"en": "Laptop A", "uk": "Ноутбук A"},
            "quantity": 1,
            "price_list": "retail",
            "unit_price": _money(4000000),
            "subtotal": _money(4000000),
            "discounts": [],
            "discount_total": _money(0),
            "tax_rate_bp": 2000,
            "tax": _money(666667),
            "total": _money(4000000),
        }
    ],
    "shipping": {
        "method": "standard",
        "price": _money(9900),
        "discounts": [],
        "discount": _money(0),
        "tax_rate_bp": 2000,
        "tax": _money(1650),
        "total": _money(9900),
    },
    "totals": {
        "subtotal": _money(4000000),
        "discount_total": _money(0),
        "shipping": _money(9900),
        "tax_total": _money(668317),
        "grand_total": _money(4009900),
        "gift_certificates": _money(0),
        "amount_due": _money(4009900),
    },
    "applied_promotions": [],
    "promo_codes": [],
    "gift_certificates": [],
    "fulfilment": {"mode": "delivery", "location_id": None},
    "shipping_address": {
        "name": "Olena Shevchenko",
        "line1": "Khreshchatyk 1",
        "line2": None,
        "city": "Kyiv",
        "postal_code": "01001",
        "region": None,
        "country": "UA",
        "phone": "+380441234567",
    },
    "billing_address": None,
    "phone": "+380441234567",
    "email": "olena@example.com",
    "reservation_expires_at": 1767228300,
    "payment": {
        "amount": _money(4009900),
        "status": "requires_payment",
        "failures": 0,
        "last_failure": None,
        "card": None,
        "captured": None,
        "refunded": None,
    },
    "review_required": False,
    "created_at": "2026-12-01T10:00:00.000Z",
    "updated_at": "2026-12-01T10:00:00.000Z",
    "payment_due_by": "2026-12-01T10:30:00.000Z",
    "cancelled_at": None,
    "cancel_reason": None,
    "history": [{"at": "2026-12-01T10:00:00.000Z", "status": "PENDING_PAYMENT", "note": None}],
}


class CheckoutOrderLine(BaseModel):
    sku: str
    name: dict[str, str] = Field(description="The product's name at purchase, per language")
    quantity: int
    price_list: str
    unit_price: Money
    subtotal: Money
    discounts: list[PricedDiscount]
    discount_total: Money
    tax_rate_bp: int = Field(description="Tax rate in basis points (2000 = 20 %)")
    tax: Money
    total: Money


class CheckoutPointsOnLine(BaseModel):
    sku: str
    amount: Money


class CheckoutPoints(BaseModel):
    """What loyalty points paid of the order (given back if it is cancelled)."""

    points: int = Field(description="Points debited from the customer's balance")
    amount: Money = Field(description="What they paid (not charged to the card)")
    lines: list[CheckoutPointsOnLine] = Field(description="That amount shared over the lines it paid")


class CheckoutGiftCertificate(BaseModel):
    """A gift certificate's part of the payment."""

    code: str
    amount: Money
    balance_before: Money
    balance_after: Money


class CheckoutFulfilment(BaseModel):
    mode: Literal["delivery", "pickup"]
    location_id: str | None = Field(description="The store to collect from (pickup only)")


class CheckoutCard(BaseModel):
    """What the shopper may see of the card: never its number."""

    brand: str | None = Field(examples=["visa"])
    last4: str | None = Field(examples=["4242"])


class CheckoutPaymentFailure(BaseModel):
    code: str | None
    decline_code: str | None
    message: str | None
    at: str


class CheckoutOrderPayment(BaseModel):
    amount: Money = Field(description="What is due by card (after gift certificates and points)")
    status: Literal["requires_payment", "authorized", "cancelled", "not_required"]
    failures: int = Field(description="Declined attempts so far")
    last_failure: CheckoutPaymentFailure | None
    card: CheckoutCard | None
    captured: Money | None
    refunded: Money | None


class CheckoutStatusChange(BaseModel):
    at: str
    status: CheckoutOrderStatus
    note: str | None


class CheckoutOrder(BaseModel):
    """An order as its buyer sees it: what was bought at what price, where it goes, how payment stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_EXAMPLE]})

    id: str
    version: int
    status: CheckoutOrderStatus
    cart_id: str
    currency: str
    tax_display: TaxDisplayName
    destination_country: str
    lines: list[CheckoutOrderLine]
    shipping: PricedShipping | None = Field(description="Null for store pickup")
    totals: PricedTotals
    applied_promotions: list[PricedPromotion]
    promo_codes: list[str]
    gift_certificates: list[CheckoutGiftCertificate]
    points: CheckoutPoints | None = Field(default=None, description="Loyalty points that paid part of it")
    fulfilment: CheckoutFulfilment
    shipping_address: Address | None = Field(description="Null for store pickup")
    billing_address: Address | None
    phone: str | None
    email: str | None = Field(description="Where the receipt goes")
    reservation_expires_at: int = Field(description="Epoch seconds: the stock is held until then")
    payment: CheckoutOrderPayment
    review_required: bool = Field(description="Fraud screening wants a person to look before fulfilment")
    created_at: str
    updated_at: str
    payment_due_by: str = Field(description="Unpaid by then, the order is cancelled and its stock released")
    cancelled_at: str | None
    cancel_reason: CheckoutCancelReason | None
    history: list[CheckoutStatusChange]


class CheckoutPaymentStart(BaseModel):
    """What the storefront needs to take the payment with Stripe.js."""

    provider: Literal["stripe", "none"] = Field(
        description="none: gift certificates and/or points paid it all"
    )
    payment_intent_id: str | None
    client_secret: str | None = Field(description="For stripe.confirmPayment; null when nothing is due")
    amount: Money
    pay_by: str


class CheckoutPlaced(BaseModel):
    """The new order (waiting for payment) and how to pay it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order": ORDER_EXAMPLE,
                    "payment": {
                        "provider": "stripe",
                        "payment_intent_id": "pi_3QkXyz",
                        "client_secret": "pi_3QkXyz_secret_abc",
                        "amount": _money(4009900),
                        "pay_by": "2026-12-01T10:30:00.000Z",
                    },
                }
            ]
        }
    )

    order: CheckoutOrder
    payment: CheckoutPaymentStart


class CheckoutOrderList(BaseModel):
    """The customer's orders, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"orders": [ORDER_EXAMPLE]}]})

    orders: list[CheckoutOrder]


class StripeEventReceived(BaseModel):
    """The event was verified and handled (or recognised as a repeat); Stripe stops sending it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"received": True, "outcome": "placed", "order_id": "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"}
            ]
        }
    )

    received: Literal[True]
    outcome: str = Field(
        description="What it changed, in words (e.g. placed, ignored: not an order's payment)"
    )
    order_id: str | None = Field(description="The order it was about, if any")


class StripeEventObject(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: str = Field(examples=["payment_intent"], description="The kind of Stripe object")
    id: str | None = Field(default=None, examples=["pi_3QkXyz"])


class StripeEventData(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: StripeEventObject


class StripeEvent(BaseModel):
    """A Stripe event as Stripe posts it (only what routing it needs is listed; the rest is kept)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "evt_1QkXyz",
                    "object": "event",
                    "type": "payment_intent.amount_capturable_updated",
                    "data": {"object": {"object": "payment_intent", "id": "pi_3QkXyz"}},
                }
            ]
        },
    )

    id: str = Field(examples=["evt_1QkXyz"])
    type: str = Field(examples=["payment_intent.amount_capturable_updated"])
    data: StripeEventData
