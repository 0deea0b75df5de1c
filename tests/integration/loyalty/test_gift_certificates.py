"""Gift certificates through loyalty-api (merchandisers issue, list, read, void; anyone checks a balance,
a limited number of times per address), the batch writer on the table's stream, and the stream publisher:
each driven with real-shaped events as its function."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from loyalty.handlers.stream import events_of

from tests.conformance import answers_for, served_document
from tests.integration.cart.conftest import product_snapshot
from tests.integration.loyalty.conftest import loyalty_event, order_cancelled, order_placed, sqs_batch
from tests.support import TableStream, reply_from, response_headers

MERCHANDISER = "d4c3b2a1-0f9e-4d8c-b7a6-958473625140"
TEN_EUR = {"amount": 1000, "currency": "EUR"}


def _api(functions: Any, context: Any, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    """loyalty-api's answer; it must be what the served OpenAPI document says of it."""
    groups = kwargs.pop("groups", "merchandisers" if path.startswith("/admin/") else None)
    ip = kwargs.pop("ip", "203.0.113.7")
    event = loyalty_event(method, path, body, sub=MERCHANDISER, groups=groups, **kwargs)
    event["requestContext"]["identity"]["sourceIp"] = ip
    if path.startswith("/loyalty/gift-certificates"):
        event["resource"] = "/loyalty/gift-certificates/{proxy+}"
        event["requestContext"]["resourcePath"] = event["resource"]
        event["pathParameters"] = {"proxy": path.removeprefix("/loyalty/gift-certificates/")}
    answer = functions.invoke("loyalty-api", event, context)
    documented = answers_for(
        "loyalty", lambda: served_document("loyalty.handlers.api", "/loyalty/openapi.json")
    )
    documented.check(method, path, reply_from(answer))
    return SimpleNamespace(
        status=answer["statusCode"],
        body=json.loads(answer["body"] or "null"),
        headers=response_headers(answer),
    )


def _balance(functions: Any, context: Any, code: str, ip: str = "203.0.113.7") -> Any:
    return _api(functions, context, "POST", "/loyalty/gift-certificates/balance", {"code": code}, ip=ip)


