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

from orders.domain.examples import PENDING_ORDER_EXAMPLE, money
from shop_kernel.address import Address
from shop_kernel.money import Money
from shop_kernel.priced import PricedDiscount, PricedPromotion, PricedShipping, PricedTotals, TaxDisplayName

# The domain's enums as literals: listed in place in the document, so no generic ``OrderStatus`` component
# can clash with another context's (tests/contract/openapi/test_checkout_openapi.py keeps them equal).
CheckoutOrderStatus = Literal["PENDING_PAYMENT", "PAYMENT_AUTHORIZED", "CANCELLED"]
CheckoutOrderStage = Literal[
    "pending_payment",
    "paid",
    "confirmed",
    "dispatched",
    "in_transit",
    "ready_for_collection",
    "delivered",
    "collected",
    "cancelled",
]
CheckoutCancelReason = Literal[
    "payment_expired",
    "payment_cancelled",
    "reservation_lapsed",
    "review_rejected",
    "not_fulfilled",
    "cancellation_requested",
    "not_collected",
]


GUEST_ORDER_EXAMPLE: dict[str, Any] = {
    **PENDING_ORDER_EXAMPLE,
    "stage": "pending_payment",
    "timeline": [
        {
            "at": "2026-12-01T10:00:00.000Z",
            "event_id": "created:ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
            "what": "OrderCreated",
            "stage": "pending_payment",
            "actor": {"kind": "customer", "id": "guest"},
        }
    ],
    "shipments": [],
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

    model_config = ConfigDict(json_schema_extra={"examples": [PENDING_ORDER_EXAMPLE]})

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


class CheckoutActor(BaseModel):
    kind: Literal["customer", "agent", "system", "carrier"]
    id: str = Field(description="The customer's or agent's id, the system function's or the carrier's name")


class CheckoutLineQuantity(BaseModel):
    sku: str
    quantity: int


class CheckoutTimelineEntry(BaseModel):
    """One transition of the order (the orders context's timeline): when, who or what, why."""

    at: str
    event_id: str
    what: str = Field(examples=["OrderPlaced", "FulfilmentRequested", "ShipmentStatusChanged"])
    stage: CheckoutOrderStage | None = None
    actor: CheckoutActor
    reason: str | None = None
    shipment_id: str | None = None
    lines: list[CheckoutLineQuantity] | None = None


class CheckoutShipment(BaseModel):
    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = Field(description="The carrier's tracking page, when it has one")
    status: str
    updated_at: str
    kind: Literal["delivery", "store_pickup", "transfer"] | None = Field(
        default=None,
        description="delivery: to the buyer; store_pickup: picked in the pickup store; transfer: carried to "
        "the pickup store (in transit to it, then ready for collection there)",
    )
    pickup_store: str | None = Field(
        default=None, description="The store a pickup or transfer is collected in"
    )


class CheckoutGuestOrder(CheckoutOrder):
    """The order with where it stands and how it got there (the orders context's timeline)."""

    model_config = ConfigDict(json_schema_extra={"examples": [GUEST_ORDER_EXAMPLE]})

    stage: CheckoutOrderStage
    timeline: list[CheckoutTimelineEntry] = Field(description="Every transition, oldest first")
    shipments: list[CheckoutShipment]


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
                    "order": PENDING_ORDER_EXAMPLE,
                    "payment": {
                        "provider": "stripe",
                        "payment_intent_id": "pi_3QkXyz",
                        "client_secret": "pi_3QkXyz_secret_abc",
                        "amount": money(4009900),
                        "pay_by": "2026-12-01T10:30:00.000Z",
                    },
                }
            ]
        }
    )

    order: CheckoutOrder
    payment: CheckoutPaymentStart


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
