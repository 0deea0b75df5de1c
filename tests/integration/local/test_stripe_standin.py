"""The local Stripe stand-in, driven through the real ``stripe`` SDK (and plain HTTP for ``/_standin``).

A webhook receiver thread plays our ``POST /webhooks/stripe``: it records what arrives and answers with
the statuses a test gives it, so signing, retries and the hostile cases (tampered, too old, replayed)
are checked with the SDK's own ``stripe.Webhook.construct_event``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import stripe

from infra.local.stripe_standin import (
    IdempotencyStore,
    Response,
    StandinConfig,
    StripeStandin,
    stripe_environment,
    use_real_stripe,
)
from infra.local.stripe_standin_webhooks import RetryPolicy
from infra.local.stripe_standin_wire import parse_form

API_KEY = "sk_test_standin_tests"
FAST_RETRIES = RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.2, timeout_s=2)


@dataclass
class Delivery:
    body: bytes
    signature: str

    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class WebhookReceiver:
    """Our webhook endpoint, played by a thread: records deliveries, answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self.statuses: list[int] = []  # answered in order, then 200
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.received.append(Delivery(body, self.headers.get("Stripe-Signature", "")))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/stripe"

    def of_type(self, event_type: str) -> list[Delivery]:
        return [d for d in self.received if d.event()["type"] == event_type]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def standin(receiver: WebhookReceiver) -> Iterator[StripeStandin]:
    server = StripeStandin(StandinConfig(webhook_url=receiver.url, retry=FAST_RETRIES))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(standin: StripeStandin) -> stripe.StripeClient:
    # No SDK retries: every answer the tests see is the stand-in's first.
    return stripe.StripeClient(API_KEY, base_addresses={"api": standin.url}, max_network_retries=0)


def authorised_intent(client: stripe.StripeClient, amount: int = 1500, **extra: Any) -> stripe.PaymentIntent:
    params: Any = {"amount": amount, "currency": "eur", "capture_method": "manual", **extra}
    params["allowed_payment_method_types"] = ["card"]
    intent = client.v1.payment_intents.create(params=params)
    return client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})


def simulate(standin: StripeStandin, intent_id: str, **body: str) -> requests.Response:
    return requests.post(f"{standin.url}/_standin/payment_intents/{intent_id}/simulate", json=body, timeout=5)


def resend(standin: StripeStandin, event_id: str, **body: Any) -> dict[str, Any]:
    response = requests.post(f"{standin.url}/_standin/events/{event_id}/resend", json=body, timeout=5)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


def headers_of(obj: stripe.StripeObject) -> dict[str, str]:
    assert obj.last_response is not None
    return {k.lower(): v for k, v in obj.last_response.headers.items()}


# ---- payment intents -----------------------------------------------------------------------------------


def test_manual_capture_then_partial_refunds_up_to_the_captured_amount(client: stripe.StripeClient) -> None:
    # GIVEN a manual-capture PaymentIntent for an order
    created = client.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "EUR",
            "capture_method": "manual",
            "metadata": {"order_id": "ord_1"},
        },
        options={"idempotency_key": "checkout:ord_1:create"},
    )
    # WHEN the card is confirmed, 10.00 of 15.00 captured, and refunds asked for
    authorised = client.v1.payment_intents.confirm(
        created.id, params={"payment_method": "pm_card_visa", "return_url": "https://shop.example/done"}
    )
    captured = client.v1.payment_intents.capture(created.id, params={"amount_to_capture": 1000})
    first = client.v1.refunds.create(
        params={"payment_intent": created.id, "amount": 300, "reason": "requested_by_customer"}
    )
    second = client.v1.refunds.create(params={"payment_intent": created.id, "amount": 400})
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": created.id, "amount": 301})
    rest = client.v1.refunds.create(params={"payment_intent": created.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": created.id, "amount": 50})
    charge = client.v1.charges.retrieve(str(captured.latest_charge))
    # THEN every step has Stripe's shape and status
    assert created.object == "payment_intent"
    assert created.id.startswith("pi_")
    assert str(created.client_secret).startswith(f"{created.id}_secret_")
    assert (created.status, created.currency, created.livemode) == ("requires_payment_method", "eur", False)
    assert created.metadata.to_dict() == {"order_id": "ord_1"}
    assert (authorised.status, authorised.amount_capturable, authorised.amount_received) == (
        "requires_capture",
        1500,
        0,
    )
    assert str(authorised.latest_charge).startswith("ch_")
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 1000, 0)
    assert [first.amount, second.amount, rest.amount] == [300, 400, 300]
    assert first.id.startswith("re_")
    assert first.status == "succeeded"
    assert first.reason == "requested_by_customer"
    assert over.value.code == "amount_too_large"
    assert over.value.http_status == 400
    assert again.value.code == "charge_already_refunded"
    assert (charge.amount_captured, charge.amount_refunded, charge.refunded) == (1000, 1500, True)
    listed = client.v1.refunds.list(params={"payment_intent": created.id})
    assert [r.id for r in listed.data] == [rest.id, second.id, first.id]


def test_automatic_capture_succeeds_on_confirm(client: stripe.StripeClient) -> None:
    # GIVEN an automatic-capture PaymentIntent created and confirmed in one call
    # WHEN it is created
    intent = client.v1.payment_intents.create(
        params={
            "amount": 999,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )
    # THEN the money is received at once
    assert (intent.status, intent.capture_method, intent.amount_received) == (
        "succeeded",
        "automatic_async",
        999,
    )


def test_declined_card_leaves_the_intent_waiting_for_another_card(client: stripe.StripeClient) -> None:
    # GIVEN a manual-capture PaymentIntent
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "capture_method": "manual",
            "allowed_payment_method_types": ["card"],
        }
    )
    # WHEN the card is declined, then another card is used
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    after_decline = client.v1.payment_intents.retrieve(intent.id)
    retried = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    # THEN Stripe's 402 card error, the failure on the intent, and a second attempt that works
    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    error: Any = declined.value.json_body
    assert error["error"]["decline_code"] == "generic_decline"
    assert error["error"]["payment_intent"]["id"] == intent.id
    assert after_decline.status == "requires_payment_method"
    assert after_decline.last_payment_error is not None
    assert after_decline.last_payment_error.code == "card_declined"
    assert retried.status == "requires_capture"
    assert retried.last_payment_error is None


