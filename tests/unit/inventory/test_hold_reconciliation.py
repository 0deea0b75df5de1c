"""Stock counters against active reservations without AWS: each kind of drift, when a recount is
safe, and the run's event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory.domain.reconciliation import (
    HoldDriftKind,
    HoldRepair,
    HoldSeen,
    HoldsReport,
    LevelSeen,
    compare_holds,
    drift_event,
)
from shop_kernel.clock import isoformat

STARTED = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LONG_AGO = isoformat(STARTED - timedelta(hours=2))
JUST_NOW = isoformat(STARTED - timedelta(minutes=1))
LATER = int((STARTED + timedelta(minutes=30)).timestamp())


def _level(reserved: int, available: int | None = None, on_hand: int = 10, at: str = LONG_AGO) -> LevelSeen:
    free = on_hand - reserved if available is None else available
    return LevelSeen("LAP-1", "kyiv-dc", on_hand, reserved, free, at)


def _hold(quantity: int, rid: str = "res_1", expires_at: int = LATER, sku: str = "LAP-1") -> HoldSeen:
    return HoldSeen(rid, sku, "kyiv-dc", quantity, expires_at)


def test_a_counter_that_adds_up_is_no_drift() -> None:
    # GIVEN 3 reserved by two active reservations (1 + 2)
    # WHEN compared THEN nothing differs
    assert compare_holds([_level(3)], [_hold(1), _hold(2, "res_2")], STARTED) == []


def test_a_reserved_counter_left_behind_by_a_lost_release_is_recounted_when_quiet() -> None:
    # GIVEN a level still counting 2 reserved, one reservation of 1 left active, quiet for two hours
    drifts = compare_holds([_level(2)], [_hold(1)], STARTED)
    # THEN it is a reserved mismatch to recount to 1
    assert [(d.kind, d.repair, d.held) for d in drifts] == [
        (HoldDriftKind.RESERVED_MISMATCH, HoldRepair.RECOUNT, 1)
    ]


def test_a_negative_counter_is_a_mismatch_too() -> None:
    # GIVEN reserved went below zero (released twice)
    drifts = compare_holds([_level(-1)], [], STARTED)
    # THEN it is recounted to zero
    assert [(d.kind, d.held) for d in drifts] == [(HoldDriftKind.RESERVED_MISMATCH, 0)]


def test_a_level_changed_lately_is_flagged_not_recounted_and_one_changed_during_the_pass_is_not_judged() -> (
    None
):
    # GIVEN the same mismatch on a level changed a minute before the pass, and one changed after it began
    recent = compare_holds([_level(2, at=JUST_NOW)], [_hold(1)], STARTED)
    during = compare_holds([_level(2, at=isoformat(STARTED + timedelta(seconds=1)))], [_hold(1)], STARTED)
    # THEN the first is reported but left alone (the stream may still be releasing), the second ignored
    assert [(d.kind, d.repair) for d in recent] == [(HoldDriftKind.RESERVED_MISMATCH, HoldRepair.FLAG)]
    assert during == []


def test_available_that_is_not_on_hand_minus_reserved_is_recounted() -> None:
    # GIVEN reserved right but available off by one
    drifts = compare_holds([_level(1, available=8)], [_hold(1)], STARTED)
    # THEN available is the drift
    assert [(d.kind, d.repair) for d in drifts] == [(HoldDriftKind.AVAILABLE_MISMATCH, HoldRepair.RECOUNT)]


def test_holds_beyond_on_hand_overdue_holds_and_holds_on_missing_levels_are_flagged() -> None:
    # GIVEN 12 held where 10 are on hand, a hold an hour past its expiry, a hold on a level that is gone
    overdue = int((STARTED - timedelta(hours=1)).timestamp())
    drifts = compare_holds(
        [_level(12, available=-2)],
        [_hold(11), _hold(1, "res_old", expires_at=overdue), _hold(1, "res_x", sku="GONE-1")],
        STARTED,
    )
    # THEN each is flagged for ops, none recounted
    assert sorted((d.kind.value, d.reservation_id or "") for d in drifts) == [
        ("hold_without_stock", "res_x"),
        ("overdue_hold", "res_old"),
        ("oversold", ""),
    ]
    assert {d.repair for d in drifts} == {HoldRepair.FLAG}


def test_the_event_counts_by_kind() -> None:
    # GIVEN a run with one recounted mismatch
    drifts = tuple(compare_holds([_level(2)], [_hold(1)], STARTED))
    report = HoldsReport(levels_checked=1, holds_checked=1, drifts=drifts, repaired=drifts)
    # WHEN its event is built
    event = drift_event(report, isoformat(STARTED))
    # THEN it says what was found and repaired, level by level
    assert event is not None
    assert event.detail_type == "StockHoldDriftFound"
    assert (event.data["found"], event.data["repaired"]) == (
        {"reserved_mismatch": 1},
        {"reserved_mismatch": 1},
    )
    assert event.data["drifts"][0] | {"detail": ""} == {
        "kind": "reserved_mismatch",
        "repair": "recount",
        "repaired": True,
        "sku": "LAP-1",
        "location_id": "kyiv-dc",
        "reservation_id": None,
        "reserved": 2,
        "held": 1,
        "detail": "",
    }
    assert drift_event(HoldsReport(1, 0, (), ()), isoformat(STARTED)) is None
