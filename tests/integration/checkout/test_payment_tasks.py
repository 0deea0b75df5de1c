"""The fulfilment workflow's payment Task (``payment-tasks``) driven as Step Functions invokes it, on moto
and the Stripe stand-in: each capture takes exactly the shipped lines' share, a retry never captures twice,
what is not shipped is released and never charged, a void cancels the order and gives everything back, and
the Stripe ledger always shows captured + voided = authorised once the order is settled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from checkout.domain.payment_tasks import OrderNotPayable, PaymentsUnavailable
from checkout.domain.ports import AuthorisationExpired, CaptureDeclined
from tests.certificates import stored
from tests.integration.checkout.conftest import (
    ADDRESS,
    deliver,
    guest_cart,
    item,
    new_key,
    pay,
    put_promotions,
    stock,
)
from tests.support import Reply, order_json

EVENTS = Path(__file__).resolve().parents[2] / "events" / "checkout"
BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
Webhook = Callable[[str, str | None], Reply]


def task_input(name: str, **changes: Any) -> dict[str, Any]:
    """The Task's payload as the workflow's Parameters build it (``tests/events/checkout``)."""
    event = json.loads((EVENTS / f"payment_task_{name}.json").read_text())
    return {**event, **changes}


def lines(**quantities: int) -> list[dict[str, Any]]:
    return [{"sku": sku.replace("_", "-"), "quantity": n} for sku, n in quantities.items()]


@pytest.fixture
def run_task(shop: SimpleNamespace, functions: Any, lambda_context: Any) -> Callable[[dict[str, Any]], Any]:
    def _run(event: dict[str, Any]) -> Any:
        return functions.invoke("payment-tasks", event, lambda_context)

    return _run


@pytest.fixture
def authorised(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> Callable[..., SimpleNamespace]:
    """A guest order for ``wanted`` (sku, quantity), paid with ``card`` and authorised by the webhook."""

    def _order(wanted: list[tuple[str, int]], card: str = "pm_card_visa") -> SimpleNamespace:
        token = guest_cart(cart, wanted)
        placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
        assert placed.status == 201, placed.body
        order_id, intent_id = placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]
        pay(shop.standin, intent_id, card)
        deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
        order = order_doc(shop, order_id)
        assert order["status"] == "PAYMENT_AUTHORIZED"
        return SimpleNamespace(id=order_id, intent_id=intent_id, doc=order)

    return _order


def order_doc(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert found is not None
    return dict(order_json(found))


def ledger(shop: SimpleNamespace, intent_id: str) -> dict[str, int]:
    answer = requests.get(f"{shop.standin.url}/_standin/payment_intents/{intent_id}/settlement", timeout=5)
    return dict(answer.json())


def reservation(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.inventory, "RES#res_" + order_id.removeprefix("ord_"), "RESERVATION")
    assert found is not None
    return found


def line_total(order: dict[str, Any], sku: str) -> int:
    return int(next(line["total"]["amount"] for line in order["lines"] if line["sku"] == sku))


def test_two_shipments_capture_their_own_lines_and_a_retried_capture_takes_nothing_more(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
) -> None:
    # GIVEN an authorised order of two black laptops and a silver one, from the Kyiv warehouse
    order = authorised([("LAP-A-BLK", 2), ("LAP-A-SLV", 1)])
    amount = order.doc["payment"]["amount"]["amount"]
    shipping = order.doc["shipping"]["total"]["amount"] if order.doc["shipping"] else 0
    first = task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1))
    # WHEN the first shipment is captured, and Step Functions runs the same Task again
    captured = run_task(first)
    again = run_task(first)
    # THEN it captured half the black laptops' total with the shipping, once, and left the rest held
    black = line_total(order.doc, "LAP-A-BLK")
    assert captured["amount"]["amount"] == black // 2 + shipping
    assert (captured["capture"], captured["final"]) == ("captured", False)
    assert again == captured
    assert ledger(shop, order.intent_id) == {
        "authorised": amount,
        "captured": black // 2 + shipping,
        "voided": 0,
        "capturable": amount - black // 2 - shipping,
    }
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (9, 1, 8)  # on hand 10 -> 9, one still reserved
    # WHEN the second shipment carries the rest
    last = run_task(
        task_input("capture", order_id=order.id, shipment_id="shp_2", lines=lines(LAP_A_BLK=1, LAP_A_SLV=1))
    )
    # THEN the whole authorisation is captured, nothing voided, and the reservation is committed
    assert (last["final"], last["captured"]["amount"], last["voided"]["amount"]) == (True, amount, 0)
    assert ledger(shop, order.intent_id) == {
        "authorised": amount,
        "captured": amount,
        "voided": 0,
        "capturable": 0,
    }
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (8, 0, 8)
    assert stock(shop, "LAP-A-SLV", "kyiv-dc") == (1, 0, 1)
    assert reservation(shop, order.id)["status"] == "committed"
    recorded = order_doc(shop, order.id)["payment"]
    assert [(s["shipment_id"], s["status"]) for s in recorded["shipments"]] == [
        ("shp_1", "captured"),
        ("shp_2", "captured"),
    ]
    assert recorded["captured"]["amount"] == amount


def test_a_short_pick_is_released_never_charged_and_the_rest_of_the_authorisation_voided(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
    webhook: Webhook,
) -> None:
    # GIVEN an authorised order of a black and a silver laptop; the warehouse found no silver one
    order = authorised([("LAP-A-BLK", 1), ("LAP-A-SLV", 1)])
    amount = order.doc["payment"]["amount"]["amount"]
    dropped = run_task(task_input("release", order_id=order.id, lines=lines(LAP_A_SLV=1)))
    assert dropped["outstanding"] == lines(LAP_A_BLK=1)
    assert stock(shop, "LAP-A-SLV", "kyiv-dc") == (2, 0, 2)
    # WHEN the black laptop ships (the last shipment: final), and the release runs again
    captured = run_task(
        task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1))
    )
    again = run_task(task_input("release", order_id=order.id, lines=lines(LAP_A_SLV=1)))
    # THEN only the black laptop (and shipping) was captured, the rest voided, and nothing moved twice
    assert captured["final"] is True
    assert captured["captured"]["amount"] + captured["voided"]["amount"] == amount
    assert captured["captured"]["amount"] < amount
    assert ledger(shop, order.intent_id) == {
        "authorised": amount,
        "captured": captured["captured"]["amount"],
        "voided": captured["voided"]["amount"],
        "capturable": 0,
    }
    assert again["captured"] == captured["captured"]
    assert again["outstanding"] == []
    assert stock(shop, "LAP-A-SLV", "kyiv-dc") == (2, 0, 2)
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (9, 0, 9)
    assert [d["lines"] for d in order_doc(shop, order.id)["dropped"]] == [lines(LAP_A_SLV=1)]


def test_after_a_partial_capture_the_rest_is_voided_when_the_last_lines_are_dropped(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
    webhook: Webhook,
) -> None:
    # GIVEN an order of two black laptops, one shipped and captured (not final: one is left)
    order = authorised([("LAP-A-BLK", 2)])
    amount = order.doc["payment"]["amount"]["amount"]
    captured = run_task(
        task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1))
    )
    assert captured["final"] is False
    # WHEN the other one is dropped, and Stripe's cancellation event reaches the webhook
    released = run_task(task_input("release", order_id=order.id, release_id="rest", lines=None))
    deliver(shop.standin, webhook, ("payment_intent.canceled",), order.intent_id)
    # THEN the rest of the authorisation is voided, captured + voided = authorised, the order goes on
    settled = ledger(shop, order.intent_id)
    assert settled["captured"] + settled["voided"] == settled["authorised"] == amount
    assert settled["captured"] == captured["amount"]["amount"]
    assert (released["voided"]["amount"], released["nothing_shipped"]) == (settled["voided"], False)
    assert order_doc(shop, order.id)["status"] == "PAYMENT_AUTHORIZED"
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (9, 0, 9)


def test_without_multicapture_the_charges_wait_for_the_last_shipment(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
) -> None:
    # GIVEN an order paid with a card Stripe can capture once only
    order = authorised([("LAP-A-BLK", 1), ("LAP-A-SLV", 1)], card="pm_card_unionpay")
    amount = order.doc["payment"]["amount"]["amount"]
    # WHEN the first shipment is dispatched, then the second
    first = run_task(task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1)))
    assert ledger(shop, order.intent_id)["captured"] == 0
    # (said to leave from a store that holds none of it: the hold's own location counts)
    second = task_input("capture", order_id=order.id, shipment_id="shp_2", lines=lines(LAP_A_SLV=1))
    last = run_task({**second, "location_id": "lviv-store"})
    # THEN the first charge waited, and the last capture took both at once
    assert first["capture"] == "deferred"
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (9, 0, 9)  # the goods left all the same
    assert stock(shop, "LAP-A-SLV", "kyiv-dc") == (1, 0, 1)
    assert last["captured"]["amount"] == amount
    assert ledger(shop, order.intent_id) == {
        "authorised": amount,
        "captured": amount,
        "voided": 0,
        "capturable": 0,
    }


def test_a_void_cancels_the_order_gives_back_its_certificate_and_a_later_capture_is_refused(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Webhook,
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
) -> None:
    # GIVEN an authorised order, part paid by a 500 UAH gift certificate, that an agent rejected
    put_promotions(shop)
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    assert cart("POST", "/cart/gift-certificates", {"code": "GC-500"}, token=token).status == 200
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    order_id, intent_id = placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id)
    deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    event = task_input("void", order_id=order_id)
    # WHEN the workflow voids it, twice
    voided = run_task(event)
    assert run_task(event) == voided
    # THEN the authorisation is voided whole, the order cancelled, the certificate credited back
    settled = ledger(shop, intent_id)
    assert (settled["captured"], settled["voided"]) == (0, settled["authorised"])
    assert (voided["status"], voided["voided"]["amount"]) == ("CANCELLED", settled["authorised"])
    doc = order_doc(shop, order_id)
    assert (doc["status"], doc["cancel_reason"]) == ("CANCELLED", "review_rejected")
    assert stored(shop.dynamodb, shop.loyalty, "GC-500")["balance"] == 50000  # type: ignore[index]
    # AND a capture arriving after the cancellation is refused by name, with nothing captured
    with pytest.raises(OrderNotPayable):
        run_task(task_input("capture", order_id=order_id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1)))
    assert ledger(shop, intent_id)["captured"] == 0


def test_stripe_down_is_a_retryable_error_and_the_retry_captures_once(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
) -> None:
    # GIVEN an authorised order, and Stripe answering 500 to more requests than the SDK retries
    order = authorised([("LAP-A-BLK", 1)])
    event = task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1))
    requests.post(f"{shop.standin.url}/_standin/faults", json={"status": 500, "count": 3}, timeout=5)
    # WHEN the workflow captures, then retries once Stripe is back
    with pytest.raises(PaymentsUnavailable):
        run_task(event)
    captured = run_task(event)
    # THEN the retry captured the shipment once
    assert captured["captured"]["amount"] == order.doc["payment"]["amount"]["amount"]
    assert ledger(shop, order.intent_id)["captured"] == captured["captured"]["amount"]


def test_a_declined_capture_and_a_lapsed_authorisation_are_permanent_errors(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
) -> None:
    # GIVEN two authorised orders: the issuer declines the first one's capture, the second one's lapsed
    declined, lapsed = authorised([("LAP-A-BLK", 1)]), authorised([("LAP-A-SLV", 1)])
    requests.post(
        f"{shop.standin.url}/_standin/payment_intents/{declined.intent_id}/decline_next_capture", timeout=5
    )
    requests.post(
        f"{shop.standin.url}/_standin/payment_intents/{lapsed.intent_id}/expire_authorisation", timeout=5
    )
    # WHEN each shipment is captured
    # THEN each is refused by a name the workflow catches, and nothing is captured
    with pytest.raises(CaptureDeclined):
        run_task(task_input("capture", order_id=declined.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1)))
    with pytest.raises(AuthorisationExpired):
        run_task(task_input("capture", order_id=lapsed.id, shipment_id="shp_1", lines=lines(LAP_A_SLV=1)))
    assert ledger(shop, declined.intent_id)["captured"] == ledger(shop, lapsed.intent_id)["captured"] == 0
    # AND the refused shipments are off the orders, so the compensation may void them whole
    assert order_doc(shop, declined.id)["payment"]["shipments"] == []
    for order in (declined, lapsed):
        voided = run_task(task_input("void", order_id=order.id, reason="not_fulfilled"))
        assert voided["status"] == "CANCELLED"
        settled = ledger(shop, order.intent_id)
        assert (settled["captured"], settled["voided"]) == (0, settled["authorised"])


def test_a_capture_whose_write_was_lost_after_stripe_took_it_is_not_taken_twice(
    authorised: Callable[..., SimpleNamespace],
    run_task: Callable[[dict[str, Any]], Any],
    shop: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError

    from checkout.adapters.dynamo import DynamoUnitOfWork

    # GIVEN an authorised order, and DynamoDB throttling the write that records the first capture
    order = authorised([("LAP-A-BLK", 2)])
    event = task_input("capture", order_id=order.id, shipment_id="shp_1", lines=lines(LAP_A_BLK=1))
    commit = DynamoUnitOfWork.commit
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems"
    )

    def throttle_once(self: DynamoUnitOfWork) -> None:
        monkeypatch.setattr(DynamoUnitOfWork, "commit", commit)
        raise throttled

    monkeypatch.setattr(DynamoUnitOfWork, "commit", throttle_once)
    # WHEN the Task fails after Stripe captured, and Step Functions retries it
    with pytest.raises(PaymentsUnavailable):
        run_task(event)
    taken = ledger(shop, order.intent_id)["captured"]
    captured = run_task(event)
    # THEN Stripe answered the retry with the first capture (same key, same amount): taken once
    assert taken == captured["amount"]["amount"] > 0
    assert ledger(shop, order.intent_id)["captured"] == taken
    assert captured["capture"] == "captured"
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (9, 1, 8)
