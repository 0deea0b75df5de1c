"""What the pricing functions are built from: one ``PricingContainer``, its parts built once per
environment.

Handlers look the parts up through this module (``wiring.container.store()``), so a test that puts
``PricingContainer(clock=fixed)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Nothing here is loaded by ``pricing.contract`` or ``pricing.domain``,
which cart and checkout ship.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from pricing.adapters.back_office import BackOfficeStore, CampaignLedger
    from pricing.settings import PricingSettings


class PricingContainer(ContextContainer):
    @provided
    def settings(self) -> PricingSettings:
        from pricing.settings import PricingSettings

        return PricingSettings.from_env()

    @provided
    def store(self) -> BackOfficeStore:
        from pricing.adapters.back_office import BackOfficeStore
        from shop_kernel.dynamo import CursorCodec
        from shop_kernel.secrets import SecretKeyProvider

        config = self.settings()
        table = config.promotions_table_name
        key = SecretKeyProvider(self.secrets_client, config.cursor_signing_key_secret_name or "")
        return BackOfficeStore(
            self.dynamodb_client(), table, CursorCodec(table, key), CursorCodec(table, key, index="gsi1")
        )

    @provided
    def ledger(self) -> CampaignLedger:
        from pricing.adapters.back_office import CampaignLedger

        return CampaignLedger(self.dynamodb_client(), self.settings().promotions_table_name)


container = PricingContainer()
