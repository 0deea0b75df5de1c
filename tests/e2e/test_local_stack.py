"""The whole local stack over HTTP, as a developer runs it: ``python -m infra.local run``.

Starts the runner in a subprocess on free ports, walks the demo journey (browse, a merchandiser
creates and publishes a product, its ``ProductPublished`` event lands on the event-log queue in moto;
a guest buys: cart, checkout, payment in the Stripe stand-in, its signed webhook, ``OrderPlaced`` and
the fulfilment workflow), then stops it with SIGINT and checks a clean exit, free ports and a second start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from infra.local import tokens
from infra.local.moto_server import free_port, port_is_free

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow, pytest.mark.timeout(180)]

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60
SEED_PRODUCTS = 40


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    api: str
    api_port: int
    moto_port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _start(state: Path, api_port: int, moto_port: int, *extra: str) -> Stack:
    log = state / f"run-{api_port}-{time.monotonic_ns()}.log"
    env = {**os.environ, "SHOP_LOCAL_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local",
                "run",
                "--api-port",
                str(api_port),
                "--moto-port",
                str(moto_port),
                *extra,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Stack(process, f"http://127.0.0.1:{api_port}", api_port, moto_port, log)


def _wait_until(condition: Callable[[], Any], timeout: float, what: str, stack: Stack | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack is not None and stack.process.poll() is not None:
            pytest.fail(
                f"the stack exited ({stack.process.returncode}) while waiting for {what}:\n{stack.output()}"
            )
        try:
            result = condition()
        except requests.RequestException:
            result = None
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{stack.output()[-4000:]}" if stack else ""))


def _ready(stack: Stack) -> dict[str, Any]:
    def health() -> dict[str, Any] | None:
        body = requests.get(f"{stack.api}/health", timeout=2).json()
        return body if body.get("seed") != "pending" else None

    return _wait_until(health, STARTUP_S, "/health", stack)  # type: ignore[no-any-return]


def _stop(stack: Stack, sig: signal.Signals = signal.SIGINT) -> int:
    if stack.process.poll() is None:
        stack.process.send_signal(sig)
    try:
        return stack.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait()
        pytest.fail(f"the stack did not stop within 20 s of {sig.name}:\n{stack.output()[-4000:]}")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("local-state")
    previous = os.environ.get("SHOP_LOCAL_DIR")
    os.environ["SHOP_LOCAL_DIR"] = str(path)  # tokens signed here are the ones the stack trusts
    tokens._load_private_key.cache_clear()
    yield path
    tokens._load_private_key.cache_clear()
    if previous is None:
        os.environ.pop("SHOP_LOCAL_DIR", None)
    else:
        os.environ["SHOP_LOCAL_DIR"] = previous


@pytest.fixture(scope="module")
def stack(state: Path) -> Iterator[Stack]:
    # --keep-event-log: the test reads the event-log queue itself instead of the console printer.
    # A smaller demo catalog keeps the run short; the seed path is the one `make run` takes.
    running = _start(
        state, free_port(), free_port(), "--keep-event-log", "--seed-products", str(SEED_PRODUCTS)
    )
    health = _ready(running)
    if any(status != "ready" for status in health["functions"].values()):
        _stop(running)
        pytest.fail(f"functions did not load: {health['functions']}\n{running.output()[-4000:]}")
    yield running
    if running.process.poll() is None:
        _stop(running)


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue_token(role)}"}


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    )
    return response.json() if response.content else None


def _create_published_product(api: str, suffix: str) -> dict[str, Any]:
    merch = _auth("merchandisers")
    _ok(
        requests.post(
            f"{api}/admin/catalog/product-types",
            json={"id": f"e2e-scarf-{suffix}", "name": {"en": "Scarves", "uk": "Шарфи"}, "attributes": []},
            headers=merch,
            timeout=10,
        ),
        201,
    )
    category = f"e2e-scarves-{suffix}"
    _ok(
        requests.post(
            f"{api}/admin/catalog/categories",
            json={
                "id": category,
                "name": {"en": "Scarves", "uk": "Шарфи"},
                "seo": {"slug": {"en": f"scarves-{suffix}", "uk": f"sharfy-{suffix}"}},
            },
            headers=merch,
            timeout=10,
        ),
        201,
    )
    created = requests.post(
        f"{api}/admin/catalog/products",
        json={
            "code": f"E2E-{suffix}",
            "product_type_id": f"e2e-scarf-{suffix}",
            "category_id": category,
            "name": {"en": "Red wool scarf", "uk": "Червоний вовняний шарф"},
            "variants": [{"sku": f"E2E-{suffix}-RED", "prices": [{"amount": 2599, "currency": "EUR"}]}],
            "seo": {"slug": {"en": f"red-wool-scarf-{suffix}", "uk": f"chervonyi-sharf-{suffix}"}},
        },
        headers=merch,
        timeout=10,
    )
    product = _ok(created, 201)
    published = requests.post(
        f"{api}/admin/catalog/products/{product['id']}/publish",
        headers={**merch, "If-Match": created.headers["ETag"]},
        timeout=10,
    )
    _ok(published)
    return {"id": product["id"], "category": category, "slug_uk": f"chervonyi-sharf-{suffix}"}


def _event_log_messages(stack: Stack) -> list[dict[str, Any]]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.get_queue_url(QueueName="shop-local-event-log")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    return [json.loads(m["Body"]) for m in messages]


def test_the_demo_journey_over_http(stack: Stack) -> None:
    api = stack.api
    health = requests.get(f"{api}/health", timeout=5).json()

    # GIVEN the seeded demo catalog (when the seed module exists)
    categories = _ok(requests.get(f"{api}/catalog/categories", timeout=10))
    assert health["seed"] in ("done", "unavailable"), f"seeding the demo catalog: {health['seed']}"
    if health["seed"] == "done":
        assert categories["items"], "the demo catalog has no categories"

    # WHEN a merchandiser creates and publishes a product
    suffix = uuid.uuid4().hex[:8]
    product = _create_published_product(api, suffix)

    # THEN shoppers find it: in the category tree, on the category page, by id and by its uk slug
    assert product["category"] in json.dumps(_ok(requests.get(f"{api}/catalog/categories", timeout=10)))
    page = _wait_until(
        lambda: [
            item
            for item in _ok(
                requests.get(f"{api}/catalog/categories/{product['category']}/products", timeout=10)
            )["items"]
            if item["id"] == product["id"]
        ],
        10,
        "the product on its category page",
        stack,
    )
    assert page
    by_id = _ok(requests.get(f"{api}/catalog/products/{product['id']}", timeout=10))
    assert by_id["id"] == product["id"]
    by_slug = requests.get(
        f"{api}/catalog/products/by-slug/{product['slug_uk']}", headers={"Accept-Language": "uk"}, timeout=10
    )
    assert _ok(by_slug)["id"] == product["id"]
    assert by_slug.headers["Content-Language"] == "uk"

    # AND its ProductPublished event went stream -> function -> bus -> rule -> event-log queue in moto
    def published_event() -> bool:
        return any(
            e["source"] == "shop.catalog"
            and e["detail-type"] == "ProductPublished"
            and product["id"] in json.dumps(e["detail"]["data"])
            for e in _event_log_messages(stack)
        )

    _wait_until(published_event, 20, "ProductPublished on the event-log queue", stack)


def test_openapi_and_docs_are_served(stack: Stack) -> None:
    # GIVEN / WHEN
    document = _ok(requests.get(f"{stack.api}/openapi.json", timeout=10))
    docs = requests.get(f"{stack.api}/docs", timeout=10)

    # THEN
    assert document.get("paths"), "no API function served an OpenAPI document: see the runner's log"
    assert "/catalog/categories" in document["paths"]
    assert any(path.startswith("/admin/catalog/") for path in document["paths"])
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert requests.get(f"{stack.api}/docs/swagger-ui-bundle.min.js", timeout=10).status_code == 200


def test_admin_routes_need_a_merchandiser(stack: Stack) -> None:
    # GIVEN / WHEN
    anonymous = requests.get(f"{stack.api}/admin/catalog/products", timeout=10)
    customer = requests.get(f"{stack.api}/admin/catalog/products", headers=_auth("customers"), timeout=10)
    merchandiser = requests.get(
        f"{stack.api}/admin/catalog/products", headers=_auth("merchandisers"), timeout=10
    )

    # THEN
    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert customer.headers["Content-Type"] == "application/problem+json"
    assert merchandiser.status_code == 200
    assert requests.get(f"{stack.api}/no/such/thing", timeout=10).status_code == 404


def _search_ids(api: str, **params: str) -> list[str]:
    body = _ok(requests.get(f"{api}/search", params=params, timeout=10))
    return [item["id"] for item in body["items"]]


def test_search_finds_published_products_within_a_second_with_typos_and_transliteration(stack: Stack) -> None:
    from search.domain.text import to_latin, tokenize

    # GIVEN the seeded catalog, indexed by the search indexer through the stream poller
    seeded = _wait_until(
        lambda: _ok(requests.get(f"{stack.api}/search", params={"locale": "en", "limit": "1"}, timeout=10))[
            "items"
        ],
        30,
        "the seeded catalog in the search index",
        stack,
    )[0]
    uk_name = _ok(requests.get(f"{stack.api}/search", params={"locale": "uk", "limit": "1"}, timeout=10))[
        "items"
    ][0]
    word = max(tokenize(seeded["name"]), key=len)
    typo = word[:2] + word[3] + word[2] + word[4:] if len(word) > 4 else word
    # WHEN it is searched with a typo and with its uk name in Latin letters
    # THEN both find it
    assert seeded["id"] in _search_ids(stack.api, q=typo, locale="en", limit="50")
    assert uk_name["id"] in _search_ids(
        stack.api, q=to_latin(" ".join(tokenize(uk_name["name"]))), limit="50"
    )
    # AND a product published through the admin API is findable within about a second
    product = _create_published_product(stack.api, uuid.uuid4().hex[:8])
    # Usually about a second (stream poll + indexer); the bound is generous because this asserts that it
    # arrives, not how fast a loaded CI machine is (the figure belongs in a benchmark).
    _wait_until(
        lambda: product["id"] in _search_ids(stack.api, q="red wool scraf"),
        15,
        "the new product in search",
        stack,
    )
    assert product["id"] in _search_ids(stack.api, q="chervonyi sharf")


def test_a_guest_buys_a_seeded_product_priced_with_tax_in_uah_and_eur(stack: Stack) -> None:
    from infra.local.seed_catalog import demo_product

    api, ops = stack.api, _auth("ops")
    # GIVEN a seeded SKU with stock in a warehouse
    sku = demo_product(3)["variants"][0]["sku"]
    location = {
        "kind": "warehouse",
        "name": {"en": "E2E DC", "uk": "Склад E2E"},
        "address": {"line1": "Promyslova 1", "city": "Kyiv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": {"mon": [{"opens": "09:00", "closes": "18:00"}]},
        "carrier_cutoff": "15:00",
    }
    requests.put(f"{api}/admin/inventory/locations/e2e-dc", json=location, headers=ops, timeout=10)
    requests.put(f"{api}/admin/inventory/stock/{sku}/e2e-dc", json={"on_hand": 5}, headers=ops, timeout=10)
    # WHEN a guest opens a UAH cart to Ukraine and adds it (once the catalog's events reached the cart)
    token = _ok(
        requests.post(f"{api}/cart", json={"currency": "UAH", "destination_country": "UA"}, timeout=10), 201
    )["token"]
    cart = {"X-Cart-Token": token}

    def added() -> bool:
        reply = requests.post(f"{api}/cart/lines", json={"sku": sku, "quantity": 2}, headers=cart, timeout=10)
        return reply.status_code == 200

    _wait_until(added, 30, f"{sku} in the cart", stack)
    uah = _ok(requests.get(f"{api}/cart", headers=cart, timeout=10))
    _ok(
        requests.patch(
            f"{api}/cart", json={"currency": "EUR", "destination_country": "DE"}, headers=cart, timeout=10
        )
    )
    eur = _ok(requests.get(f"{api}/cart", headers=cart, timeout=10))
    # THEN it is priced by the server in both currencies, VAT included (20 % UA, 19 % DE)
    for priced, currency, rate in ((uah, "UAH", 2000), (eur, "EUR", 1900)):
        (line,) = priced["lines"]
        assert (line["sku"], line["quantity"], line["tax_rate_bp"]) == (sku, 2, rate)
        assert line["unit_price"]["currency"] == currency
        assert priced["totals"]["tax_total"]["amount"] > 0
        assert priced["tax_display"] == "inclusive"


def test_a_guest_checks_out_pays_and_the_order_is_placed_and_fulfilment_starts(stack: Stack) -> None:
    from infra.local.seed_network import examples

    api, ops = stack.api, _auth("ops")
    stripe_url = requests.get(f"{api}/health", timeout=5).json()["stripe"].split()[-1]
    # GIVEN a seeded SKU sold out in the demo network, 3 units of it in a warehouse ops just opened, and a
    # guest cart holding 2 of them (the cart reads locations with each request)
    sku = examples(SEED_PRODUCTS)["sold_out"][0]
    location = {
        "kind": "warehouse",
        "name": {"en": "E2E DC", "uk": "Склад E2E"},
        "address": {"line1": "Promyslova 1", "city": "Kyiv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": {"mon": [{"opens": "09:00", "closes": "18:00"}]},
        "carrier_cutoff": "15:00",
    }
    requests.put(f"{api}/admin/inventory/locations/e2e-dc", json=location, headers=ops, timeout=10)
    _ok(
        requests.put(
            f"{api}/admin/inventory/stock/{sku}/e2e-dc", json={"on_hand": 3}, headers=ops, timeout=10
        ),
        201,
    )
    token = _ok(
        requests.post(f"{api}/cart", json={"currency": "UAH", "destination_country": "UA"}, timeout=10), 201
    )["token"]
    cart = {"X-Cart-Token": token}
    _wait_until(
        lambda: (
            requests.post(
                f"{api}/cart/lines", json={"sku": sku, "quantity": 2}, headers=cart, timeout=10
            ).status_code
            == 200
        ),
        30,
        f"{sku} in the cart",
        stack,
    )
    # WHEN the guest checks out (twice: a retry of the same request), then pays in the browser
    body = {
        "email": "e2e@example.com",
        "shipping_address": {
            "name": "E2E Shopper",
            "line1": "Khreshchatyk 1",
            "city": "Kyiv",
            "country": "UA",
        },
    }
    key = {"Idempotency-Key": str(uuid.uuid4()), **cart}
    placed = _ok(requests.post(f"{api}/checkout", json=body, headers=key, timeout=20), 201)
    again = _ok(requests.post(f"{api}/checkout", json=body, headers=key, timeout=20), 201)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    paid = requests.post(
        f"{stripe_url}/_standin/payment_intents/{intent_id}/simulate",
        json={"payment_method": "pm_card_visa", "client_secret": placed["payment"]["client_secret"]},
        timeout=10,
    )
    # THEN the retry got the same order; Stripe's signed webhook places the order
    assert again == placed
    assert paid.json()["status"] == "requires_capture"

    def status() -> str | None:
        order = requests.get(f"{api}/checkout/orders/{order_id}", headers=cart, timeout=10).json()
        return order["status"] if order["status"] == "PAYMENT_AUTHORIZED" else None

    _wait_until(status, 20, "the order to be placed after payment", stack)
    # AND OrderPlaced reached the bus, the fulfilment workflow ran for it, and the 2 units stay reserved
    _wait_until(
        lambda: any(
            e["detail-type"] == "OrderPlaced" and e["detail"]["data"]["order_id"] == order_id
            for e in _event_log_messages(stack)
        ),
        30,
        "OrderPlaced on the event-log queue",
        stack,
    )
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    machine = next(
        m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "shop-local-order-fulfilment"
    )
    executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    assert [e["name"] for e in executions if e["name"] == order_id] == [order_id]
    level = _ok(requests.get(f"{api}/inventory/availability/{sku}", timeout=10))
    assert level["total_available"] == 1, level


# Last: it stops the module's stack.
def test_sigint_stops_cleanly_and_the_stack_starts_again_on_the_same_ports(stack: Stack, state: Path) -> None:
    # GIVEN the running stack
    # WHEN a developer presses Ctrl-C
    code = _stop(stack, signal.SIGINT)

    # THEN it exits 0 and releases both ports
    assert code == 0, stack.output()[-4000:]
    assert port_is_free(stack.api_port)
    assert port_is_free(stack.moto_port)
    assert "local stack stopped" in stack.output()

    # AND `make run` right after works on the same ports (SIGTERM stops it just as cleanly)
    again = _start(state, stack.api_port, stack.moto_port, "--no-seed")
    try:
        assert _ready(again)["status"] == "ok"
    finally:
        assert _stop(again, signal.SIGTERM) == 0, again.output()[-4000:]
