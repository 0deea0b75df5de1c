"""What the orders functions are built from, in one place (``shop_kernel.wiring``).

Handlers look parts up through the module (``wiring.container.store()``); tests build
``OrdersContainer(clock=FixedClock(...))`` and put it here (the harness gives each function a fresh copy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shop_kernel import aws
from shop_kernel.wiring import Container, provided

if TYPE_CHECKING:
    from orders.adapters.dynamo import DynamoOrders
    from orders.adapters.executions import FulfilmentExecutions
    from orders.settings import OrdersSettings
    from shop_kernel.clock import Clock
    from shop_kernel.dynamo import CursorCodec
    from shop_kernel.events import EventPublisher


class OrdersContainer(Container):
    @provided
    def settings(self) -> OrdersSettings:
        from orders.settings import OrdersSettings

        return OrdersSettings.from_env()

    @provided
    def clock(self) -> Clock:
        from shop_kernel.clock import SystemClock

        return SystemClock()

    @provided
    def dynamodb_client(self) -> Any:
        return aws.client("dynamodb")

    @provided
    def cursors(self) -> CursorCodec:
        """Signs the staff search's page cursors (bound to the table, its index and the search)."""
        from shop_kernel.dynamo import CursorCodec
        from shop_kernel.secrets import SecretKeyProvider

        key = SecretKeyProvider(
            lambda: aws.client("secretsmanager"), self.settings().cursor_signing_key_secret_name
        )
        return CursorCodec(self.settings().orders_table_name, key, index="gsi1")

    @provided
    def store(self) -> DynamoOrders:
        from orders.adapters.dynamo import DynamoOrders

        return DynamoOrders(self.dynamodb_client(), self.settings().orders_table_name, self.cursors)

    @provided
    def executions(self) -> FulfilmentExecutions:
        from orders.adapters.executions import FulfilmentExecutions

        config = self.settings()
        return FulfilmentExecutions(
            lambda: aws.client("stepfunctions"),
            config.order_fulfilment_state_machine_arn,
            config.aws_region,
            config.stage,
        )

    @provided
    def publisher(self) -> EventPublisher:
        from shop_kernel.events import EventBridgePublisher

        return EventBridgePublisher(aws.client("events"), self.settings().event_bus_name)


container = OrdersContainer()