def test_the_shopper_completes_three_d_secure_in_the_browser(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN a PaymentIntent with Stripe's default automatic payment methods, confirmed by the browser
    intent = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "capture_method": "manual"}
    )
    # WHEN the browser confirms a card that needs 3-D Secure, then passes the challenge
    challenged = simulate(
        standin,
        intent.id,
        payment_method="pm_card_authenticationRequired",
        client_secret=str(intent.client_secret),
    )
    passed = simulate(standin, intent.id, three_d_secure="complete")
    wrong_secret = simulate(standin, intent.id, client_secret="pi_x_secret_y")
    # THEN the intent waits for the action, then is authorised
    assert challenged.status_code == 200
    assert challenged.json()["status"] == "requires_action"
    assert challenged.json()["next_action"]["type"] == "use_stripe_sdk"
    assert passed.json()["status"] == "requires_capture"
    assert client.v1.payment_intents.retrieve(intent.id).amount_capturable == 5000
    assert wrong_secret.status_code == 400


def test_server_side_confirm_with_redirecting_methods_needs_a_return_url(client: stripe.StripeClient) -> None:
    # GIVEN a PaymentIntent with automatic payment methods (which may redirect)
    intent = client.v1.payment_intents.create(params={"amount": 5000, "currency": "eur"})
    # WHEN it is confirmed server-side without a return_url
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    # THEN Stripe refuses, naming the parameter
    assert missing.value.param == "return_url"
    assert intent.automatic_payment_methods is not None
    assert intent.automatic_payment_methods.enabled is True


def test_cancel_releases_an_authorisation_and_closes_the_intent(client: stripe.StripeClient) -> None:
    # GIVEN an authorised PaymentIntent
    intent = authorised_intent(client)
    # WHEN it is canceled, then captured or canceled again
    canceled = client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    with pytest.raises(stripe.InvalidRequestError) as capture_after:
        client.v1.payment_intents.capture(intent.id)
    with pytest.raises(stripe.InvalidRequestError) as cancel_again:
        client.v1.payment_intents.cancel(intent.id)
    # THEN it is canceled with its reason; the closed intent refuses both
    assert (canceled.status, canceled.cancellation_reason, canceled.amount_capturable) == (
        "canceled",
        "abandoned",
        0,
    )
    assert canceled.canceled_at is not None
    assert capture_after.value.code == "payment_intent_unexpected_state"
    assert cancel_again.value.code == "payment_intent_unexpected_state"
    assert client.v1.charges.retrieve(str(canceled.latest_charge)).refunded is True


