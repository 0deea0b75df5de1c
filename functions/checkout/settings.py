"""The checkout functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class CheckoutSettings(ServiceSettings):
    orders_table_name: str = local_default("shop-local-orders")
    carts_table_name: str = local_default("shop-local-carts")
    inventory_table_name: str = local_default("shop-local-inventory")
    promotions_table_name: str = local_default("shop-local-promotions")
    # Loyalty's table: gift certificates (read by code, debited and given back) and orders paid with points
    # (debited at checkout, given back on cancellation), through loyalty's contract.
    loyalty_table_name: str = local_default("shop-local-loyalty")
    idempotency_table_name: str = local_default("shop-local-idempotency")
    stripe_api_key_secret_name: str = local_default("shop-local-stripe-api-key")
    stripe_webhook_signing_secret_name: str = local_default("shop-local-stripe-webhook-signing")
    # Keys a guest order's e-mail for loyalty's points claim (checkout-events only).
    guest_email_key_secret_name: str = local_default("shop-local-guest-email-key")
    # Set only locally (the Stripe stand-in); the cloud talks to api.stripe.com.
    stripe_api_base: str | None = None
    order_fulfilment_state_machine_arn: str | None = None
    # How long an order held for fraud review waits for an agent's decision before it is cancelled.
    fraud_review_timeout_s: int = 48 * 3600
    payment_window_minutes: int = 30
    reservation_margin_minutes: int = 15
    # Stripe signs each webhook with a timestamp; older deliveries are refused (replay protection).
    webhook_tolerance_s: int = 300
    idempotency_ttl_s: int = 24 * 3600
    # The reconciler compares the PaymentIntents created this many days back with their orders.
    reconcile_window_days: int = 8
