"""What the inventory functions are built from: one ``InventoryContainer``, its parts built once per
environment.

Handlers look the parts up through this module (``wiring.container.store()``), so a test that puts
``InventoryContainer(clock=fixed)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Each provider imports what it builds; nothing here is loaded by
``inventory.contract``, which cart and checkout use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from inventory.adapters.dynamo import InventoryStore
    from inventory.adapters.reservations import Reservations
    from inventory.domain.reconciliation import HoldsReconciler
    from inventory.settings import InventorySettings


class InventoryContainer(ContextContainer):
    @provided
    def settings(self) -> InventorySettings:
        from inventory.settings import InventorySettings

        return InventorySettings.from_env()

    @provided
    def store(self) -> InventoryStore:
        from inventory.adapters.dynamo import InventoryStore

        config = self.settings()
        return InventoryStore(self.dynamodb_client(), config.inventory_table_name, config.catalog_table_name)

    @provided
    def reservations(self) -> Reservations:
        from inventory.adapters.reservations import Reservations

        return Reservations(self.store(), self.clock())

    @provided
    def holds_reconciler(self) -> HoldsReconciler:
        from datetime import timedelta

        from inventory.domain.reconciliation import HoldsReconciler

        settle = timedelta(minutes=self.settings().reconcile_settle_minutes)
        return HoldsReconciler(self.store(), self.clock(), settle=settle)


container = InventoryContainer()