def test_a_merchandiser_issues_lists_reads_and_voids_and_only_the_issue_shows_the_code(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a merchandiser who issues a 10 EUR certificate with a note
    issued = _api(
        functions,
        lambda_context,
        "POST",
        "/admin/loyalty/gift-certificates",
        {"amount": TEN_EUR, "note": "For Olena", "expires_at": "2099-01-01T00:00:00Z"},
    )
    assert issued.status == 201, issued.body
    code, certificate = issued.body["code"], issued.body["certificate"]
    assert certificate["status"] == "active"
    assert certificate["masked_code"] == code[:3] + "****-****-****-" + code[-4:]
    # WHEN the merchandiser lists and reads it, and an agent tries to
    listed = _api(functions, lambda_context, "GET", "/admin/loyalty/gift-certificates")
    read = _api(functions, lambda_context, "GET", f"/admin/loyalty/gift-certificates/{certificate['id']}")
    refused = _api(functions, lambda_context, "GET", "/admin/loyalty/gift-certificates", groups="agents")
    # THEN the list and the read show the certificate masked, never the code; agents may not look
    assert listed.status == 200
    assert [c["id"] for c in listed.body["items"]] == [certificate["id"]]
    assert code not in json.dumps(listed.body)
    assert code not in json.dumps(read.body)
    assert (read.body["balance"], read.body["note"]) == (TEN_EUR, "For Olena")
    assert refused.status == 403
    # WHEN it is voided, twice
    voided = _api(
        functions, lambda_context, "POST", f"/admin/loyalty/gift-certificates/{certificate['id']}/void"
    )
    again = _api(
        functions, lambda_context, "POST", f"/admin/loyalty/gift-certificates/{certificate['id']}/void"
    )
    # THEN it is voided once; its balance check says so; nothing is stored in clear
    assert (voided.status, voided.body["status"]) == (200, "voided")
    assert again.status == 409
    assert _balance(functions, lambda_context, code.lower()).body["status"] == "voided"
    table = loyalty_stack.dynamodb.scan(TableName=loyalty_stack.table)["Items"]
    assert code not in json.dumps(table)
    # AND an unknown id is a 404, a malformed one a 422
    missing = _api(
        functions, lambda_context, "GET", "/admin/loyalty/gift-certificates/gc_01JDZZZZZZZZZZZZZZZZZZZZZZ"
    )
    assert missing.status == 404
    assert _api(functions, lambda_context, "GET", "/admin/loyalty/gift-certificates/nope").status == 422


def test_a_batch_is_written_by_its_stream_chain_once_and_its_codes_export(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a batch of 3 certificates of 10 EUR
    started = _api(
        functions,
        lambda_context,
        "POST",
        "/admin/loyalty/gift-certificate-batches",
        {"amount": TEN_EUR, "count": 3},
    )
    assert (started.status, started.body["status"], started.body["issued"]) == (202, "running", 0)
    batch_id = started.body["id"]
    stream = TableStream(loyalty_stack.dynamodb, loyalty_stack.table, ("gift_certificate_batch",))
    # WHEN the stream delivers the new batch, twice (a retry), and then its progress
    first = stream.batch()
    assert len(first["Records"]) == 1
    for _ in range(2):
        assert functions.invoke("loyalty-certificate-batches", first, lambda_context) == {
            "batchItemFailures": []
        }
    progress = stream.batch()
    assert functions.invoke("loyalty-certificate-batches", progress, lambda_context) == {
        "batchItemFailures": []
    }
    # THEN three certificates exist, the batch is done, and nothing more moves it
    assert stream.batch()["Records"] == []
    batch = _api(functions, lambda_context, "GET", f"/admin/loyalty/gift-certificate-batches/{batch_id}")
    assert (batch.body["status"], batch.body["issued"]) == ("done", 3)
    listed = _api(functions, lambda_context, "GET", "/admin/loyalty/gift-certificates")
    assert len(listed.body["items"]) == 3
    assert {c["batch_id"] for c in listed.body["items"]} == {batch_id}
    # AND the export gives the three codes, in pages, each one a certificate worth 10 EUR
    page = _api(
        functions,
        lambda_context,
        "GET",
        f"/admin/loyalty/gift-certificate-batches/{batch_id}/codes",
        query={"limit": "2"},
    )
    rest = _api(
        functions,
        lambda_context,
        "GET",
        f"/admin/loyalty/gift-certificate-batches/{batch_id}/codes",
        query={"offset": "2"},
    )
    codes = page.body["codes"] + rest.body["codes"]
    assert (page.body["next_offset"], rest.body["next_offset"], len(set(codes))) == (2, None, 3)
    for code in codes:
        assert _balance(functions, lambda_context, code, ip="198.51.100.9").body["balance"] == TEN_EUR


def test_the_balance_check_is_limited_per_address_and_says_when_to_come_back(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a certificate
    code = _api(
        functions, lambda_context, "POST", "/admin/loyalty/gift-certificates", {"amount": TEN_EUR}
    ).body["code"]
    # WHEN one address checks it, then guesses, ten times in all
    first = _balance(functions, lambda_context, code)
    guesses = [_balance(functions, lambda_context, f"GC-AAAA-AAAA-AAAA-AA{n:02d}") for n in range(9)]
    over = _balance(functions, lambda_context, code)
    # THEN the check answers the balance, currency, expiry and status; guesses are 404s; the eleventh a 429
    assert first.status == 200
    assert first.body == {"balance": TEN_EUR, "currency": "EUR", "expires_at": None, "status": "active"}
    assert first.headers["Cache-Control"] == "no-store"
    assert {g.status for g in guesses} == {404}
    assert over.status == 429
    assert over.body["status"] == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 900
    # AND another address is not held back
    assert _balance(functions, lambda_context, code, ip="198.51.100.20").status == 200


def test_a_new_certificate_is_announced_with_ids_and_no_code(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a certificate issued
    stream = TableStream(loyalty_stack.dynamodb, loyalty_stack.table, ("gift_certificate",))
    issued = _api(functions, lambda_context, "POST", "/admin/loyalty/gift-certificates", {"amount": TEN_EUR})
    # WHEN the stream publisher gets its record
    records = stream.batch()
    assert functions.invoke("loyalty-events", records, lambda_context) == {"batchItemFailures": []}
    # THEN the event is GiftCertificateIssued with its id and value, and no code
    (event,) = events_of(records["Records"][0])
    assert event.detail_type == "GiftCertificateIssued"
    assert event.data["certificate_id"] == issued.body["certificate"]["id"]
    assert (event.data["amount"], event.data["currency"], event.data["origin"]) == (1000, "EUR", "issued")
    assert issued.body["code"] not in json.dumps(event.data)


def _gift_card_published() -> tuple[str, str, dict[str, Any]]:
    """The catalog's ``ProductPublished`` of a gift card product: its ``gift_certificate`` attribute is true."""
    product = product_snapshot("prod_gift", 1, [("GIFT-25", 2_500, 100_000)])
    product["attributes"] = [
        {"code": "gift_certificate", "label": {"en": "Gift certificate"}, "kind": "boolean", "value": True}
    ]
    return ("shop.catalog", "ProductPublished", {"product": product})


def _certificates(functions: Any, context: Any) -> list[dict[str, Any]]:
    return list(_api(functions, context, "GET", "/admin/loyalty/gift-certificates").body["items"])


def _deliver(functions: Any, context: Any, *events: tuple[str, str, dict[str, Any]]) -> None:
    assert functions.invoke("loyalty-earning", sqs_batch(list(events)), context) == {"batchItemFailures": []}


def _order_confirmed(order_id: str) -> tuple[str, str, dict[str, Any]]:
    """The orders context's ``OrderConfirmed`` (orders.domain.events 1.0): review passed or not needed."""
    data = {"order_id": order_id, "customer_id": None, "confirmed_at": "2026-11-05T12:30:00.000Z"}
    return ("shop.orders", "OrderConfirmed", data)


def test_a_paid_order_issues_one_certificate_per_unit_once_when_it_is_confirmed(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN the catalog published a gift card (25 EUR) and a guest order of two of them and a laptop is paid
    _deliver(functions, lambda_context, _gift_card_published())
    _, _, placed = order_placed("ord_gift", 2_500, 90_000, member=None)
    placed["lines"][0].update(sku="GIFT-25", quantity=2, unit_price={"amount": 2_500, "currency": "EUR"})
    _deliver(functions, lambda_context, ("shop.checkout", "OrderPlaced", placed))
    assert _certificates(functions, lambda_context) == []
    # WHEN the orders context confirms it, the event delivered twice (and OrderPlaced again)
    confirmed = _order_confirmed("ord_gift")
    _deliver(functions, lambda_context, confirmed, confirmed, ("shop.checkout", "OrderPlaced", placed))
    # THEN exactly two certificates of 25 EUR exist, both the order's
    listed = _certificates(functions, lambda_context)
    assert [(c["origin"], c["order_id"], c["initial"]) for c in listed] == [
        ("order", "ord_gift", {"amount": 2_500, "currency": "EUR"})
    ] * 2
    assert len({c["id"] for c in listed}) == 2
    # AND when the order is cancelled (delivered twice), both are voided
    cancelled = ("shop.checkout", "OrderCancelled", {**order_cancelled("ord_gift")[2]})
    _deliver(functions, lambda_context, cancelled, cancelled)
    assert [c["status"] for c in _certificates(functions, lambda_context)] == ["voided", "voided"]


def test_an_order_held_for_review_issues_when_approved_and_never_when_rejected(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN two guest orders of a 25 EUR gift card, both held for fraud review
    _deliver(functions, lambda_context, _gift_card_published())
    held = {}
    for order_id in ("ord_approved", "ord_rejected"):
        _, _, placed = order_placed(order_id, 2_500, member=None)
        placed["lines"][0]["sku"] = "GIFT-25"
        placed["review_required"] = True
        held[order_id] = ("shop.checkout", "OrderPlaced", placed)
    _deliver(functions, lambda_context, *held.values())
    assert _certificates(functions, lambda_context) == []
    # WHEN an agent approves one (the orders context confirms it once fulfilment sends it to be picked)
    # and rejects the other (the workflow's void cancels it; no confirmation ever comes)
    _deliver(functions, lambda_context, _order_confirmed("ord_approved"))
    rejected = order_cancelled("ord_rejected")
    rejected[2]["reason"] = "review_rejected"
    _deliver(functions, lambda_context, rejected)
    # THEN the approved order issued its certificate and the rejected one none
    listed = _certificates(functions, lambda_context)
    assert [(c["order_id"], c["status"]) for c in listed] == [("ord_approved", "active")]
    # AND an order cancelled before loyalty read its OrderPlaced never issues, even if confirmed later
    _, _, late = order_placed("ord_late", 2_500, member=None)
    late["lines"][0]["sku"] = "GIFT-25"
    _deliver(functions, lambda_context, order_cancelled("ord_late"))
    _deliver(functions, lambda_context, ("shop.checkout", "OrderPlaced", late), _order_confirmed("ord_late"))
    assert [c["order_id"] for c in _certificates(functions, lambda_context)] == ["ord_approved"]
