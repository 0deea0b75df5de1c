"""carrier-tracking-poller on a real-shaped schedule event: Nova Poshta's open shipments are asked for in
one batched getStatusDocuments (its documented answers replayed by an injected transport), moved through
the same path as webhooks; shipments quiet for too long are counted for the stuck-shipments alarm."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from carriers import wiring
from carriers.adapters.dynamo import DynamoShipmentStore
from carriers.domain.models import Booking
from carriers.domain.shipment import Shipment
from carriers.wiring import CarriersContainer

from shop_kernel.clock import SystemClock
from tests.conftest import REGION
from tests.integration.carriers.conftest import EVENTS
from tests.unit.carriers.fakes import ACCOUNT, LOCKER, PARCEL, FixtureTransport

NUMBERS = ("20450987654321", "20450000000002", "20450000000003")


def _booked(store: DynamoShipmentStore, carrier: str, number: str, hours_ago: float) -> None:
    at = SystemClock().now() - timedelta(hours=hours_ago)
    claim = store.create(Shipment.claim(f"shp_{number}", f"ord_{number}", carrier, LOCKER, PARCEL, at))
    assert claim is not None
    booking = Booking(
        carrier=carrier,
        tracking_number=number,
        carrier_reference=f"ref-{number}",
        label=b"%PDF",
        label_format="pdf",
    )
    store.save(claim.booked(booking, f"labels/shp_{number}.pdf", at))


@pytest.fixture
def nova_poshta(carriers_stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> FixtureTransport:
    """A Nova Poshta account in its secret, and the transport answering from the documented fixtures."""
    from infra.resources import physical_name

    carriers_stack.secrets.put_secret_value(
        SecretId=physical_name("test", "nova-poshta-api"), SecretString=ACCOUNT.model_dump_json()
    )
    transport = FixtureTransport()
    monkeypatch.setattr(wiring, "container", CarriersContainer(transport=transport))
    return transport


def test_the_poller_moves_nova_poshta_shipments_and_counts_the_stuck_ones(
    carriers_stack: SimpleNamespace, nova_poshta: FixtureTransport, functions: Any, lambda_context: Any
):
    # GIVEN three open Nova Poshta shipments booked an hour ago, and a stand-in one quiet for four days
    store = DynamoShipmentStore(boto3.client("dynamodb", region_name=REGION), carriers_stack.table)
    for number in NUMBERS:
        _booked(store, "nova-poshta", number, hours_ago=1)
    _booked(store, "standin", "SI0000000042", hours_ago=96)
    # WHEN the schedule runs the poller
    event = json.loads((EVENTS / "scheduled_event.json").read_text())
    answer = functions.invoke("carrier-tracking-poller", event, lambda_context)
    # THEN Nova Poshta was asked once for all three, two moved (one unknown to it stays open)
    assert nova_poshta.calls.count(("TrackingDocument", "getStatusDocuments")) == 1
    assert answer["polled"] == {"nova-poshta": {"open": 3, "calls": 1, "applied": 2}}
    statuses = {n: store.find_by_tracking("nova-poshta", n).status.value for n in NUMBERS}  # type: ignore[union-attr]
    assert statuses == {NUMBERS[0]: "in_transit", NUMBERS[1]: "delivered", NUMBERS[2]: "booked"}
    # AND the stand-in shipment, quiet for longer than STUCK_AFTER_HOURS, is counted stuck
    assert answer["stuck"] == {"nova-poshta": 0, "standin": 1}
    # WHEN it runs again THEN nothing moves twice (the delivered one is no longer open)
    again = functions.invoke("carrier-tracking-poller", event, lambda_context)
    assert again["polled"] == {"nova-poshta": {"open": 2, "calls": 1, "applied": 0}}


def test_a_carrier_that_cannot_be_reached_is_skipped_until_the_next_run(
    carriers_stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, functions: Any, lambda_context: Any
):
    # GIVEN Nova Poshta answering 502 and one open shipment
    from infra.resources import physical_name

    carriers_stack.secrets.put_secret_value(
        SecretId=physical_name("test", "nova-poshta-api"), SecretString=ACCOUNT.model_dump_json()
    )
    monkeypatch.setattr(wiring, "container", CarriersContainer(transport=FixtureTransport(status=502)))
    store = DynamoShipmentStore(boto3.client("dynamodb", region_name=REGION), carriers_stack.table)
    _booked(store, "nova-poshta", NUMBERS[0], hours_ago=1)
    # WHEN the poller runs
    event = json.loads((EVENTS / "scheduled_event.json").read_text())
    answer = functions.invoke("carrier-tracking-poller", event, lambda_context)
    # THEN the run completes (no error, the schedule's DLQ stays empty), the carrier left out
    assert answer["polled"] == {}
    assert store.find_by_tracking("nova-poshta", NUMBERS[0]).status.value == "booked"  # type: ignore[union-attr]
