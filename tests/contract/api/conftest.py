"""One local stack for the API contract suite, with the real ids the fuzzer and the client journey use.

Every test here needs the stack, so they share one xdist group (one worker, one stack per run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.contract.api import fuzzing
from tests.contract.api.known_values import KnownValues, discover
from tests.contract.api.local_stack import RunningStack, StackFailed, local_stack

SEED_PRODUCTS = 20


@pytest.fixture(scope="session")
def contract_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    try:
        with local_stack(tmp_path_factory.mktemp("contract-api-stack"), seed_products=SEED_PRODUCTS) as stack:
            yield stack
    except StackFailed as exc:
        pytest.fail(f"the local stack did not start: {exc}")


@pytest.fixture(scope="session")
def api_document(contract_stack: RunningStack) -> dict[str, Any]:
    response = requests.get(f"{contract_stack.api}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="session")
def known(contract_stack: RunningStack) -> KnownValues:
    return discover(contract_stack.api, contract_stack.auth_headers)


@pytest.fixture(scope="session")
def fuzz_schema(contract_stack: RunningStack) -> Any:
    return fuzzing.load_schema(contract_stack.api)
