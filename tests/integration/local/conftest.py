"""Fixtures for the local stack's own tests: a private state dir (signing keys) and in-process moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local import ENDPOINT_VARIABLES, moto_patches, tokens


@pytest.fixture(autouse=True)
def local_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keys are made in a temporary ``.local`` so tests never touch the developer's."""
    monkeypatch.setenv("SHOP_LOCAL_DIR", str(tmp_path / ".local"))
    tokens._load_private_key.cache_clear()
    yield tmp_path / ".local"
    tokens._load_private_key.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ENDPOINT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    """A DynamoDB client on an in-process moto with the local stack's patches, for a module's tests."""
    with mock_aws(), moto_patches.installed():
        yield boto3.client("dynamodb", region_name="eu-west-1")
