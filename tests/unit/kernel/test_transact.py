"""``shop_kernel.transact.refusal``: each part names its own reasons; a real refusal outranks contention."""

from __future__ import annotations

from collections.abc import Sequence

from shop_kernel.transact import Reason, TransactPart, WriteContended, refusal

FAILED = "ConditionalCheckFailed"


class Taken(WriteContended):
    pass


class Refused(Exception):
    pass


def _part(size: int, error: type[Exception] | None) -> TransactPart:
    def explain(reasons: Sequence[Reason]) -> Exception | None:
        assert len(reasons) == size  # a part sees its own entries' reasons only
        return error() if error else None

    return TransactPart(tuple({"Put": {"n": i}} for i in range(size)), explain)


def test_the_first_refusal_that_is_not_contention_wins_over_an_earlier_contention() -> None:
    # GIVEN a contended part (2 entries) before a refused one (1 entry), both with a failed condition
    parts = [_part(2, Taken), _part(1, Refused)]
    reasons = [Reason(FAILED), Reason(), Reason(FAILED)]
    # THEN the refusal is the second part's error
    assert isinstance(refusal(parts, reasons), Refused)


def test_contention_named_by_a_part_is_kept_and_unnamed_contention_is_write_contended() -> None:
    # GIVEN a part whose condition failed and that calls it contention, and parts without failed conditions
    parts = [_part(1, Refused), _part(2, Taken)]
    # THEN its error stands when it is the only one; DynamoDB's TransactionConflict alone is WriteContended
    assert isinstance(refusal(parts, [Reason(), Reason(), Reason(FAILED)]), Taken)
    error = refusal(parts, [Reason("TransactionConflict"), Reason(), Reason()])
    assert type(error) is WriteContended


def test_a_reason_from_dynamodb_reads_none_as_no_failure() -> None:
    # GIVEN the CancellationReasons DynamoDB returns
    ok, failed = Reason.from_response({"Code": "None"}), Reason.from_response({"Code": FAILED, "Item": {}})
    # THEN an entry that was fine has no code; a failed one keeps its code and old item
    assert (ok.code, ok.condition_failed) == (None, False)
    assert (failed.condition_failed, failed.item) == (True, {})
