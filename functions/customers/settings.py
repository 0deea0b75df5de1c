"""The customers functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class CustomersSettings(ServiceSettings):
    customers_table_name: str = local_default("shop-local-customers")
    customer_link_signing_secret_name: str = local_default("shop-local-customer-link-signing")
    # How long a double opt-in confirmation link stays valid.
    consent_confirmation_ttl_hours: int = 48
