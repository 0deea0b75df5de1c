"""What the cart functions are built from: one ``CartContainer``, its parts built once per environment.

Handlers look the parts up through this module (``wiring.container.service()``), so a test that puts
``CartContainer(clock=fixed)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Each provider imports what it builds; nothing here is loaded by
``cart.contract``, which checkout uses to close carts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from cart.adapters.certificates import DynamoGiftCertificates
    from cart.adapters.dynamo_carts import DynamoCartStore
    from cart.adapters.dynamo_projection import DynamoSkuProjection
    from cart.adapters.promotions import DynamoPromotions
    from cart.domain.pricing import PricingPorts
    from cart.domain.service import CartService
    from cart.settings import CartSettings
    from pricing.domain import Promotion


class CartContainer(ContextContainer):
    @provided
    def settings(self) -> CartSettings:
        from cart.settings import CartSettings

        return CartSettings.from_env()

    @provided
    def store(self) -> DynamoCartStore:
        from cart.adapters.dynamo_carts import DynamoCartStore, InventoryStock

        config, client = self.settings(), self.dynamodb_client()
        inventory = (
            InventoryStock(client, config.inventory_table_name) if config.inventory_table_name else None
        )
        return DynamoCartStore(
            client,
            config.carts_table_name,
            inventory,
            config.promotions_table_name,
            config.loyalty_table_name,
        )

    @provided
    def service(self) -> CartService:
        from datetime import timedelta

        from cart.domain.changes import Lifetimes
        from cart.domain.lines import Limits
        from cart.domain.service import CartService

        config = self.settings()
        return CartService(
            store=self.store(),
            clock=self.clock(),
            limits=Limits(max_quantity_per_line=config.max_quantity_per_line, max_lines=config.max_lines),
            lifetimes=Lifetimes(
                guest=timedelta(days=config.guest_ttl_days), customer=timedelta(days=config.customer_ttl_days)
            ),
        )

    @provided
    def promotions(self) -> DynamoPromotions:
        from cart.adapters.promotions import DynamoPromotions

        return DynamoPromotions(self.dynamodb_client(), self.settings().promotions_table_name)

    @provided
    def certificates(self) -> DynamoGiftCertificates:
        from cart.adapters.certificates import DynamoGiftCertificates

        return DynamoGiftCertificates(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def projection(self) -> DynamoSkuProjection:
        from cart.adapters.dynamo_projection import DynamoSkuProjection

        return DynamoSkuProjection(self.dynamodb_client(), self.settings().carts_table_name)

    def pricing_ports(self, active: Sequence[Promotion]) -> PricingPorts:
        """The pricing ports for one request, over the promotions it read (``DynamoCartStore.pricing_reads``):
        built per request, so not a provider."""
        from cart.domain.pricing import PricingPorts
        from pricing.domain.rates import ConfiguredTaxRates, carrier_quotes

        store = self.promotions().reading(active)
        return PricingPorts(
            tax_rates=ConfiguredTaxRates(),
            carrier_quotes=carrier_quotes(),
            promotions=store,
            code_redemptions=store,
            gift_certificates=self.certificates(),
        )


container = CartContainer()
