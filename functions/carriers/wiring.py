"""What the carrier functions are built from, in one place (``shop_kernel.wiring``).

Handlers use ``wiring.container``; tests build ``CarriersContainer(store=..., carriers=...)`` and put it
there. Which carriers a function has: Nova Poshta when its secret (``nova-poshta-api``) holds an account
(the placeholder a deployment starts with does not: Nova Poshta stays off until ops store one), the local
stand-in when ``CARRIER_STANDIN_URL`` is set (the local stack only). Webhook keys come from the
``carrier-webhook-signing`` secret, JSON ``{carrier id: key}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from carriers.adapters import novaposhta, standin
from carriers.adapters.dynamo import DynamoShipmentStore
from carriers.adapters.labels import S3LabelStore
from carriers.adapters.transport import Transport, UrllibTransport
from carriers.domain.models import TrackingEvent
from carriers.domain.ports import Carrier, LabelStore, ShipmentStore
from carriers.domain.service import Shipping, Tracking
from carriers.settings import CarriersSettings
from shop_kernel import aws
from shop_kernel.observability import logger
from shop_kernel.secrets import SecretKeyProvider
from shop_kernel.wiring import ContextContainer, provided

WebhookParser = Callable[[Mapping[str, Any]], tuple[str, list[TrackingEvent]]]
# Carriers that push tracking, and how each one's verified body is read.
WEBHOOK_PARSERS: dict[str, WebhookParser] = {standin.CARRIER_ID: standin.parse_webhook}
KNOWN_CARRIERS = (novaposhta.CARRIER_ID, standin.CARRIER_ID)


class CarriersContainer(ContextContainer):
    @provided
    def settings(self) -> CarriersSettings:
        return CarriersSettings.from_env()

    @provided
    def transport(self) -> Transport:
        return UrllibTransport()

    @provided
    def store(self) -> ShipmentStore:
        return DynamoShipmentStore(self.dynamodb_client(), self.settings().shipments_table_name)

    @provided
    def labels(self) -> LabelStore:
        return S3LabelStore(aws.client("s3"), self.settings().shipping_labels_bucket_name)

    @provided
    def carriers(self) -> dict[str, Carrier]:
        found: dict[str, Carrier] = {}
        account = _nova_poshta_account(self.settings().nova_poshta_api_secret_name)
        if account is not None:
            found[novaposhta.CARRIER_ID] = novaposhta.NovaPoshtaCarrier(account, self.transport())
        if self.settings().carrier_standin_url:
            found[standin.CARRIER_ID] = standin.StandinCarrier(
                str(self.settings().carrier_standin_url), self.transport()
            )
        return found

    @provided
    def webhook_keys(self) -> Callable[[], dict[str, bytes]]:
        secret = SecretKeyProvider(self.secrets_client, self.settings().carrier_webhook_signing_secret_name)

        def keys() -> dict[str, bytes]:
            try:
                value = json.loads(secret())
            except ValueError:
                logger.warning(
                    "carrier-webhook-signing holds no JSON {carrier: key}: every webhook is refused"
                )
                return {}
            return {str(k): str(v).encode() for k, v in value.items()} if isinstance(value, dict) else {}

        return keys

    @provided
    def shipping(self) -> Shipping:
        return Shipping(self.carriers(), self.store(), self.labels(), self.clock())

    @provided
    def tracking(self) -> Tracking:
        return Tracking(self.store())


def _nova_poshta_account(secret_name: str) -> novaposhta.NovaPoshtaAccount | None:
    try:
        raw = SecretKeyProvider(lambda: aws.client("secretsmanager"), secret_name)()
        return novaposhta.NovaPoshtaAccount.model_validate_json(raw)
    except ValueError:
        logger.info("the nova-poshta-api secret holds no account: Nova Poshta is off")
        return None


container = CarriersContainer()
