"""What the customers functions are built from, in one place (``shop_kernel.wiring``).

Handlers look parts up through the module (``from customers import wiring; wiring.container.service()``),
so a test's container (``CustomersContainer(store=fake)``) or the harness's fresh one is the one used.
The link-signing key is fetched at the first link signed or verified, not at a cold start.
"""

from __future__ import annotations

from datetime import timedelta

from customers.adapters.cognito import CognitoGroups
from customers.adapters.dynamo import DynamoCustomerStore
from customers.domain.ports import CustomerStore
from customers.domain.service import CustomerService
from customers.domain.tokens import LinkSigner
from customers.settings import CustomersSettings
from shop_kernel.aws import client
from shop_kernel.secrets import SecretKeyProvider
from shop_kernel.wiring import ContextContainer, provided


class CustomersContainer(ContextContainer):
    @provided
    def settings(self) -> CustomersSettings:
        return CustomersSettings.from_env()

    @provided
    def store(self) -> CustomerStore:
        return DynamoCustomerStore(self.dynamodb_client(), self.settings().customers_table_name)

    @provided
    def links(self) -> LinkSigner:
        name = self.settings().customer_link_signing_secret_name
        return LinkSigner(SecretKeyProvider(self.secrets_client, name))

    @provided
    def service(self) -> CustomerService:
        ttl = timedelta(hours=self.settings().consent_confirmation_ttl_hours)
        return CustomerService(self.store(), self.links(), self.clock(), ttl)

    @provided
    def user_groups(self) -> CognitoGroups:
        return CognitoGroups(client("cognito-idp"))


container = CustomersContainer()
