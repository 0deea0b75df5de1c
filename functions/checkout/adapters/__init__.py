"""Adapter factories: one client, store, gateway and service per process, reused by warm invocations.

Nothing here imports stripe or the idempotency layer (which imports boto3) until a write path asks for
it, so the order read routes start as light as the cart's. Tests call ``reset()`` after changing the
environment so nothing leaks between them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from checkout.adapters.dynamo import DynamoCheckoutStore
from checkout.adapters.workflows import FulfilmentStarter
from checkout.domain.orders import OrderTerms
from checkout.domain.payment_tasks import PaymentTasks
from checkout.domain.payments import PaymentEvents
from checkout.domain.reconciliation import PaymentsReconciler
from checkout.domain.service import CheckoutService
from checkout.settings import CheckoutSettings
from pricing.domain.rates import ConfiguredTaxRates, carrier_quotes
from shop_kernel import aws
from shop_kernel.clock import SystemClock
from shop_kernel.secrets import SecretKeyProvider

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from checkout.adapters.stripe_gateway import StripeGateway


@lru_cache(maxsize=1)
def settings() -> CheckoutSettings:
    return CheckoutSettings.from_env()


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


@lru_cache(maxsize=1)
def clock() -> SystemClock:
    return SystemClock()


@lru_cache(maxsize=1)
def store() -> DynamoCheckoutStore:
    """Reads each table's name from the settings when it first uses the table: the checkout functions
    share the store but not the tables (the stream consumer releases stock and reads no cart), and a
    function is given, and granted, only the tables it uses."""
    return DynamoCheckoutStore(
        dynamodb_client(),
        orders=lambda: settings().orders_table_name,
        carts=lambda: settings().carts_table_name,
        inventory=lambda: settings().inventory_table_name,
        promotions=lambda: settings().promotions_table_name,
    )


@lru_cache(maxsize=1)
def stripe_key() -> SecretKeyProvider:
    return SecretKeyProvider(lambda: aws.client("secretsmanager"), settings().stripe_api_key_secret_name)


@lru_cache(maxsize=1)
def webhook_secret() -> SecretKeyProvider:
    return SecretKeyProvider(
        lambda: aws.client("secretsmanager"), settings().stripe_webhook_signing_secret_name
    )


@lru_cache(maxsize=1)
def payments() -> StripeGateway:
    from checkout.adapters.stripe_gateway import StripeGateway

    return StripeGateway(stripe_key(), settings().stripe_api_base)


def terms() -> OrderTerms:
    config = settings()
    return OrderTerms(
        payment_window=timedelta(minutes=config.payment_window_minutes),
        reservation_margin=timedelta(minutes=config.reservation_margin_minutes),
    )


@lru_cache(maxsize=1)
def service() -> CheckoutService:
    return CheckoutService(
        store=store(),
        payments=payments(),
        clock=clock(),
        tax_rates=ConfiguredTaxRates(),
        carrier_quotes=carrier_quotes(),
        terms=terms(),
    )


@lru_cache(maxsize=1)
def payment_events() -> PaymentEvents:
    return PaymentEvents(store=store(), save=store().save_order, payments=payments(), clock=clock())


def payment_tasks() -> PaymentTasks:
    """The fulfilment workflow's payment steps, on the cached store, gateway and clock (nothing of its
    own to cache)."""
    return PaymentTasks(
        store=store(), save=store().save_order, payments=payments(), events=payment_events(), clock=clock()
    )


@lru_cache(maxsize=1)
def payments_reconciler() -> PaymentsReconciler:
    return PaymentsReconciler(
        payments=payments(),
        orders=store().orders,
        events=payment_events(),
        clock=clock(),
        window=timedelta(days=settings().reconcile_window_days),
    )


@lru_cache(maxsize=1)
def events_client() -> Any:
    return aws.client("events")


@lru_cache(maxsize=1)
def fulfilment() -> FulfilmentStarter:
    arn = settings().order_fulfilment_state_machine_arn
    if not arn:
        raise RuntimeError("ORDER_FULFILMENT_STATE_MACHINE_ARN is not set for this function")
    return FulfilmentStarter(aws.client("stepfunctions"), arn)


@lru_cache(maxsize=4)
def idempotency_store(purpose: str) -> DynamoDBPersistenceLayer:
    """Powertools' DynamoDB persistence layer on the idempotency table, with our botocore client.

    One per ``purpose`` (checkout requests, Stripe events): a layer keeps the first configuration it is
    given, and the local stack runs both functions in one process.
    """
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table_name, boto3_client=dynamodb_client()
    )


_FACTORIES = (
    settings,
    dynamodb_client,
    clock,
    store,
    stripe_key,
    webhook_secret,
    payments,
    service,
    payment_events,
    payments_reconciler,
    events_client,
    fulfilment,
    idempotency_store,
)


def reset() -> None:
    """Forget every cached client, adapter and service (tests, or after the environment changed)."""
    aws.reset_clients()
    for factory in _FACTORIES:
        factory.cache_clear()
