"""The catalog functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class CatalogSettings(ServiceSettings):
    catalog_table_name: str = local_default("shop-local-catalog")
    cursor_signing_key_secret_name: str = local_default("shop-local-cursor-signing-key")
