"""Adapter factories: one client, repository and service per process, reused by warm invocations.

Each factory is ``lru_cache``d; tests call ``reset()`` after changing the environment (or swap a
factory) so nothing leaks between them. Clients come from ``shop_kernel.aws`` (botocore, no boto3).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from catalog.adapters.dynamo_repository import GSI, DynamoCatalogRepository
from catalog.domain.products import ProductService
from catalog.domain.taxonomy import TaxonomyService
from catalog.settings import CatalogSettings
from shop_kernel import aws
from shop_kernel.clock import SystemClock
from shop_kernel.dynamo import CursorCodec
from shop_kernel.secrets import SecretKeyProvider


@lru_cache(maxsize=1)
def settings() -> CatalogSettings:
    return CatalogSettings.from_env()


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


@lru_cache(maxsize=1)
def secrets_client() -> Any:
    return aws.client("secretsmanager")


@lru_cache(maxsize=1)
def events_client() -> Any:
    return aws.client("events")


@lru_cache(maxsize=1)
def cursor_key() -> SecretKeyProvider:
    return SecretKeyProvider(secrets_client, settings().cursor_signing_key_secret_name)


@lru_cache(maxsize=1)
def repository() -> DynamoCatalogRepository:
    table = settings().catalog_table_name
    return DynamoCatalogRepository(
        dynamodb_client(),
        table,
        cursors=CursorCodec(table, cursor_key()),
        index_cursors=CursorCodec(table, cursor_key(), index=GSI),
    )


@lru_cache(maxsize=1)
def clock() -> SystemClock:
    return SystemClock()


@lru_cache(maxsize=1)
def product_service() -> ProductService:
    return ProductService(repository(), clock())


@lru_cache(maxsize=1)
def taxonomy_service() -> TaxonomyService:
    return TaxonomyService(repository(), clock(), product_service())


_FACTORIES = (
    settings,
    dynamodb_client,
    secrets_client,
    events_client,
    cursor_key,
    repository,
    clock,
    product_service,
    taxonomy_service,
)


def reset() -> None:
    """Forget every cached client, adapter and service (tests, or after the environment changed)."""
    aws.reset_clients()
    for factory in _FACTORIES:
        factory.cache_clear()