def test_invalid_transitions_and_input_are_refused_like_stripe(client: stripe.StripeClient) -> None:
    # GIVEN an unconfirmed and a captured PaymentIntent
    open_intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "capture_method": "manual"}
    )
    captured = authorised_intent(client)
    client.v1.payment_intents.capture(captured.id)
    # WHEN invalid requests are made
    with pytest.raises(stripe.InvalidRequestError) as capture_open:
        client.v1.payment_intents.capture(open_intent.id)
    with pytest.raises(stripe.InvalidRequestError) as refund_open:
        client.v1.refunds.create(params={"payment_intent": open_intent.id})
    with pytest.raises(stripe.InvalidRequestError) as amount_after_capture:
        client.v1.payment_intents.update(captured.id, params={"amount": 2000})
    tagged = client.v1.payment_intents.update(captured.id, params={"metadata": {"shipment": "shp_1"}})
    card_number: Any = {"amount": 1000, "currency": "eur", "card_number": "4242"}
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params=card_number)
    with pytest.raises(stripe.InvalidRequestError) as too_small:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_does_not_exist")
    # THEN each gets Stripe's error code, parameter and status
    assert capture_open.value.code == "payment_intent_unexpected_state"
    assert capture_open.value.http_status == 400
    assert refund_open.value.code == "payment_intent_unexpected_state"
    assert amount_after_capture.value.code == "payment_intent_unexpected_state"
    assert tagged.metadata.to_dict() == {"shipment": "shp_1"}
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "card_number")
    assert (too_small.value.code, too_small.value.param) == ("amount_too_small", "amount")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_update_before_confirmation_changes_the_amount(client: stripe.StripeClient) -> None:
    # GIVEN an unconfirmed PaymentIntent with metadata
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "metadata": {"order_id": "o1", "cart": "c1"}}
    )
    # WHEN the cart changes
    updated = client.v1.payment_intents.update(intent.id, params={"amount": 1200, "metadata": {"cart": ""}})
    # THEN the amount follows and an empty metadata value unsets its key
    assert updated.amount == 1200
    assert updated.metadata.to_dict() == {"order_id": "o1"}


# ---- idempotency, authentication, the SDK's global configuration ---------------------------------------


def test_same_idempotency_key_replays_and_different_params_conflict(client: stripe.StripeClient) -> None:
    # GIVEN a request made with an idempotency key derived from our ids
    params: Any = {
        "amount": 1500,
        "currency": "eur",
        "capture_method": "manual",
        "metadata": {"order_id": "ord_2"},
    }
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "ord_2:authorise"})
    # WHEN it is retried, then the key is reused for a different amount
    replay = client.v1.payment_intents.create(params=params, options={"idempotency_key": "ord_2:authorise"})
    other_amount: Any = {**params, "amount": 1600}
    with pytest.raises(stripe.IdempotencyError) as conflict:
        client.v1.payment_intents.create(params=other_amount, options={"idempotency_key": "ord_2:authorise"})
    # THEN the retry gets the first answer, marked as replayed, and the conflict is refused
    assert replay.id == first.id
    assert replay.client_secret == first.client_secret
    assert headers_of(replay)["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in headers_of(first)
    assert headers_of(first)["idempotency-key"] == "ord_2:authorise"
    assert conflict.value.http_status == 400
    created = client.v1.events.list(params={"type": "payment_intent.created"})
    assert [e.data.object["id"] for e in created.data] == [first.id]


def test_idempotency_keys_expire_after_24_hours(receiver: WebhookReceiver) -> None:
    # GIVEN a stand-in on a clock the test moves
    now = [1_800_000_000.0]
    server = StripeStandin(StandinConfig(), clock=lambda: now[0])
    server.start()
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": server.url}, max_network_retries=0)
        first = client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "eur"}, options={"idempotency_key": "k"}
        )
        # WHEN the key is used again after 24 hours
        now[0] += 24 * 3600 + 1
        later = client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "eur"}, options={"idempotency_key": "k"}
        )
    finally:
        server.stop()
    # THEN it is a new request
    assert later.id != first.id
    assert later.amount == 2000
    assert later.created - first.created == 24 * 3600 + 1


def test_a_declined_confirmation_is_replayed_too(client: stripe.StripeClient) -> None:
    # GIVEN a confirmation that was declined
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "allowed_payment_method_types": ["card"]}
    )
    options: Any = {"idempotency_key": f"{intent.id}:confirm"}
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}, options=options
        )
    # WHEN the same request is retried
    with pytest.raises(stripe.CardError) as replayed:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}, options=options
        )
    # THEN the saved 402 comes back and no second charge is attempted
    assert {k.lower(): v for k, v in (replayed.value.headers or {}).items()}["idempotent-replayed"] == "true"
    assert len(client.v1.events.list(params={"type": "charge.failed"}).data) == 1


