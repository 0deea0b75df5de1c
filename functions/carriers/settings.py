"""The carrier functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class CarriersSettings(ServiceSettings):
    shipments_table_name: str = local_default("shop-local-shipments")
    shipping_labels_bucket_name: str = local_default("shop-local-shipping-labels")
    nova_poshta_api_secret_name: str = local_default("shop-local-nova-poshta-api")
    carrier_webhook_signing_secret_name: str = local_default("shop-local-carrier-webhook-signing")
    # Set only locally (the carrier stand-in's URL); the cloud has no stand-in.
    carrier_standin_url: str | None = None
    # A carrier signs each webhook with a timestamp; older deliveries are refused (replay protection).
    webhook_tolerance_s: int = 300
    # Webhook delivery ids are remembered this long (a carrier retries for a day or two at most).
    webhook_dedup_days: int = 7
    # An open shipment without a tracking update for this long counts as stuck (metric + alarm).
    stuck_after_hours: int = 72
