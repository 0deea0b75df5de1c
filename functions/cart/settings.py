"""The cart functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class CartSettings(ServiceSettings):
    carts_table_name: str = local_default("shop-local-carts")
    promotions_table_name: str = local_default("shop-local-promotions")
    # Gift certificates are loyalty's: read by code (never written here).
    loyalty_table_name: str = local_default("shop-local-loyalty")
    # The inventory table, read-only, for availability; without it lines are not checked against stock.
    inventory_table_name: str | None = None
    max_quantity_per_line: int = 20
    max_lines: int = 50
    guest_ttl_days: int = 30
    customer_ttl_days: int = 90
