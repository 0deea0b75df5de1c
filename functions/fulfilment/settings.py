"""The fulfilment functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class FulfilmentSettings(ServiceSettings):
    fulfilment_table_name: str = local_default("shop-local-fulfilment")
    inventory_table_name: str = local_default("shop-local-inventory")
    # The carrier new shipments are booked with (carriers' id: "standin" locally, "novaposhta" in the cloud).
    default_carrier: str = "standin"
    # How long a store pickup waits for the shopper once packed; then it is released and the order voided.
    pickup_hold_s: int = 7 * 24 * 3600
