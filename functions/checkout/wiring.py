"""What the checkout functions are built from: one ``CheckoutContainer``, its parts built once per environment.

Handlers look the parts up through this module (``wiring.container.service()``), so a test that puts
``CheckoutContainer(payments=fake)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Each provider imports what it builds: nothing loads stripe or the
idempotency layer (which imports boto3) until a write path asks for it, so the order read routes start
as light as the cart's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel import aws
from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from checkout.adapters.dynamo import DynamoCheckoutStore
    from checkout.adapters.idempotency import CheckoutRecords
    from checkout.adapters.stripe_gateway import StripeGateway
    from checkout.adapters.workflows import FulfilmentStarter
    from checkout.domain.orders import OrderTerms
    from checkout.domain.payment_tasks import PaymentTasks
    from checkout.domain.payments import PaymentEvents
    from checkout.domain.reconciliation import PaymentsReconciler
    from checkout.domain.service import CheckoutService
    from checkout.settings import CheckoutSettings
    from shop_kernel.guest_keys import GuestKeys
    from shop_kernel.secrets import SecretKeyProvider


class CheckoutContainer(ContextContainer):
    @provided
    def settings(self) -> CheckoutSettings:
        from checkout.settings import CheckoutSettings

        return CheckoutSettings.from_env()

    @provided
    def store(self) -> DynamoCheckoutStore:
        """Reads each table's name from the settings when it first uses the table: the checkout functions
        share the store but not the tables (the stream consumer releases stock and reads no cart), and a
        function is given, and granted, only the tables it uses."""
        from checkout.adapters.dynamo import DynamoCheckoutStore

        return DynamoCheckoutStore(
            self.dynamodb_client(),
            orders=lambda: self.settings().orders_table_name,
            carts=lambda: self.settings().carts_table_name,
            inventory=lambda: self.settings().inventory_table_name,
            promotions=lambda: self.settings().promotions_table_name,
            loyalty=lambda: self.settings().loyalty_table_name,
        )

    @provided
    def stripe_key(self) -> SecretKeyProvider:
        from shop_kernel.secrets import SecretKeyProvider

        return SecretKeyProvider(self.secrets_client, self.settings().stripe_api_key_secret_name)

    @provided
    def webhook_secret(self) -> SecretKeyProvider:
        from shop_kernel.secrets import SecretKeyProvider

        return SecretKeyProvider(self.secrets_client, self.settings().stripe_webhook_signing_secret_name)

    @provided
    def guest_keys(self) -> GuestKeys:
        from shop_kernel.guest_keys import GuestKeys
        from shop_kernel.secrets import SecretKeyProvider

        return GuestKeys(SecretKeyProvider(self.secrets_client, self.settings().guest_email_key_secret_name))

    @provided
    def payments(self) -> StripeGateway:
        from checkout.adapters.stripe_gateway import StripeGateway

        return StripeGateway(self.stripe_key(), self.settings().stripe_api_base)

    def terms(self) -> OrderTerms:
        from datetime import timedelta

        from checkout.domain.orders import OrderTerms

        config = self.settings()
        return OrderTerms(
            payment_window=timedelta(minutes=config.payment_window_minutes),
            reservation_margin=timedelta(minutes=config.reservation_margin_minutes),
        )

    @provided
    def service(self) -> CheckoutService:
        from checkout.domain.service import CheckoutService
        from pricing.domain.rates import ConfiguredTaxRates, carrier_quotes

        return CheckoutService(
            store=self.store(),
            payments=self.payments(),
            clock=self.clock(),
            tax_rates=ConfiguredTaxRates(),
            carrier_quotes=carrier_quotes(),
            terms=self.terms(),
        )

    @provided
    def payment_events(self) -> PaymentEvents:
        from checkout.domain.payments import PaymentEvents

        store = self.store()
        return PaymentEvents(store=store, save=store.save_order, payments=self.payments(), clock=self.clock())

    def payment_tasks(self) -> PaymentTasks:
        """The fulfilment workflow's payment steps, on the container's store, gateway and clock (nothing of
        its own to keep: built per call, so not a provider)."""
        from checkout.domain.payment_tasks import PaymentTasks

        store = self.store()
        return PaymentTasks(
            store=store,
            save=store.save_order,
            payments=self.payments(),
            events=self.payment_events(),
            clock=self.clock(),
        )

    @provided
    def payments_reconciler(self) -> PaymentsReconciler:
        from datetime import timedelta

        from checkout.domain.reconciliation import PaymentsReconciler

        return PaymentsReconciler(
            payments=self.payments(),
            orders=self.store().orders,
            events=self.payment_events(),
            clock=self.clock(),
            window=timedelta(days=self.settings().reconcile_window_days),
        )

    @provided
    def fulfilment(self) -> FulfilmentStarter:
        from checkout.adapters.workflows import FulfilmentStarter

        arn = self.settings().order_fulfilment_state_machine_arn
        if not arn:
            raise RuntimeError("ORDER_FULFILMENT_STATE_MACHINE_ARN is not set for this function")
        return FulfilmentStarter(aws.client("stepfunctions"), arn)

    # Powertools' persistence layer keeps the first configuration it is given: one per purpose.
    @provided
    def checkout_idempotency(self) -> CheckoutRecords:
        """Checkout requests' idempotency records (``POST /checkout``), completed in the order's transaction."""
        from checkout.adapters.idempotency import CheckoutRecords

        return CheckoutRecords(
            table_name=self.settings().idempotency_table_name, boto3_client=self.dynamodb_client()
        )

    @provided
    def stripe_event_idempotency(self) -> DynamoDBPersistenceLayer:
        """Stripe events' idempotency records (the webhook)."""
        return self._idempotency_layer()

    def _idempotency_layer(self) -> DynamoDBPersistenceLayer:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(
            table_name=self.settings().idempotency_table_name, boto3_client=self.dynamodb_client()
        )


container = CheckoutContainer()
