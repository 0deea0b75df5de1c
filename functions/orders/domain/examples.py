"""An order as the API documents answer it (the orders API and checkout's guest route): one example of a
placed order waiting for payment, which each document's views extend with what they add."""

from __future__ import annotations

from typing import Any


def money(amount: int, currency: str = "UAH") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


PENDING_ORDER_EXAMPLE: dict[str, Any] = {
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
            "unit_price": money(4000000),
            "subtotal": money(4000000),
            "discounts": [],
            "discount_total": money(0),
            "tax_rate_bp": 2000,
            "tax": money(666667),
            "total": money(4000000),
        }
    ],
    "shipping": {
        "method": "standard",
        "price": money(9900),
        "discounts": [],
        "discount": money(0),
        "tax_rate_bp": 2000,
        "tax": money(1650),
        "total": money(9900),
    },
    "totals": {
        "subtotal": money(4000000),
        "discount_total": money(0),
        "shipping": money(9900),
        "tax_total": money(668317),
        "grand_total": money(4009900),
        "gift_certificates": money(0),
        "amount_due": money(4009900),
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
        "amount": money(4009900),
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
