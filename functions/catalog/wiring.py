"""What the catalog functions are built from: one ``CatalogContainer``, its parts built once per environment.

Handlers look the parts up through this module (``wiring.container.repository()``), so a test that puts
``CatalogContainer(repository=fake)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Each provider imports what it builds: a function loads only the
adapters it uses, at its first use of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from catalog.adapters.dynamo_repository import DynamoCatalogRepository
    from catalog.domain.products import ProductService
    from catalog.domain.taxonomy import TaxonomyService
    from catalog.settings import CatalogSettings
    from shop_kernel.secrets import SecretKeyProvider


class CatalogContainer(ContextContainer):
    @provided
    def settings(self) -> CatalogSettings:
        from catalog.settings import CatalogSettings

        return CatalogSettings.from_env()

    @provided
    def cursor_key(self) -> SecretKeyProvider:
        from shop_kernel.secrets import SecretKeyProvider

        return SecretKeyProvider(self.secrets_client, self.settings().cursor_signing_key_secret_name)

    @provided
    def repository(self) -> DynamoCatalogRepository:
        from catalog.adapters.dynamo_repository import GSI, DynamoCatalogRepository
        from shop_kernel.dynamo import CursorCodec

        table = self.settings().catalog_table_name
        return DynamoCatalogRepository(
            self.dynamodb_client(),
            table,
            cursors=CursorCodec(table, self.cursor_key()),
            index_cursors=CursorCodec(table, self.cursor_key(), index=GSI),
        )

    @provided
    def product_service(self) -> ProductService:
        from catalog.domain.products import ProductService

        return ProductService(self.repository(), self.clock())

    @provided
    def taxonomy_service(self) -> TaxonomyService:
        from catalog.domain.taxonomy import TaxonomyService

        return TaxonomyService(self.repository(), self.clock(), self.product_service())


container = CatalogContainer()
