"""Gift certificates in loyalty: codes people can type and nobody can guess, kept only as a digest and a
masked form; their status; and the contract parts checkout debits and gives them back with (moved here
from pricing's contract tests, same conditions and the same 409)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from loyalty import contract
from loyalty.adapters.certificate_records import certificate_from_item, certificate_item
from loyalty.domain.certificates import (
    ALPHABET,
    BatchRequest,
    CertificateLedgerMismatch,
    CertificateStatus,
    IssueRequest,
    Origin,
    batch_code,
    check_expiry,
    digest,
    masked,
    new_certificate,
    new_code,
)
from pydantic import ValidationError

from shop_kernel.errors import Conflict, ValidationFailed
from shop_kernel.money import Money
from shop_kernel.transact import Reason, refusal

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
FAILED = "ConditionalCheckFailed"
CODE_SHAPE = re.compile(r"^GC(-[" + ALPHABET + r"]{4}){4}$")


def _fields(error: Exception) -> list[tuple[str, str]]:
    assert isinstance(error, Conflict)
    return [(e.field, e.code) for e in error.errors]


# --- codes -------------------------------------------------------------------------------------------


def test_new_codes_have_no_look_alike_characters_and_do_not_repeat() -> None:
    # WHEN many codes are drawn
    codes = [new_code() for _ in range(2_000)]
    # THEN each is GC- and four groups of four from the unambiguous alphabet, and none repeats
    assert all(CODE_SHAPE.match(c) for c in codes), codes[:3]
    assert not set("01ILOU") & set(ALPHABET)
    assert len(set(codes)) == len(codes)


def test_a_batch_code_is_the_same_for_the_same_seed_and_index_and_differs_otherwise() -> None:
    seed, other = b"s" * 32, b"t" * 32
    first = batch_code(seed, 7)
    assert CODE_SHAPE.match(first)
    assert batch_code(seed, 7) == first
    assert len({first, batch_code(seed, 8), batch_code(seed, 7, attempt=1), batch_code(other, 7)}) == 4


def test_a_code_is_found_by_its_digest_whatever_its_case_or_spaces_and_shown_masked() -> None:
    code = "GC-7Q4K-29XZ-MHD3-P8TW"
    assert digest(" gc-7q4k-29xz-mhd3-p8tw ") == digest(code)
    assert len(digest(code)) == 64
    assert masked(code) == "GC-****-****-****-P8TW"


def test_the_stored_item_holds_no_code_in_clear_and_reads_back_as_issued() -> None:
    # GIVEN a certificate issued with a note and an expiry
    code = new_code()
    issued = new_certificate(
        code,
        Money.of(50_000, "UAH"),
        Origin.ISSUED,
        NOW,
        expires_at=NOW + timedelta(days=365),
        note="Happy birthday",
        issued_by="merch-1",
    )
    # WHEN it is stored
    item = certificate_item(code, issued)
    # THEN no attribute holds the code, and it reads back as issued
    assert code not in repr(item)
    assert certificate_from_item(item) == issued


# --- status and requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, CertificateStatus.ACTIVE),
        ({"balance": Money.of(0, "EUR")}, CertificateStatus.SPENT),
        ({"expires_at": NOW}, CertificateStatus.EXPIRED),
        ({"voided_at": NOW - timedelta(days=1), "expires_at": NOW}, CertificateStatus.VOIDED),
    ],
    ids=["active", "spent", "expired", "voided-first"],
)
def test_status_is_computed_voided_first_then_expiry_then_balance(
    changes: dict, status: CertificateStatus
) -> None:
    certificate = new_certificate("GC-AAAA", Money.of(100, "EUR"), Origin.ISSUED, NOW - timedelta(days=2))
    assert certificate.model_copy(update=changes).status(NOW) is status


@pytest.mark.parametrize("amount", [0, -5, 10_000_001])
def test_an_amount_must_be_positive_and_bounded(amount: int) -> None:
    with pytest.raises(ValidationError):
        IssueRequest.model_validate({"amount": {"amount": amount, "currency": "EUR"}})


def test_a_batch_is_one_to_ten_thousand_and_an_expiry_must_be_ahead() -> None:
    body = {"amount": {"amount": 1000, "currency": "EUR"}}
    assert BatchRequest.model_validate({**body, "count": 10_000}).count == 10_000
    with pytest.raises(ValidationError):
        BatchRequest.model_validate({**body, "count": 10_001})
    with pytest.raises(ValidationFailed) as caught:
        check_expiry(NOW, NOW)
    assert [(e.field, e.code) for e in caught.value.errors] == [("body.expires_at", "in_the_past")]
    check_expiry(None, NOW)


# --- the contract checkout writes with -------------------------------------------------------------


def test_a_voided_certificate_reads_as_none_and_an_active_one_as_its_balance() -> None:
    code = "GC-2345-6789-ABCD-EFGH"
    issued = new_certificate(code, Money.of(700, "EUR"), Origin.ISSUED, NOW)
    item = certificate_item(code, issued)
    found = contract.read_certificate(code.lower(), item)
    assert found is not None
    assert (found.code, found.balance) == (code, Money.of(700, "EUR"))
    assert contract.read_certificate(code, {**item, "voided_at": {"S": "2026-12-03T10:00:00.000Z"}}) is None
    assert contract.read_certificate(code, None) is None


def test_a_certificate_spent_or_voided_meanwhile_is_a_409_on_the_carts_certificates() -> None:
    # GIVEN the debit of the balance priced, and its record by order
    part = contract.debit_certificate(
        "loyalty", "GC-1", Money.of(500, "EUR"), Money.of(500, "EUR"), "ord_1", "2026-03-16T09:00:00.000Z"
    )
    debit, record = part.entries
    assert debit["Update"]["Key"] == contract.certificate_key("gc-1")
    assert debit["Update"]["ConditionExpression"] == (
        "balance = :expected AND currency = :currency AND attribute_not_exists(voided_at)"
    )
    assert record["Put"]["Item"]["order_id"] == {"S": "ord_1"}
    assert record["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    # WHEN the balance changed (or the certificate was voided)
    error = refusal([part], [Reason(FAILED), Reason()])
    # THEN the 409 on the cart's certificates, as when pricing kept them
    assert _fields(error) == [("cart.gift_certificates", "balance_changed")]
    assert error.problem()["type"].endswith("/conflict")  # type: ignore[attr-defined]


def test_a_give_back_the_ledger_does_not_show_is_a_ledger_mismatch() -> None:
    # GIVEN the give-back of a certificate debit
    gift = contract.restore_certificate(
        "loyalty", "GC-1", Money.of(500, "EUR"), "ord_1", "2026-03-16T10:00:00.000Z"
    )
    _credit, record = gift.entries
    assert (
        record["Update"]["ConditionExpression"]
        == "attribute_exists(pk) AND attribute_not_exists(restored_at)"
    )
    # WHEN the debit's record was restored already
    error = refusal([gift], [Reason(), Reason(FAILED)])
    # THEN loyalty names the certificate whose ledger does not match
    assert isinstance(error, CertificateLedgerMismatch)
    assert error.code == "GC-1"


def test_nothing_or_less_than_nothing_is_never_debited() -> None:
    with pytest.raises(ValueError, match="positive"):
        contract.debit_certificate("loyalty", "GC-1", Money.of(0, "EUR"), Money.of(5, "EUR"), "ord_1", "x")
