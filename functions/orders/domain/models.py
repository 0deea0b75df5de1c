"""The order: what a checkout made, and its payment state, as the orders context keeps it.

Checkout writes an order once (``PENDING_PAYMENT``) through ``orders.contract`` and then moves it only
forward, each step a conditional write on its ``version``:

* ``PENDING_PAYMENT`` -> ``PAYMENT_AUTHORIZED`` when Stripe authorises the PaymentIntent (manual capture:
  the money is held, captured when the order ships);
* ``PENDING_PAYMENT`` | ``PAYMENT_AUTHORIZED`` -> ``CANCELLED`` when the payment is cancelled, or the
  order was not paid before ``payment_due_by`` (its stock is released; its promo code uses and gift
  certificate debits are given back in the same transaction that cancels it).

What happens after payment (confirmed, dispatched, delivered) is the orders context's timeline, projected
from events (``orders.domain.timeline``). Money is integer minor units with a currency; times are UTC ISO-8601.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from inventory.domain.allocation import Allocation, Fulfilment
from pricing.domain import (
    AppliedPromotion,
    CodeRedemption,
    GiftCertificateTender,
    PricedLine,
    Shipping,
    TaxDisplay,
    Totals,
)
from shop_kernel.address import Address, CountryCode
from shop_kernel.money import Money


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAYMENT_AUTHORIZED = "PAYMENT_AUTHORIZED"
    CANCELLED = "CANCELLED"


class CancelReason(StrEnum):
    PAYMENT_EXPIRED = "payment_expired"  # not paid before payment_due_by
    PAYMENT_CANCELLED = "payment_cancelled"  # the PaymentIntent was cancelled (by us, Stripe or an agent)
    RESERVATION_LAPSED = "reservation_lapsed"  # paid after the stock hold ran out: authorisation voided
    REVIEW_REJECTED = "review_rejected"  # fulfilment: an agent rejected it, or no decision came in time
    NOT_FULFILLED = "not_fulfilled"  # fulfilment: nothing shipped (nothing could be, or the window passed)
    CANCELLATION_REQUESTED = "cancellation_requested"  # the buyer or an agent cancelled it before dispatch
    NOT_COLLECTED = "not_collected"  # a store pickup nobody collected within its hold period


class Buyer(Strict):
    """Who placed the order: a guest (by the hash of their cart token) or a customer (Cognito sub)."""

    kind: Literal["guest", "customer"]
    key: str
    email: str | None = None
    price_group: str = "retail"


class CardSummary(Strict):
    """What the payment provider tells about the card; never the number (PCI SAQ-A)."""

    brand: str | None = None
    last4: str | None = None
    country: str | None = None
    fingerprint: str | None = None
    funding: str | None = None


class PaymentFailure(Strict):
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    at: str


class ShippedLine(Strict):
    """Units of one SKU in a shipment (or dropped from the order)."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class ShipmentCharge(Strict):
    """What one shipment is charged (``checkout.domain.settlement``), and how far the charge got.

    ``pending``: recorded before Stripe is asked, so a retry asks for the same amount with the same key;
    ``captured``: Stripe took it and the shipped units left the stock; ``deferred``: the card cannot be
    captured more than once (no multicapture), the units left the stock and the amount is captured with
    the order's last shipment (or when the rest is dropped).
    """

    shipment_id: str
    lines: tuple[ShippedLine, ...]
    location_id: str | None = None
    amount: Money
    final: bool
    status: Literal["pending", "captured", "deferred"]
    requested_at: str
    captured_at: str | None = None


class DroppedLines(Strict):
    """Units the order gives up (a short pick, the rest after the last shipment): never charged."""

    release_id: str
    lines: tuple[ShippedLine, ...]
    at: str


class Payment(Strict):
    """The order's payment: what is due by card, and what the provider did with it so far."""

    provider: Literal["stripe", "none"]  # "none": gift certificates and/or points paid it all
    intent_id: str | None = None
    amount: Money
    status: Literal["requires_payment", "authorized", "cancelled", "not_required"]
    failures: int = 0
    last_failure: PaymentFailure | None = None
    authorized_at: str | None = None
    captured: Money | None = None
    refunded: Money | None = None
    card: CardSummary | None = None
    billing_country: str | None = None
    # Fulfilment (checkout.domain.settlement): one charge per shipment; what was released uncaptured.
    shipments: tuple[ShipmentCharge, ...] = ()
    voided: Money | None = None


class PointsOnLine(Strict):
    """What points paid of one line (the points' value shared over the lines they may pay)."""

    sku: str
    amount: Money


class PointsTender(Strict):
    """What the member's loyalty points paid: debited in the order's transaction (loyalty's contract),
    given back exactly once in the transaction that cancels the order."""

    member_id: str = Field(description="The loyalty member (the customer's Cognito sub)")
    points: int = Field(ge=1)
    amount: Money = Field(description="What the points paid: points x the currency's point value")
    lines: tuple[PointsOnLine, ...] = Field(description="The amount shared over the lines it paid")


class OrderLine(PricedLine):
    name: dict[str, str] = Field(default_factory=dict, description="Localised product name at purchase")
    digital: bool = Field(
        default=False, description="Delivered electronically (an e-certificate): no stock held, never shipped"
    )


class StatusChange(Strict):
    at: str
    status: OrderStatus
    note: str | None = None


class Order(Strict):
    id: str
    version: int = 1
    status: OrderStatus
    buyer: Buyer
    cart_id: str
    checkout_ref: str
    currency: str
    tax_display: TaxDisplay
    destination_country: CountryCode = Field(description="Where it is delivered or collected (tax)")
    lines: tuple[OrderLine, ...]
    shipping: Shipping | None
    totals: Totals
    applied_promotions: tuple[AppliedPromotion, ...] = ()
    promo_codes: tuple[str, ...] = ()
    # The code uses the checkout counted (whose customer count too), given back if the order is cancelled.
    code_redemptions: tuple[CodeRedemption, ...] = ()
    gift_certificates: tuple[GiftCertificateTender, ...] = ()
    # Loyalty points paid this much of it (``totals.amount_due`` and ``payment.amount`` are net of it).
    points: PointsTender | None = None
    fulfilment: Fulfilment
    allocations: tuple[Allocation, ...]
    shipping_address: Address | None = None
    billing_address: Address | None = None
    phone: str | None = None
    reservation_id: str
    reservation_expires_at: int
    payment: Payment
    risk: dict[str, Any] | None = None
    review_required: bool = False
    client_ip: str | None = None
    created_at: str
    updated_at: str
    payment_due_by: str
    cancelled_at: str | None = None
    cancel_reason: CancelReason | None = None
    dropped: tuple[DroppedLines, ...] = ()
    history: tuple[StatusChange, ...] = ()

    def view(self) -> dict[str, Any]:
        """What the shopper and the storefront see of an order (no internal references)."""
        body = self.model_dump(
            mode="json",
            exclude={
                "checkout_ref",
                "buyer",
                "risk",
                "client_ip",
                "reservation_id",
                "allocations",
                "code_redemptions",
                "dropped",  # fulfilment's; the order management views show shipments and drops
            },
        )
        if body.get("points"):
            del body["points"]["member_id"]
        card = self.payment.card
        body["payment"] = {
            "amount": body["payment"]["amount"],
            "status": body["payment"]["status"],
            "failures": body["payment"]["failures"],
            "last_failure": body["payment"]["last_failure"],
            "card": {"brand": card.brand, "last4": card.last4} if card else None,
            "captured": body["payment"]["captured"],
            "refunded": body["payment"]["refunded"],
        }
        body["email"] = self.buyer.email
        return body
