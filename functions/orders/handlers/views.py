"""What the orders API answers, as documented response models (checked against real answers in tests).

Names start with ``Orders`` so the merged ``/openapi.json`` cannot confuse them with checkout's (the guest
route and ``POST /checkout`` answer checkout's order view, which these extend with the order's stage,
timeline and shipments). The priced shapes are the kernel's (``shop_kernel.priced``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orders.domain.examples import PENDING_ORDER_EXAMPLE, money
from shop_kernel.address import Address
from shop_kernel.money import Money
from shop_kernel.priced import PricedDiscount, PricedPromotion, PricedShipping, PricedTotals, TaxDisplayName

OrdersStage = Literal[
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
OrdersStatus = Literal["PENDING_PAYMENT", "PAYMENT_AUTHORIZED", "CANCELLED"]


ORDER_EXAMPLE: dict[str, Any] = {
    **PENDING_ORDER_EXAMPLE,
    "status": "PAYMENT_AUTHORIZED",
    "stage": "dispatched",
    "payment": {
        **PENDING_ORDER_EXAMPLE["payment"],
        "status": "authorized",
        "card": {"brand": "visa", "last4": "4242"},
    },
    "timeline": [
        {
            "at": "2026-12-01T10:00:00.000Z",
            "event_id": "created:ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
            "what": "OrderCreated",
            "stage": "pending_payment",
            "actor": {"kind": "customer", "id": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"},
        },
        {
            "at": "2026-12-01T10:01:00.000Z",
            "event_id": "5b0e6a1c-2d3f-5a4b-8c9d-0e1f2a3b4c5d",
            "what": "OrderPlaced",
            "stage": "paid",
            "actor": {"kind": "system", "id": "checkout-events"},
        },
        {
            "at": "2026-12-01T15:00:00.000Z",
            "event_id": "6c1f7b2d-3e4a-5b6c-9d0e-1f2a3b4c5d6e",
            "what": "ShipmentStatusChanged",
            "actor": {"kind": "carrier", "id": "nova-poshta"},
            "reason": "dispatched",
            "shipment_id": "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
        },
    ],
    "shipments": [
        {
            "shipment_id": "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
            "carrier": "nova-poshta",
            "tracking_number": "20450000000001",
            "tracking_url": "https://novaposhta.ua/tracking/?cargo_number=20450000000001",
            "status": "dispatched",
            "updated_at": "2026-12-01T15:00:00.000Z",
        }
    ],
    "cancelled_lines": [],
}
STAFF_EXAMPLE: dict[str, Any] = {
    **ORDER_EXAMPLE,
    "buyer": {
        "kind": "customer",
        "key": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "email": "olena@example.com",
    },
    "risk": None,
    "payments": {
        "provider": "stripe",
        "intent_id": "pi_3QkXyz",
        "amount": money(4009900),
        "status": "authorized",
        "authorized_at": "2026-12-01T10:01:00.000Z",
        "captured": money(4009900),
        "refunded": None,
        "voided": None,
        "charges": [
            {
                "shipment_id": "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
                "amount": money(4009900),
                "status": "captured",
                "requested_at": "2026-12-01T15:00:00.000Z",
                "captured_at": "2026-12-01T15:00:02.000Z",
            }
        ],
    },
    "workflow": {
        "execution_arn": "arn:aws:states:eu-central-1:123456789012:execution:shop-prod-order-fulfilment:"
        "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
        "console_url": "https://eu-central-1.console.aws.amazon.com/states/home?region=eu-central-1#/v2/executions/"
        "details/arn:aws:states:eu-central-1:123456789012:execution:shop-prod-order-fulfilment:"
        "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
        "status": None,
        "history": None,
    },
}
CANCELLATION_EXAMPLE: dict[str, Any] = {
    "order_id": "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
    "request_id": "ccr_01JD3Q9A1B2C3D4E5F6G7H8J9K",
    "lines": [{"sku": "LAP-A-BLK", "quantity": 1}],
    "requested_at": "2026-12-01T10:05:00.000Z",
}


class OrdersLine(BaseModel):
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


class OrdersGiftCertificate(BaseModel):
    code: str
    amount: Money
    balance_before: Money
    balance_after: Money


class OrdersFulfilment(BaseModel):
    mode: Literal["delivery", "pickup"]
    location_id: str | None = Field(description="The store to collect from (pickup only)")


class OrdersCard(BaseModel):
    brand: str | None
    last4: str | None


class OrdersPaymentFailure(BaseModel):
    code: str | None
    decline_code: str | None
    message: str | None
    at: str


class OrdersPayment(BaseModel):
    amount: Money = Field(description="What is due by card (after gift certificates)")
    status: Literal["requires_payment", "authorized", "cancelled", "not_required"]
    failures: int
    last_failure: OrdersPaymentFailure | None
    card: OrdersCard | None
    captured: Money | None
    refunded: Money | None


class OrdersStatusChange(BaseModel):
    at: str
    status: OrdersStatus
    note: str | None


class OrdersActor(BaseModel):
    kind: Literal["customer", "agent", "system", "carrier"]
    id: str = Field(description="The customer's or agent's id, the system function's or the carrier's name")


class OrdersLineQuantity(BaseModel):
    sku: str
    quantity: int


class OrdersTimelineEntry(BaseModel):
    """One transition: when, who or what, why."""

    at: str
    event_id: str
    what: str = Field(examples=["OrderPlaced", "FulfilmentRequested", "ShipmentStatusChanged"])
    stage: OrdersStage | None = Field(default=None, description="The stage this brought the order to")
    actor: OrdersActor
    reason: str | None = None
    shipment_id: str | None = None
    lines: list[OrdersLineQuantity] | None = None
    decision: Literal["approve", "reject"] | None = Field(
        default=None, description="An agent's fraud review decision (OrderReviewDecided)"
    )


class OrdersShipment(BaseModel):
    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = Field(description="The carrier's tracking page, when it has one")
    status: str = Field(
        examples=["requested", "dispatched", "in_transit", "ready_for_collection", "collected", "delivered"]
    )
    updated_at: str
    kind: Literal["delivery", "store_pickup", "transfer"] | None = Field(
        default=None,
        description="delivery: to the buyer; store_pickup: picked in the pickup store; transfer: carried to "
        "the pickup store (in transit to it, then ready for collection there)",
    )
    pickup_store: str | None = Field(
        default=None, description="The store a pickup or transfer is collected in"
    )


class OrdersOrder(BaseModel):
    """An order as its buyer sees it, where it stands (``stage``) and how it got there (``timeline``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_EXAMPLE]})

    id: str
    version: int
    status: OrdersStatus = Field(description="The payment's part of the order; ``stage`` is where it is")
    stage: OrdersStage
    cart_id: str
    currency: str
    tax_display: TaxDisplayName
    destination_country: str
    lines: list[OrdersLine]
    shipping: PricedShipping | None
    totals: PricedTotals
    applied_promotions: list[PricedPromotion]
    promo_codes: list[str]
    gift_certificates: list[OrdersGiftCertificate]
    fulfilment: OrdersFulfilment
    shipping_address: Address | None
    billing_address: Address | None
    phone: str | None
    email: str | None
    reservation_expires_at: int
    payment: OrdersPayment
    review_required: bool
    created_at: str
    updated_at: str
    payment_due_by: str
    cancelled_at: str | None
    cancel_reason: str | None
    history: list[OrdersStatusChange]
    timeline: list[OrdersTimelineEntry] = Field(description="Every transition, oldest first")
    shipments: list[OrdersShipment]
    cancelled_lines: list[OrdersLineQuantity] = Field(description="Lines cancelled since it was placed")


