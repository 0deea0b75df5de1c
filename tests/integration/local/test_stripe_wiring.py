"""The local stack's Stripe wiring, against in-process moto: which Stripe the functions get, and how.

With the stand-in, its API key and webhook signing secret must be in the stage's two Secrets Manager
secrets and ``STRIPE_API_BASE`` must point at it, so checkout and the webhook function work unchanged.
With a test key (``STRIPE_API_KEY=sk_test_...``) there is no stand-in unless ``STRIPE_STANDIN=1``; a live
key is refused in every mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
import stripe

from infra.local.__main__ import _parser
from infra.local.moto_server import free_port, port_is_free
from infra.local.provision import provision
from infra.local.runner import LocalStack, Options
from infra.local.stripe_wiring import LocalStripe, StripeSetupError, start_stripe
from infra.resources import physical_name
from tests.integration.local.test_stripe_standin import WebhookReceiver

pytestmark = pytest.mark.usefixtures("aws")

STAGE = "local"
STRIPE_VARIABLES = (
    "STRIPE_API_BASE",
    "STRIPE_API_KEY",
    "STRIPE_STANDIN",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_WEBHOOK_URL",
)


@pytest.fixture(autouse=True)
def stripe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Stripe variables from the developer's shell; whatever the wiring exports is undone after."""
    for name in STRIPE_VARIABLES:
        monkeypatch.setenv(name, "")  # recorded, so the delenv below is undone at teardown
        monkeypatch.delenv(name)


@pytest.fixture
def provisioned() -> dict[str, Any]:
    return provision(STAGE)


@pytest.fixture
def wired(provisioned: dict[str, Any]) -> Iterator[LocalStripe]:
    wiring = start_stripe(STAGE, free_port(), port=0, environ={})
    yield wiring
    wiring.stop()


def stored(name: str) -> str:
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    return str(secrets.get_secret_value(SecretId=physical_name(STAGE, name))["SecretString"])


def test_the_standin_starts_with_its_key_and_signing_secret_in_the_stage_secrets(
    provisioned: dict[str, Any],
) -> None:
    # GIVEN a provisioned stage (placeholder secrets) and the webhook function's endpoint on the API port
    receiver = WebhookReceiver()
    receiver.start()
    api_port = urlsplit(receiver.url).port or 0
    placeholder = stored("stripe-webhook-signing")
    # WHEN the local stack wires Stripe
    wiring = start_stripe(STAGE, api_port, port=0, environ={})
    try:
        base = os.environ["STRIPE_API_BASE"]
        # AND checkout creates an intent as it would: key from Secrets Manager, base from the environment
        client = stripe.StripeClient(
            stored("stripe-api-key"), base_addresses={"api": base}, max_network_retries=0
        )
        intent = client.v1.payment_intents.create(
            params={"amount": 1500, "currency": "eur", "capture_method": "manual"}
        )
        assert wiring.standin is not None
        assert wiring.standin.wait_for_webhooks(5)
    finally:
        wiring.stop()
        receiver.stop()
    # THEN the stand-in is where STRIPE_API_BASE says, takes the stored key, and its webhooks reach
    # <API>/webhooks/stripe signed with the stored secret
    assert base == wiring.url
    assert wiring.describe() == f"standin {base}"
    assert wiring.webhook_url == f"http://127.0.0.1:{api_port}/webhooks/stripe"
    assert stored("stripe-api-key").startswith("sk_test_")
    signing = stored("stripe-webhook-signing")
    assert signing.startswith("whsec_")
    assert signing != placeholder
    (delivery,) = receiver.received
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, signing)
    assert (event.type, event.data.object["id"]) == ("payment_intent.created", intent.id)


def test_the_standin_listens_on_the_stripe_port_asked_for(provisioned: dict[str, Any]) -> None:
    # GIVEN a free port passed as --stripe-port
    port = free_port()
    # WHEN Stripe is wired
    wiring = start_stripe(STAGE, free_port(), port=port, environ={})
    try:
        config = requests.get(f"http://127.0.0.1:{port}/_standin/config", timeout=5).json()
    finally:
        wiring.stop()
    # THEN the stand-in is there, and the port is released when it stops
    assert wiring.url == f"http://127.0.0.1:{port}"
    assert config["webhook_url"] == wiring.webhook_url
    assert port_is_free(port)


