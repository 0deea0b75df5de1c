"""The Nova Poshta adapter against request/answer fixtures written from its API 2.0 documentation
(``tests/fixtures/novaposhta``): what it sends must be a documented request, what it reads a documented
answer. No network: the transport is injected."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from carriers.adapters.novaposhta import NovaPoshtaCarrier
from carriers.domain.models import ShipmentStatus, TrackingMode
from carriers.domain.ports import CarrierRejected, CarrierUnavailable

from shop_kernel.address import Address
from shop_kernel.money import Money
from tests.unit.carriers.fakes import ACCOUNT, LOCKER, PARCEL, WAREHOUSE, FixtureTransport, request


@pytest.fixture
def transport() -> FixtureTransport:
    return FixtureTransport()


@pytest.fixture
def nova(transport: FixtureTransport) -> NovaPoshtaCarrier:
    return NovaPoshtaCarrier(ACCOUNT, transport, today=lambda: date(2026, 12, 3))


def test_a_rate_to_a_locker_is_the_document_price_with_its_delivery_date(nova, transport):
    # WHEN a parcel from Kyiv to a Lviv locker is quoted
    [rate] = nova.rates(PARCEL, WAREHOUSE, LOCKER)
    # THEN the price is Nova Poshta's cost in kopiykas, branch to branch, arriving on its forecast date
    assert rate.price == Money.of(95_00, "UAH")
    assert rate.service == "WarehouseWarehouse"
    assert rate.estimated_delivery == date(2026, 12, 5)
    # AND each city was looked up once
    assert transport.calls.count(("Address", "getCities")) == 2
    nova.rates(PARCEL, WAREHOUSE, LOCKER)
    assert transport.calls.count(("Address", "getCities")) == 2


def test_branches_of_a_city_are_branches_and_lockers(nova):
    # WHEN the Lviv branches are listed
    branches = nova.branches("Lviv")
    # THEN the Postomat is a locker, the branch number is the id a booking names
    assert [(b.branch_id, b.kind, b.postal_code) for b in branches] == [
        ("1", "branch", "79000"),
        ("35", "locker", "79035"),
    ]
    assert branches[0].max_weight_g == 1_000_000
    assert branches[1].max_weight_g == 20_000


def test_booking_to_a_locker_gives_the_document_number_and_its_marking(nova):
    # WHEN a shipment to a locker is booked
    booking = nova.create_shipment(request("shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z", destination=LOCKER))
    # THEN the tracking number is the express waybill number, the reference its Ref, the label the PDF
    assert booking.tracking_number == "20450987654321"
    assert booking.carrier_reference == "a4f3d6b3-0f2b-11f0-a1d5-48df37b92109"
    assert booking.label.startswith(b"%PDF")
    assert booking.label_format == "pdf"
    assert booking.price == Money.of(95_00, "UAH")
    assert booking.estimated_delivery == date(2026, 12, 5)


def test_cancelling_deletes_the_document_and_a_handed_over_one_is_rejected(nova):
    # WHEN a booked document is cancelled THEN it is deleted
    nova.cancel("20450987654321", "a4f3d6b3-0f2b-11f0-a1d5-48df37b92109")
    # WHEN Nova Poshta refuses (already handed over) THEN it is a rejection, not an outage
    with pytest.raises(CarrierRejected, match="can not be deleted"):
        nova.cancel("20450000000001", "b0000000-0000-11f0-a1d5-48df37b92109")


def test_tracking_maps_status_codes_and_leaves_unknown_numbers_out(nova):
    # WHEN three documents are tracked (one in transit, one received, one not found)
    events = nova.tracking(["20450987654321", "20450000000002", "20450000000003"])
    # THEN two events, in our statuses, stamped in UTC from Kyiv time, with stable ids
    assert [(e.tracking_number, e.status) for e in events] == [
        ("20450987654321", ShipmentStatus.IN_TRANSIT),
        ("20450000000002", ShipmentStatus.DELIVERED),
    ]
    assert events[0].occurred_at == datetime(2026, 12, 3, 16, 40, 5, tzinfo=UTC)
    assert events[0].event_id == "20450987654321:5:2026-12-03 18:40:05"
    assert nova.tracking_mode is TrackingMode.POLLING
    assert nova.tracking_batch_size == 100


def test_an_unserved_city_is_rejected_and_a_server_error_is_unavailable(transport):
    nova = NovaPoshtaCarrier(ACCOUNT, transport, today=lambda: date(2026, 12, 3))
    atlantis = LOCKER.model_copy(update={"city": "Atlantis"})
    # WHEN the destination city is unknown THEN the carrier rejects it (do not retry)
    with pytest.raises(CarrierRejected, match="Atlantis"):
        nova.rates(PARCEL, WAREHOUSE, atlantis)
    # WHEN Nova Poshta answers 502 THEN it is unavailable (retry later)
    down = NovaPoshtaCarrier(ACCOUNT, FixtureTransport(status=502))
    with pytest.raises(CarrierUnavailable):
        down.branches("Lviv")


def test_values_in_another_currency_and_doors_without_a_phone_are_rejected(nova):
    # GIVEN a parcel declared in EUR, and a door delivery without the recipient's phone
    euro = PARCEL.model_copy(update={"declared_value": Money.of(100_00, "EUR")})
    no_phone = request(
        destination=request().destination.model_copy(
            update={"address": Address(name="Olena", line1="Shevchenka 10", city="Lviv", country="UA")}
        )
    )
    # THEN both are refused before anything is sent
    with pytest.raises(CarrierRejected, match="UAH"):
        nova.rates(euro, WAREHOUSE, LOCKER)
    with pytest.raises(CarrierRejected, match="phone"):
        nova.create_shipment(no_phone)


def test_a_document_is_found_by_our_shipment_id_in_the_document_list(nova):
    # WHEN a retried booking looks for the document Nova Poshta may already have made today
    found = nova.find_shipment(
        request("shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z", destination=LOCKER), date(2026, 12, 3)
    )
    missing = nova.find_shipment(
        request("shp_01JD3Q4Z9K8M2N5P7R9T1V3X99", destination=LOCKER), date(2026, 12, 3)
    )
    # THEN ours is the one whose InfoRegClientBarcodes is our id, with its number, Ref, cost and marking
    assert found is not None
    assert (found.tracking_number, found.carrier_reference) == (
        "20450987654321",
        "a4f3d6b3-0f2b-11f0-a1d5-48df37b92109",
    )
    assert found.price == Money.of(95_00, "UAH")
    assert found.estimated_delivery == date(2026, 12, 5)
    assert found.label.startswith(b"%PDF")
    assert missing is None


class SaveTimesOut(FixtureTransport):
    """Nova Poshta creates the document, but its answer never reaches us (our call times out)."""

    def request(self, method, url, body=None, headers=None):  # type: ignore[no-untyped-def]
        answer = super().request(method, url, body, headers)
        if (
            self.calls
            and self.calls[-1] == ("InternetDocument", "save")
            and self.calls.count(self.calls[-1]) == 1
        ):
            raise CarrierUnavailable("timed out reading Nova Poshta's answer")
        return answer


def test_a_booking_retried_after_a_timeout_records_the_document_already_made():
    from carriers.domain.service import Shipping

    from shop_kernel.clock import FixedClock
    from tests.unit.carriers.fakes import T0, MemoryLabels, MemoryShipments

    # GIVEN Nova Poshta made the document but our booking timed out before we recorded it
    transport = SaveTimesOut()
    nova = NovaPoshtaCarrier(ACCOUNT, transport, today=lambda: date(2026, 12, 3))
    shipping = Shipping({"nova-poshta": nova}, MemoryShipments(), MemoryLabels(), FixedClock(T0))
    booking = request("shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z", destination=LOCKER)
    with pytest.raises(CarrierUnavailable):
        shipping.book("nova-poshta", booking)
    # WHEN the workflow retries the task (twice)
    first = shipping.book("nova-poshta", booking)
    again = shipping.book("nova-poshta", booking)
    # THEN the retry found the document by our reference: one save, one waybill, recorded once
    assert transport.calls.count(("InternetDocument", "save")) == 1
    assert transport.calls.count(("InternetDocument", "getDocumentList")) == 1
    assert first == again
    assert first.tracking_number == "20450987654321"