class OrdersOrderList(BaseModel):
    """The customer's orders, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"orders": [ORDER_EXAMPLE]}]})

    orders: list[OrdersOrder]


class OrdersCharge(BaseModel):
    shipment_id: str
    amount: Money
    status: Literal["pending", "captured", "deferred"]
    requested_at: str
    captured_at: str | None


class OrdersStaffPayment(BaseModel):
    provider: Literal["stripe", "none"]
    intent_id: str | None
    amount: Money
    status: str
    authorized_at: str | None
    captured: Money | None
    refunded: Money | None
    voided: Money | None
    charges: list[OrdersCharge] = Field(description="One capture per shipment")


class OrdersExecutionEvent(BaseModel):
    id: int
    type: str
    at: str
    state: str | None = None
    error: str | None = None


class OrdersExecution(BaseModel):
    """The fulfilment workflow's run for this order: its console link in the cloud; locally its history."""

    execution_arn: str
    console_url: str
    status: str | None = None
    history: list[OrdersExecutionEvent] | None = None


class OrdersStaffOrder(OrdersOrder):
    """The order with what staff need: the buyer, the payments per shipment, the workflow's execution."""

    model_config = ConfigDict(json_schema_extra={"examples": [STAFF_EXAMPLE]})

    buyer: dict[str, Any] = Field(description="kind (guest/customer), key, email")
    payments: OrdersStaffPayment
    risk: dict[str, Any] | None
    workflow: OrdersExecution | None


class OrdersSummary(BaseModel):
    id: str
    created_at: str
    stage: OrdersStage
    status: OrdersStatus
    email: str | None
    phone: str | None
    grand_total: Money
    lines: int = Field(description="How many lines")


class OrdersSearchPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
                            "created_at": "2026-12-01T10:00:00.000Z",
                            "stage": "dispatched",
                            "status": "PAYMENT_AUTHORIZED",
                            "email": "olena@example.com",
                            "phone": "+380441234567",
                            "grand_total": {"amount": 4009900, "currency": "UAH"},
                            "lines": 1,
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[OrdersSummary]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null at the end")


class OrdersReviewDecided(BaseModel):
    """The decision is on the order's timeline and fulfilment is told; the workflow moves on from there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
                    "decision_id": "rvd_01JD3Q9A1B2C3D4E5F6G7H8J9K",
                    "decision": "approve",
                    "decided_at": "2026-12-01T10:05:00.000Z",
                }
            ]
        }
    )

    order_id: str
    decision_id: str
    decision: Literal["approve", "reject"]
    decided_at: str


class OrdersCancellationRequested(BaseModel):
    """The request is on the order's timeline and fulfilment is asked to stop; the outcome follows there."""

    model_config = ConfigDict(json_schema_extra={"examples": [CANCELLATION_EXAMPLE]})

    order_id: str
    request_id: str
    lines: list[OrdersLineQuantity] | None = Field(description="Null: the whole order")
    requested_at: str
