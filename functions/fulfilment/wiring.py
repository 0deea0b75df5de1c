"""What the fulfilment functions are built from, in one place (``shop_kernel.wiring``).

Handlers use ``wiring.container``; tests build ``FulfilmentContainer(store=..., callbacks=...)`` and put
it there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fulfilment.adapters.callbacks import StepFunctionsCallbacks
from fulfilment.adapters.dynamo import DynamoFulfilmentStore
from fulfilment.adapters.locations import InventoryLocations
from fulfilment.domain.cancel_requests import CancellationRequests
from fulfilment.domain.ports import FulfilmentStore, WorkflowCallbacks
from fulfilment.domain.service import Fulfilment
from fulfilment.settings import FulfilmentSettings
from inventory.domain.models import Location
from shop_kernel import aws
from shop_kernel.ids import new_id
from shop_kernel.wiring import ContextContainer, provided


class FulfilmentContainer(ContextContainer):
    @provided
    def settings(self) -> FulfilmentSettings:
        return FulfilmentSettings.from_env()

    @provided
    def store(self) -> FulfilmentStore:
        return DynamoFulfilmentStore(self.dynamodb_client(), self.settings().fulfilment_table_name)

    @provided
    def callbacks(self) -> WorkflowCallbacks:
        return StepFunctionsCallbacks(aws.client("stepfunctions"))

    @provided
    def locations(self) -> Callable[[], Mapping[str, Location]]:
        return InventoryLocations(self.dynamodb_client(), self.settings().inventory_table_name)

    @provided
    def fulfilment(self) -> Fulfilment:
        return Fulfilment(
            self.store(),
            self.callbacks(),
            self.publisher(),
            self.clock(),
            # Only allocation reads locations: functions that never allocate need no inventory table.
            lambda: self.locations()(),
            lambda: new_id("shp"),
            self.settings().default_carrier,
            self.settings().pickup_hold_s,
        )

    @provided
    def cancellation_requests(self) -> CancellationRequests:
        return CancellationRequests(self.store(), self.callbacks(), self.publisher(), self.clock())


container = FulfilmentContainer()
