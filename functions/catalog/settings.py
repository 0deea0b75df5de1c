"""The catalog functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    catalog_table_name: str = "shop-local-catalog"
    cursor_signing_key_secret_name: str = "shop-local-cursor-signing-key"  # noqa: S105 - a name, not a value
