"""The pricing functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class PricingSettings(ServiceSettings):
    promotions_table_name: str = local_default("shop-local-promotions")
    # Only the API pages (the generator and the projector never sign a cursor).
    cursor_signing_key_secret_name: str | None = None
