"""The inventory functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class InventorySettings(ServiceSettings):
    inventory_table_name: str = local_default("shop-local-inventory")
    # The catalog's table, read-only, to refuse stock for SKUs the catalog does not know.
    catalog_table_name: str | None = None
    # The reconciler recounts a stock level only once it has been unchanged this long.
    reconcile_settle_minutes: int = 15