def test_a_developers_test_key_is_the_one_stored_and_the_only_one_accepted(
    provisioned: dict[str, Any],
) -> None:
    # GIVEN STRIPE_API_KEY=sk_test_... with STRIPE_STANDIN=1
    # WHEN Stripe is wired
    environ = {"STRIPE_API_KEY": "sk_test_mine", "STRIPE_STANDIN": "1"}
    wiring = start_stripe(STAGE, free_port(), port=0, environ=environ)
    try:
        assert wiring.url is not None
        other = stripe.StripeClient(
            "sk_test_other", base_addresses={"api": wiring.url}, max_network_retries=0
        )
        with pytest.raises(stripe.AuthenticationError):
            other.v1.events.list()
    finally:
        wiring.stop()
    # THEN the stand-in still runs, with that key in the secret
    assert stored("stripe-api-key") == "sk_test_mine"


def test_a_test_key_selects_stripe_test_mode_stores_it_and_starts_no_standin(
    provisioned: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a test key, the secret `stripe listen` printed, and a stale STRIPE_API_BASE
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:1")
    environ = {"STRIPE_API_KEY": "sk_test_real", "STRIPE_WEBHOOK_SECRET": "whsec_listen"}
    # WHEN Stripe is wired
    wiring = start_stripe(STAGE, 3999, port=0, environ=environ)
    # THEN functions reach api.stripe.com with the developer's key and secret
    assert wiring.standin is None
    assert wiring.describe() == "test mode"
    assert "STRIPE_API_BASE" not in os.environ
    assert stored("stripe-api-key") == "sk_test_real"
    assert stored("stripe-webhook-signing") == "whsec_listen"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"STRIPE_API_KEY": "sk_test_real"}, "stripe listen --forward-to"),
        (
            {"STRIPE_API_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_x"},
            "live key",
        ),
        ({"STRIPE_API_KEY": "sk_live_real"}, "live key"),
        ({"STRIPE_API_KEY": "rk_live_real"}, "live key"),
    ],
)
def test_unusable_stripe_settings_stop_the_start_with_a_clear_message(
    provisioned: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    # GIVEN a live key, or test mode without its webhook secret
    placeholders = (stored("stripe-api-key"), stored("stripe-webhook-signing"))
    # WHEN Stripe is wired
    with pytest.raises(StripeSetupError, match=message):
        start_stripe(STAGE, 3999, port=0, environ=environ)
    # THEN nothing was stored or exported
    assert (stored("stripe-api-key"), stored("stripe-webhook-signing")) == placeholders
    assert "STRIPE_API_BASE" not in os.environ


def test_the_runner_reports_stops_and_announces_the_standin(wired: LocalStripe) -> None:
    # GIVEN a local stack whose Stripe part is wired
    stack = LocalStack(Options())
    stack.stripe = wired
    stack.api = SimpleNamespace(url="http://127.0.0.1:3000")  # type: ignore[assignment]
    moto = SimpleNamespace(url="http://127.0.0.1:5000", tables_url="http://127.0.0.1:5001")
    stack.moto = moto  # type: ignore[assignment]
    # WHEN its health and banner are read, then it stops
    health = stack.health()
    banner = stack.banner()
    stack.api = stack.moto = None
    stack.stop()
    # THEN /health names the stand-in, the banner shows how to pay as the browser would, and it is down
    assert wired.url is not None
    assert health["stripe"] == f"standin {wired.url}"
    assert f"Stripe         {wired.url}" in banner
    assert (
        f"curl -s -X POST {wired.url}/_standin/payment_intents/<pi id>/simulate "
        """-d '{"payment_method": "pm_card_visa"}'"""
    ) in banner
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{wired.url}/_standin/health", timeout=2)


def test_run_takes_a_stripe_port() -> None:
    # GIVEN / WHEN `python -m infra.local run --stripe-port 12999`
    args = _parser().parse_args(["run", "--stripe-port", "12999"])
    # THEN it reaches the runner's options (default: none, so 12111 or a free port)
    assert args.stripe_port == 12999
    assert _parser().parse_args(["run"]).stripe_port is None
    assert Options().stripe_port is None
