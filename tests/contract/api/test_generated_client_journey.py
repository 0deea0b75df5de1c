"""A Python client generated from ``/openapi.json`` buys as a guest, typed, with nothing added by hand.

openapi-python-client turns the stack's document into a package (offline; its formatting hook runs this
venv's ruff), and the guest journey runs through that package only: search -> product -> availability
-> guest cart -> add a line -> checkout with an Idempotency-Key -> the order. Every answer must parse
into one of the generated models (an undocumented body comes back untyped, an undocumented status
raises), and the cart token travels as the generated functions' own ``x_cart_token`` parameter, so the
document has to declare it. Operations are found by method and path, not by generated names.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints

import httpx
import pytest
import requests

from tests.contract.api.known_values import SHIPPING, KnownValues
from tests.contract.api.local_stack import RunningStack

pytestmark = [pytest.mark.xdist_group("contract-api"), pytest.mark.slow, pytest.mark.timeout(300)]

PACKAGE = "generated_shop_client"
_OPERATION = re.compile(r'"method":\s*"(\w+)",\s*"url":\s*"([^"]+)"')


class GeneratedClient:
    """The generated package, indexed by ``METHOD /path``."""

    def __init__(self, root: Path) -> None:
        self.package = importlib.import_module(PACKAGE)
        self.operations: dict[str, ModuleType] = {}
        for source in sorted((root / PACKAGE / "api").rglob("*.py")):
            match = _OPERATION.search(source.read_text())
            if match:
                relative = source.relative_to(root).with_suffix("")
                module = importlib.import_module(".".join(relative.parts))
                self.operations[f"{match.group(1).upper()} {match.group(2)}"] = module

    def operation(self, label: str) -> ModuleType:
        assert label in self.operations, f"the generated client has no {label}"
        return self.operations[label]

    def body(self, label: str, data: dict[str, Any]) -> Any:
        """The operation's generated request model, filled from ``data``."""
        body_type = get_type_hints(self.operation(label).sync_detailed)["body"]
        return body_type.from_dict(data)

    def is_model(self, value: Any) -> bool:
        return type(value).__module__.startswith(f"{PACKAGE}.models.")


@pytest.fixture(scope="module")
def generated(
    contract_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GeneratedClient]:
    root = tmp_path_factory.mktemp("generated-client")
    document = root / "openapi.json"
    document.write_text(requests.get(f"{contract_stack.api}/openapi.json", timeout=30).text)
    config = root / "config.yml"
    # The generator's default hooks call whatever ruff is on PATH; use this venv's (not `python -m
    # ruff`: run inside the package, its types.py would shadow the standard library's).
    ruff = Path(sys.executable).parent / "ruff"
    config.write_text(
        f"package_name_override: {PACKAGE}\n"
        f'post_hooks:\n  - "{ruff} check . --fix-only --quiet"\n  - "{ruff} format . --quiet"\n'
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(root))
    try:
        yield GeneratedClient(root)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _call(generated: GeneratedClient, label: str, client: Any, status: int = 200, **kwargs: Any) -> Any:
    """Calls ``label`` through the generated function and returns its typed answer."""
    function = generated.operation(label).sync_detailed
    missing = [name for name in kwargs if name not in inspect.signature(function).parameters]
    assert not missing, f"the document does not declare {missing} on {label}"
    response = function(client=client, **kwargs)
    assert response.status_code == status, f"{label}: {response.status_code} {response.content[:500]!r}"
    assert generated.is_model(response.parsed), (
        f"{label} answered {status} but the client parsed {type(response.parsed).__name__}: "
        "the document has no response model for it"
    )
    return response.parsed


def _first_in_stock(generated: GeneratedClient, guest: Any, product_ids: list[str]) -> tuple[Any, str]:
    """The guest opens products from the results until one has a variant in stock."""
    for product_id in product_ids:
        product = _call(generated, "GET /catalog/products/{product_id}", guest, product_id=product_id)
        for variant in product.variants:
            availability = _call(generated, "GET /inventory/availability/{sku}", guest, sku=variant.sku)
            if availability.total_available > 0:
                return product, variant.sku
    raise AssertionError(f"none of the products found has stock: {product_ids}")


def test_a_guest_buys_through_a_client_generated_from_the_document(
    contract_stack: RunningStack, generated: GeneratedClient, known: KnownValues
) -> None:
    package = generated.package
    # The guest is another shopper than the fuzzer, whose checkouts from 127.0.0.1 count against that address's
    # attempt limit (decision 29): the guest connects from another loopback address.
    guest = package.Client(
        base_url=contract_stack.api,
        raise_on_unexpected_status=True,
        timeout=30,
        httpx_args={"transport": httpx.HTTPTransport(local_address="127.0.0.2")},
    )
    # GIVEN a catalog with stock in a warehouse (the fixture stocked SKUs through the ops API)
    assert known.get("location_id"), f"the stack has no stocked warehouse: {known.notes}"

    # WHEN a guest searches, opens products until one is available, opens a cart, adds it and checks out
    found = _call(generated, "GET /search", guest, q="", limit=50)
    assert found.items, "the search found nothing in the seeded catalog"
    product, sku = _first_in_stock(generated, guest, [item.id for item in found.items])
    cart = _call(
        generated,
        "POST /cart",
        guest,
        status=201,
        body=generated.body("POST /cart", {"currency": "EUR", "destination_country": "DE"}),
    )
    token = cart.token
    with_line = _call(
        generated,
        "POST /cart/lines",
        guest,
        x_cart_token=token,
        body=generated.body("POST /cart/lines", {"sku": sku, "quantity": 1}),
    )
    assert [line.sku for line in with_line.lines] == [sku]
    address = {"name": "Fuzz Shopper", "line1": "Unter den Linden 1", "city": "Berlin", "country": "DE"}
    placed = _call(
        generated,
        "POST /checkout",
        guest,
        status=201,
        x_cart_token=token,
        idempotency_key=str(uuid.uuid4()),
        body=generated.body("POST /checkout", {"email": SHIPPING["email"], "shipping_address": address}),
    )

    # THEN the order exists, and the guest reads it back with the same cart token
    order = _call(
        generated, "GET /checkout/orders/{order_id}", guest, order_id=placed.order.id, x_cart_token=token
    )
    assert order.id == placed.order.id
    assert [line.sku for line in order.lines] == [sku]
    assert product.id in [item.id for item in found.items]
