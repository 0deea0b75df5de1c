"""Adapter factories: one client, store and service per process, reused by warm invocations.

Tests call ``reset()`` after changing the environment so nothing leaks between them. The adapters are
imported by the factories that build them, not by this package: ``cart.contract`` reads the layout in
``cart.adapters.records``, and a function that only closes carts (checkout) must not load the cart's
own wiring to do so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# Imported here, before ``promotions()`` is defined: importing the submodule later (in the factory) would
# rebind ``cart.adapters.promotions`` from the factory to the module. It is light (pricing's contract).
from cart.adapters.promotions import DynamoPromotions
from shop_kernel import aws
from shop_kernel.clock import SystemClock

if TYPE_CHECKING:
    from cart.adapters.dynamo_carts import DynamoCartStore
    from cart.adapters.dynamo_projection import DynamoSkuProjection
    from cart.domain.pricing import PricingPorts
    from cart.domain.service import CartService
    from cart.settings import CartSettings
    from pricing.domain import Promotion


@lru_cache(maxsize=1)
def settings() -> CartSettings:
    from cart.settings import CartSettings

    return CartSettings.from_env()


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


@lru_cache(maxsize=1)
def clock() -> SystemClock:
    return SystemClock()


@lru_cache(maxsize=1)
def store() -> DynamoCartStore:
    from cart.adapters.dynamo_carts import DynamoCartStore, InventoryStock

    config = settings()
    inventory = (
        InventoryStock(dynamodb_client(), config.inventory_table_name)
        if config.inventory_table_name
        else None
    )
    return DynamoCartStore(
        dynamodb_client(), config.carts_table_name, inventory, config.promotions_table_name
    )


@lru_cache(maxsize=1)
def service() -> CartService:
    from cart.domain.changes import Lifetimes
    from cart.domain.lines import Limits
    from cart.domain.service import CartService

    config = settings()
    return CartService(
        store=store(),
        clock=clock(),
        limits=Limits(max_quantity_per_line=config.max_quantity_per_line, max_lines=config.max_lines),
        lifetimes=Lifetimes(
            guest=timedelta(days=config.guest_ttl_days), customer=timedelta(days=config.customer_ttl_days)
        ),
    )


@lru_cache(maxsize=1)
def promotions() -> DynamoPromotions:
    return DynamoPromotions(dynamodb_client(), settings().promotions_table_name)


def pricing_ports(active: Sequence[Promotion]) -> PricingPorts:
    """The pricing ports for one request, over the promotions it read (``DynamoCartStore.pricing_reads``)."""
    from cart.domain.pricing import PricingPorts
    from pricing.domain.rates import ConfiguredTaxRates, carrier_quotes

    store = promotions().reading(active)
    return PricingPorts(
        tax_rates=ConfiguredTaxRates(),
        carrier_quotes=carrier_quotes(),
        promotions=store,
        code_redemptions=store,
        gift_certificates=store,
    )


@lru_cache(maxsize=1)
def projection() -> DynamoSkuProjection:
    from cart.adapters.dynamo_projection import DynamoSkuProjection

    return DynamoSkuProjection(dynamodb_client(), settings().carts_table_name)


_FACTORIES = (settings, dynamodb_client, clock, store, service, promotions, projection)


def reset() -> None:
    """Forget every cached client, adapter and service (tests, or after the environment changed)."""
    aws.reset_clients()
    for factory in _FACTORIES:
        factory.cache_clear()
