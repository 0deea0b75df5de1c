"""What the loyalty functions are built from, in one place (``shop_kernel.wiring``).

Handlers look parts up through the module (``wiring.container.service()``); tests build
``LoyaltyContainer(store=fake, clock=FixedClock(...))`` and put it here.
"""

from __future__ import annotations

from loyalty.adapters.certificates import DynamoCertificates
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.certificate_service import CertificateService
from loyalty.domain.service import LoyaltyService
from loyalty.settings import LoyaltySettings
from shop_kernel.dynamo import CursorCodec
from shop_kernel.secrets import SecretKeyProvider
from shop_kernel.wiring import ContextContainer, provided


class LoyaltyContainer(ContextContainer):
    @provided
    def settings(self) -> LoyaltySettings:
        return LoyaltySettings.from_env()

    @provided
    def store(self) -> DynamoLoyaltyStore:
        return DynamoLoyaltyStore(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def service(self) -> LoyaltyService:
        return LoyaltyService(store=self.store(), clock=self.clock())

    @provided
    def certificate_store(self) -> DynamoCertificates:
        return DynamoCertificates(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def certificates(self) -> CertificateService:
        return CertificateService(store=self.certificate_store(), clock=self.clock())

    @provided
    def cursors(self) -> CursorCodec:
        key = SecretKeyProvider(self.secrets_client, self.settings().cursor_signing_key_secret_name)
        return CursorCodec(self.settings().loyalty_table_name, key)


container = LoyaltyContainer()
