"""The orders functions' environment, read once per cold start."""

from __future__ import annotations

from shop_kernel.settings import ServiceSettings, local_default


class OrdersSettings(ServiceSettings):
    orders_table_name: str = local_default("shop-local-orders")
    cursor_signing_key_secret_name: str = local_default("shop-local-cursor-signing-key")
    # Staff see the fulfilment workflow's execution: its ARN is derived from the state machine's.
    order_fulfilment_state_machine_arn: str | None = None