def test_a_key_still_in_flight_is_refused_with_409_then_replayed() -> None:
    # GIVEN a request that started under an idempotency key and has not answered yet
    store = IdempotencyStore(clock=lambda: 1_800_000_000.0)
    scope = (API_KEY, "ord_4:authorise")
    params = {"amount": "1000", "currency": "eur"}
    assert store.begin(scope, "POST", "/v1/payment_intents", params) is None
    # WHEN a concurrent retry arrives, then another after the first answered
    concurrent = store.begin(scope, "POST", "/v1/payment_intents", params)
    store.finish(scope, Response(200, {"id": "pi_1"}), "req_1", keep=True)
    later = store.begin(scope, "POST", "/v1/payment_intents", params)
    elsewhere = store.begin(scope, "POST", "/v1/refunds", params)
    # THEN the retry waits (409, which the SDK retries), then gets the first answer; another endpoint is refused
    assert concurrent is not None
    assert (concurrent.status, concurrent.body["error"]["type"]) == (409, "idempotency_error")
    assert later is not None
    assert (later.status, later.body) == (200, {"id": "pi_1"})
    assert ("Original-Request", "req_1") in later.headers
    assert elsewhere is not None
    assert elsewhere.status == 400


def test_requests_without_a_valid_test_key_are_refused(standin: StripeStandin) -> None:
    # GIVEN clients with no key, a live key and a publishable key
    def client_with(key: str) -> stripe.StripeClient:
        return stripe.StripeClient(key, base_addresses={"api": standin.url}, max_network_retries=0)

    # WHEN they call the API
    # THEN the stand-in answers 401 as Stripe does
    with pytest.raises(stripe.AuthenticationError) as no_key:
        client_with("").v1.payment_intents.retrieve("pi_1")
    with pytest.raises(stripe.AuthenticationError) as live_key:
        client_with("sk_live_0123456789").v1.payment_intents.create(
            params={"amount": 1000, "currency": "eur"}
        )
    with pytest.raises(stripe.AuthenticationError):
        client_with("pk_test_0123456789").v1.events.list()
    assert no_key.value.http_status == 401
    assert "did not provide an API key" in str(no_key.value)
    assert "Invalid API Key provided" in str(live_key.value)
    assert "0123456789" not in str(live_key.value)


def test_the_global_sdk_configuration_reaches_the_standin(
    standin: StripeStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the SDK configured through its module globals
    monkeypatch.setattr(stripe, "api_key", API_KEY)
    monkeypatch.setattr(stripe, "api_base", standin.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    # WHEN the resource classes are used
    intent = stripe.PaymentIntent.create(
        amount=1200, currency="eur", capture_method="manual", expand=["latest_charge"]
    )
    fetched = stripe.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    confirmed = stripe.PaymentIntent.confirm(
        intent.id, payment_method="pm_card_visa", return_url="https://shop.example"
    )
    expanded = stripe.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    # THEN they reach the same stand-in, with expansion of the latest charge
    assert fetched.id == intent.id
    assert fetched.latest_charge is None
    assert confirmed.status == "requires_capture"
    assert isinstance(expanded.latest_charge, stripe.Charge)
    assert expanded.latest_charge.captured is False


def test_only_the_configured_key_is_accepted_when_one_is_set(receiver: WebhookReceiver) -> None:
    # GIVEN a stand-in configured from the environment with a key
    config = StandinConfig.from_env(
        {"STRIPE_API_KEY": "sk_test_mine", "STRIPE_WEBHOOK_SECRET": "whsec_fixed"}
    )
    server = StripeStandin(config)
    server.start()
    try:
        # WHEN another test key is used, then the configured one
        with pytest.raises(stripe.AuthenticationError):
            stripe.StripeClient("sk_test_other", base_addresses={"api": server.url}).v1.events.list()
        listed = stripe.StripeClient("sk_test_mine", base_addresses={"api": server.url}).v1.events.list()
        environment = stripe_environment(server)
    finally:
        server.stop()
    # THEN only the configured key works, and functions get the endpoint, key and secret
    assert listed.data == []
    assert environment == {
        "STRIPE_API_BASE": server.url,
        "STRIPE_API_KEY": "sk_test_mine",
        "STRIPE_WEBHOOK_SECRET": "whsec_fixed",
    }


@pytest.mark.parametrize(
    ("environ", "real"),
    [
        ({"STRIPE_API_KEY": "sk_test_abc"}, True),
        ({"STRIPE_API_KEY": "sk_test_abc", "STRIPE_STANDIN": "1"}, False),
        ({"STRIPE_API_KEY": "sk_live_abc"}, False),
        ({}, False),
    ],
)
def test_real_stripe_only_in_test_mode_and_when_asked(environ: dict[str, str], real: bool) -> None:
    # GIVEN an environment
    # WHEN the runner decides whether to start the stand-in
    # THEN a test key selects Stripe test mode unless the stand-in is asked for
    assert use_real_stripe(environ) is real


def test_form_bodies_in_bracket_notation_decode_to_nested_params() -> None:
    # GIVEN a body as the SDK and curl write them
    body = "amount=100&metadata[order_id]=o1&metadata[0]=x&expand[0]=a&expand[1]=b&types[]=c&types[]=d&apm[enabled]=true"
    # WHEN it is decoded
    params = parse_form(body)
    # THEN lists, hashes and metadata keys come out as Stripe reads them
    assert params == {
        "amount": "100",
        "metadata": {"order_id": "o1", "0": "x"},
        "expand": ["a", "b"],
        "types": ["c", "d"],
        "apm": {"enabled": "true"},
    }


# ---- webhooks ------------------------------------------------------------------------------------------


def test_webhooks_arrive_signed_in_order_and_verify_with_the_sdk(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN a full manual-capture lifecycle
    intent = authorised_intent(client, metadata={"order_id": "ord_3"})
    client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1000})
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 200})
    # WHEN the deliveries have been made
    assert standin.wait_for_webhooks(5)
    events = [
        stripe.Webhook.construct_event(d.body, d.signature, standin.webhook_secret) for d in receiver.received
    ]
    # THEN each verifies, in the order Stripe recorded them, with the objects as they were then
    assert [e.type for e in events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
        "refund.created",
        "charge.refunded",
    ]
    assert all(e.api_version == stripe.api_version and e.livemode is False for e in events)
    assert all(e.pending_webhooks == 1 for e in events)
    authorised = events[2].data.object
    assert (authorised["id"], authorised["status"], authorised["amount_capturable"]) == (
        intent.id,
        "requires_capture",
        1500,
    )
    assert authorised["metadata"]["order_id"] == "ord_3"
    assert events[4].data.object["amount_received"] == 1000
    listed = client.v1.events.list(params={"limit": 100})
    assert [e.id for e in listed.data] == [e.id for e in reversed(events)]
    assert [e.created for e in events] == sorted(e.created for e in events)


