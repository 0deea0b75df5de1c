"""Adapter factories: one client, store and service per process, reused by warm invocations.

Tests call ``reset()`` after changing the environment so nothing leaks between them. The adapters are
imported by the factories that build them, not by this package: ``inventory.contract`` reads the layout in
``inventory.adapters.records``, and the functions that use it (cart, checkout) must not load inventory's own
wiring to do so.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# Imported here, before ``reservations()`` is defined: importing the submodule later (in the factory) would
# rebind ``inventory.adapters.reservations`` from the factory to the module. It is light (layout and domain).
from inventory.adapters.reservations import Reservations
from shop_kernel import aws
from shop_kernel.clock import SystemClock

if TYPE_CHECKING:
    from inventory.adapters.dynamo import InventoryStore
    from inventory.domain.reconciliation import HoldsReconciler
    from inventory.settings import InventorySettings


@lru_cache(maxsize=1)
def settings() -> InventorySettings:
    from inventory.settings import InventorySettings

    return InventorySettings.from_env()


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


@lru_cache(maxsize=1)
def events_client() -> Any:
    return aws.client("events")


@lru_cache(maxsize=1)
def clock() -> SystemClock:
    return SystemClock()


@lru_cache(maxsize=1)
def store() -> InventoryStore:
    from inventory.adapters.dynamo import InventoryStore

    config = settings()
    return InventoryStore(dynamodb_client(), config.inventory_table_name, config.catalog_table_name)


@lru_cache(maxsize=1)
def reservations() -> Reservations:
    return Reservations(store(), clock())


@lru_cache(maxsize=1)
def holds_reconciler() -> HoldsReconciler:
    from inventory.domain.reconciliation import HoldsReconciler

    return HoldsReconciler(store(), clock(), settle=timedelta(minutes=settings().reconcile_settle_minutes))


_FACTORIES = (settings, dynamodb_client, events_client, clock, store, reservations, holds_reconciler)


def reset() -> None:
    """Forget every cached client, adapter and service (tests, or after the environment changed)."""
    aws.reset_clients()
    for factory in _FACTORIES:
        factory.cache_clear()