def test_events_list_pages_newest_first(standin: StripeStandin, client: stripe.StripeClient) -> None:
    # GIVEN a few recorded events
    authorised_intent(client)
    authorised_intent(client)
    everything = client.v1.events.list(params={"limit": 100}).data
    # WHEN they are read two at a time
    first_page = client.v1.events.list(params={"limit": 2})
    second_page = client.v1.events.list(params={"limit": 2, "starting_after": first_page.data[-1].id})
    walked = [e.id for e in client.v1.events.list(params={"limit": 2}).auto_paging_iter()]
    one = client.v1.events.retrieve(everything[0].id)
    # THEN pages follow each other without gaps
    assert len(everything) == 6
    assert first_page.has_more
    assert [e.id for e in first_page.data + second_page.data] == [e.id for e in everything[:4]]
    assert walked == [e.id for e in everything]
    assert one.type == everything[0].type


def test_a_tampered_webhook_fails_verification(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN an authorisation event
    intent = authorised_intent(client)
    assert standin.wait_for_webhooks(5)
    event = receiver.of_type("payment_intent.amount_capturable_updated")[0].event()
    # WHEN it is resent with its body changed after signing, and signed with another secret
    resend(standin, event["id"], tampered=True)
    resend(standin, event["id"], secret="whsec_attacker")
    tampered, forged = receiver.received[-2:]
    # THEN the SDK refuses both
    assert tampered.event()["data"]["object"]["amount"] != intent.amount
    for delivery in (tampered, forged):
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(delivery.body, delivery.signature, standin.webhook_secret)


def test_a_webhook_older_than_the_tolerance_fails_verification(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN an authorisation event
    authorised_intent(client)
    assert standin.wait_for_webhooks(5)
    event = receiver.of_type("payment_intent.amount_capturable_updated")[0].event()
    # WHEN it is resent signed 301 s and 200 s ago
    stale = resend(standin, event["id"], age_seconds=301)
    recent = resend(standin, event["id"], age_seconds=200)
    old_delivery, recent_delivery = receiver.received[-2:]
    # THEN outside 300 s it is refused, inside it verifies
    assert stale["signature_timestamp"] <= int(time.time()) - 301
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(
            old_delivery.body, old_delivery.signature, standin.webhook_secret, tolerance=300
        )
    verified = stripe.Webhook.construct_event(
        recent_delivery.body, recent_delivery.signature, standin.webhook_secret
    )
    assert verified.id == event["id"]
    assert recent["ok"] is True


def test_the_same_webhook_three_times_carries_the_same_event_id(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN an authorisation event, delivered once
    authorised_intent(client)
    assert standin.wait_for_webhooks(5)
    original = receiver.of_type("payment_intent.amount_capturable_updated")[0]
    # WHEN the very same request is replayed three times
    for _ in range(3):
        resend(standin, original.event()["id"], replay_last=True)
    replays = receiver.received[-3:]
    # THEN all three are byte-identical to the original and verify: deduplication is the receiver's job
    assert all(r.body == original.body and r.signature == original.signature for r in replays)
    ids = {stripe.Webhook.construct_event(r.body, r.signature, standin.webhook_secret).id for r in replays}
    assert ids == {original.event()["id"]}


def test_failed_deliveries_are_retried_with_fresh_signatures_until_2xx(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN a receiver that fails twice with 500
    receiver.statuses = [500, 500]
    # WHEN one event is emitted
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    assert standin.wait_for_webhooks(5)
    log = requests.get(f"{standin.url}/_standin/deliveries", params={"wait": "true"}, timeout=5).json()[
        "data"
    ]
    # THEN it arrives three times, the third accepted, each signed validly
    assert [(d["attempt"], d["status"], d["ok"]) for d in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert len(receiver.received) == 3
    for delivery in receiver.received:
        event = stripe.Webhook.construct_event(delivery.body, delivery.signature, standin.webhook_secret)
        assert event.data.object["id"] == intent.id


def test_retries_stop_after_the_bounded_number_of_attempts(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN a receiver that always fails
    receiver.statuses = [503] * 10
    # WHEN one event is emitted
    client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    assert standin.wait_for_webhooks(5)
    # THEN it is attempted exactly max_attempts times
    assert [d["attempt"] for d in standin.deliveries()] == [1, 2, 3, 4]
    assert len(receiver.received) == FAST_RETRIES.max_attempts


def test_refund_failing_at_the_bank_sends_refund_updated(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN a captured payment with Stripe's refund-fails test card
    intent = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_refundFail",
            "allowed_payment_method_types": ["card"],
        }
    )
    # WHEN it is refunded
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert standin.wait_for_webhooks(5)
    # THEN the refund fails afterwards, with the events Stripe sends for it
    assert refund.status == "failed"
    assert client.v1.refunds.retrieve(refund.id).status == "failed"
    types = [d.event()["type"] for d in receiver.received]
    assert types[-4:] == ["refund.created", "charge.refunded", "refund.updated", "refund.failed"]
    assert client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 0


def test_webhook_endpoint_can_be_set_after_start(receiver: WebhookReceiver) -> None:
    # GIVEN a stand-in started before the API's port is known
    server = StripeStandin(StandinConfig(retry=FAST_RETRIES))
    server.start()
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": server.url}, max_network_retries=0)
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
        # WHEN the endpoint is set over HTTP
        config = requests.post(
            f"{server.url}/_standin/webhook_endpoint", json={"url": receiver.url}, timeout=5
        ).json()
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "eur"})
        assert server.wait_for_webhooks(5)
    finally:
        server.stop()
    # THEN only events after that are delivered, signed with the stand-in's secret
    assert config["webhook_url"] == receiver.url
    assert config["webhook_secret"].startswith("whsec_")
    assert [d.event()["data"]["object"]["amount"] for d in receiver.received] == [2000]
    stripe.Webhook.construct_event(
        receiver.received[0].body, receiver.received[0].signature, config["webhook_secret"]
    )


# ---- what fraud screening reads: fingerprint, issuing country, billing details, currencies ------------


def confirmed_with(
    standin: StripeStandin, client: stripe.StripeClient, card: str, **extra: Any
) -> tuple[stripe.PaymentMethod, stripe.Charge]:
    """A manual-capture intent paid in the browser with ``card``: its PaymentMethod and charge."""
    intent = client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "eur", "capture_method": "manual"}
    )
    answer = simulate(standin, intent.id, payment_method=card, **extra)
    assert answer.status_code == 200, answer.text
    paid = client.v1.payment_intents.retrieve(intent.id)
    return (
        client.v1.payment_methods.retrieve(str(paid.payment_method)),
        client.v1.charges.retrieve(str(paid.latest_charge)),
    )


def card_of(method: stripe.PaymentMethod) -> stripe.PaymentMethod.Card:
    assert method.card is not None
    return method.card


def test_the_same_card_always_has_the_same_fingerprint_on_its_method_and_charge(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN payments with the same test card twice, and with other cards (three of them end in 0002)
    # WHEN their PaymentMethods and charges are read
    first_method, first_charge = confirmed_with(standin, client, "pm_card_visa")
    second_method, second_charge = confirmed_with(standin, client, "pm_card_visa")
    others = [
        card_of(confirmed_with(standin, client, card)[0])
        for card in ("pm_card_mastercard", "pm_card_nl", "pm_card_cz")
    ]
    declined = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "allowed_payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.CardError) as refused:
        client.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_chargeDeclined"})
    error: Any = refused.value.json_body
    declined_card = error["error"]["payment_method"]["card"]
    # THEN a card has one fingerprint, shaped like Stripe's, on every PaymentMethod made from it and on
    # its charges; different cards differ even when their last4 is the same
    fingerprint = card_of(first_method).fingerprint
    assert fingerprint is not None
    assert len(fingerprint) == 16
    assert fingerprint.isalnum()
    assert first_method.id != second_method.id
    assert card_of(second_method).fingerprint == fingerprint
    for charge in (first_charge, second_charge):
        assert charge.payment_method_details is not None
        assert charge.payment_method_details.card is not None
        assert charge.payment_method_details.card.fingerprint == fingerprint
    assert {declined_card["last4"], others[1].last4, others[2].last4} == {"0002"}
    fingerprints = {fingerprint, declined_card["fingerprint"], *(card.fingerprint for card in others)}
    assert len(fingerprints) == 5


@pytest.mark.parametrize(
    ("card", "country", "last4"),
    [
        ("pm_card_visa", "US", "4242"),
        ("pm_card_de", "DE", "0016"),
        ("pm_card_fr", "FR", "0003"),
        ("pm_card_gb", "GB", "0000"),
        ("pm_card_pl", "PL", "0005"),
        ("pm_card_es", "ES", "0007"),
    ],
)
def test_international_cards_carry_their_issuing_country(
    standin: StripeStandin, client: stripe.StripeClient, card: str, country: str, last4: str
) -> None:
    # GIVEN one of Stripe's country test cards
    # WHEN the shopper pays with it
    method, charge = confirmed_with(standin, client, card)
    # THEN the PaymentMethod and the charge name the issuing country
    assert method.card is not None
    assert (method.card.country, method.card.last4, method.card.brand) == (country, last4, "visa")
    assert charge.payment_method_details is not None
    details = charge.payment_method_details.card
    assert details is not None
    assert (details.country, details.last4, details.network) == (country, last4, "visa")


def test_billing_details_from_the_payment_form_reach_the_method_the_charge_and_the_webhook(
    standin: StripeStandin, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN a shopper in Ukraine paying with a German card, as the payment form collects it
    billing = {
        "name": "Olena Kovalenko",
        "email": "olena@example.com",
        "address": {"country": "ua", "city": "Kyiv", "postal_code": "01001"},
    }
    # WHEN the browser confirms with the card and the billing details
    method, charge = confirmed_with(standin, client, "pm_card_de", billing_details=billing)
    assert standin.wait_for_webhooks(5)
    succeeded = receiver.of_type("charge.succeeded")[-1].event()["data"]["object"]
    # THEN they are on the PaymentMethod and the charge in Stripe's shape, next to the card's country
    expected = {
        "address": {
            "city": "Kyiv",
            "country": "UA",
            "line1": None,
            "line2": None,
            "postal_code": "01001",
            "state": None,
        },
        "email": "olena@example.com",
        "name": "Olena Kovalenko",
        "phone": None,
    }
    assert method.billing_details.to_dict() == expected
    assert charge.billing_details.to_dict() == expected
    assert succeeded["billing_details"] == expected
    assert succeeded["payment_method_details"]["card"]["country"] == "DE"


def test_a_payment_without_billing_details_has_them_all_null(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN / WHEN a payment confirmed with only a card
    method, charge = confirmed_with(standin, client, "pm_card_visa")
    # THEN every billing field is there, null, as Stripe answers
    empty = {"address": None, "email": None, "name": None, "phone": None}
    assert method.billing_details.to_dict() == empty
    assert charge.billing_details.to_dict() == empty


@pytest.mark.parametrize(
    ("billing", "param"),
    [
        ({"nickname": "o"}, "billing_details[nickname]"),
        ({"address": {"country": "Ukraine"}}, "billing_details[address][country]"),
        ({"address": {"county": "Kyiv"}}, "billing_details[address][county]"),
        ({"name": 7}, "billing_details[name]"),
    ],
)
def test_malformed_billing_details_are_refused_and_leave_the_intent_open(
    standin: StripeStandin, client: stripe.StripeClient, billing: dict[str, Any], param: str
) -> None:
    # GIVEN an open PaymentIntent
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    # WHEN the browser sends billing details Stripe would not take
    answer = requests.post(
        f"{standin.url}/_standin/payment_intents/{intent.id}/simulate",
        json={"payment_method": "pm_card_visa", "billing_details": billing},
        timeout=5,
    )
    # THEN 400 naming the parameter, and nothing was charged
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_simulate_reads_a_json_body_sent_as_curl_sends_it(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN an open PaymentIntent
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "capture_method": "manual"}
    )
    # WHEN the banner's `curl -d '{...}'` posts JSON labelled as a form
    answer = requests.post(
        f"{standin.url}/_standin/payment_intents/{intent.id}/simulate",
        data='{"payment_method": "pm_card_fr"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    # THEN it is read as JSON
    assert answer.status_code == 200, answer.text
    paid = client.v1.payment_intents.retrieve(intent.id)
    method = client.v1.payment_methods.retrieve(str(paid.payment_method))
    assert paid.status == "requires_capture"
    assert method.card is not None
    assert method.card.country == "FR"


@pytest.mark.parametrize(
    ("currency", "amount"), [("UAH", 125_000), ("uah", 2000), ("PLN", 200), ("CZK", 1500), ("RON", 4999)]
)
def test_intents_in_the_shops_eastern_european_currencies_authorise_and_capture(
    client: stripe.StripeClient, currency: str, amount: int
) -> None:
    # GIVEN a manual-capture PaymentIntent in the currency
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "capture_method": "manual",
            "allowed_payment_method_types": ["card"],
        }
    )
    # WHEN it is authorised and captured
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    captured = client.v1.payment_intents.capture(intent.id)
    # THEN the currency is kept, lower-cased, as Stripe does
    assert (captured.currency, captured.status, captured.amount_received) == (
        currency.lower(),
        "succeeded",
        amount,
    )


def test_a_uah_amount_below_stripes_minimum_is_refused(client: stripe.StripeClient) -> None:
    # GIVEN / WHEN an intent for 19.99 UAH
    with pytest.raises(stripe.InvalidRequestError) as too_small:
        client.v1.payment_intents.create(params={"amount": 1999, "currency": "uah"})
    # THEN Stripe's error, worded in the currency
    assert (too_small.value.code, too_small.value.param) == ("amount_too_small", "amount")
    assert "20.00 uah" in str(too_small.value)


def test_multicapture_captures_in_parts_and_a_cancel_releases_only_the_rest(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN a 15.00 authorisation that asked for multicapture, on a Visa card
    multicapture = {"payment_method_options": {"card": {"request_multicapture": "if_available"}}}
    intent = authorised_intent(client, **multicapture)
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.payment_method_details.card.multicapture.status == "available"  # type: ignore[union-attr]
    # WHEN 4.00 and 5.00 are captured as non-final captures, then the intent is cancelled
    client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 400, "final_capture": False})
    held = client.v1.payment_intents.capture(
        intent.id, params={"amount_to_capture": 500, "final_capture": False}
    )
    cancelled = client.v1.payment_intents.cancel(intent.id)
    # THEN the intent stayed capturable between the parts, and the cancel released only the 6.00 left
    assert (held.status, held.amount_received, held.amount_capturable) == ("requires_capture", 900, 600)
    assert (cancelled.status, cancelled.amount_received, cancelled.amount_capturable) == ("canceled", 900, 0)
    ledger = requests.get(f"{standin.url}/_standin/payment_intents/{intent.id}/settlement", timeout=5).json()
    assert ledger == {"authorised": 1500, "captured": 900, "voided": 600, "capturable": 0}


def test_without_multicapture_a_non_final_capture_is_refused(client: stripe.StripeClient) -> None:
    # GIVEN a manual-capture authorisation that did not ask for multicapture
    intent = authorised_intent(client)
    # WHEN a part of it is captured as not final
    # THEN Stripe's refusal: nothing is captured
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(
            intent.id, params={"amount_to_capture": 400, "final_capture": False}
        )
    assert refused.value.param == "final_capture"
    assert client.v1.payment_intents.retrieve(intent.id).amount_capturable == 1500


def test_injected_faults_answer_as_stripe_outages_then_stop(
    standin: StripeStandin, client: stripe.StripeClient
) -> None:
    # GIVEN the next two requests set to fail: a 500, then the same again
    requests.post(f"{standin.url}/_standin/faults", json={"status": 500, "count": 2}, timeout=5)
    # WHEN three requests are made
    # THEN two are Stripe API errors and the third is answered
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            client.v1.payment_intents.list()
    assert client.v1.payment_intents.list().data == []
