"""In-memory stand-ins for the carriers domain's ports (domain tests only; adapters are tested on moto)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from carriers.adapters.novaposhta import API_URL, NovaPoshtaAccount
from carriers.domain.models import (
    AddressDestination,
    Booking,
    Branch,
    BranchDestination,
    Destination,
    Parcel,
    Rate,
    ShipmentRequest,
    ShipmentStatus,
    TrackingEvent,
    TrackingMode,
)
from carriers.domain.ports import CarrierUnavailable, ConcurrentUpdate
from carriers.domain.shipment import Shipment

from shop_kernel.address import Address
from shop_kernel.money import Money

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
WAREHOUSE = Address(line1="Promyslova 5", city="Kyiv", postal_code="02000", country="UA")
HOME = AddressDestination(
    address=Address(
        name="Olena Petrenko", line1="Shevchenka 10", city="Lviv", country="UA", phone="+380671234567"
    )
)
LOCKER = BranchDestination(
    branch_id="35",
    city="Lviv",
    country="UA",
    recipient_name="Olena Petrenko",
    recipient_phone="+380671234567",
)
PARCEL = Parcel(
    weight_g=1500, length_cm=30, width_cm=20, height_cm=10, declared_value=Money.of(2_999_00, "UAH")
)


def request(
    shipment_id: str = "shp_1", order_id: str = "ord_1", destination: Destination = HOME
) -> ShipmentRequest:
    return ShipmentRequest(
        shipment_id=shipment_id, order_id=order_id, origin=WAREHOUSE, destination=destination, parcel=PARCEL
    )


def event(
    number: str, status: ShipmentStatus, minutes: int, event_id: str | None = None, carrier: str = "fake"
) -> TrackingEvent:
    return TrackingEvent(
        carrier=carrier,
        tracking_number=number,
        event_id=event_id or f"{number}:{status.value}:{minutes}",
        status=status,
        occurred_at=T0 + timedelta(minutes=minutes),
    )


class FakeCarrier:
    """Books with a counter, so a second booking of the same shipment would show as a second number."""

    tracking_batch_size = 2

    def __init__(
        self, carrier_id: str = "fake", mode: TrackingMode = TrackingMode.WEBHOOK, price: int = 65_00
    ) -> None:
        self.carrier_id = carrier_id
        self.tracking_mode = mode
        self.price = price
        self.bookings: list[ShipmentRequest] = []
        self.cancelled: list[str] = []
        self.tracking_calls: list[list[str]] = []
        self.reported: dict[str, TrackingEvent] = {}
        self.lookups: list[str] = []
        self.down = False

    def rates(self, parcel: Parcel, origin: Address, destination: Destination) -> list[Rate]:
        if self.down:
            raise CarrierUnavailable("down")
        return [Rate(carrier=self.carrier_id, service="standard", price=Money.of(self.price, "UAH"))]

    def delivery_estimate(
        self, origin: Address, destination: Destination, ship_on: date, service: str | None = None
    ) -> date:
        return ship_on + timedelta(days=2)

    def branches(self, city: str) -> list[Branch]:
        return []

    def create_shipment(self, request: ShipmentRequest) -> Booking:
        self.bookings.append(request)
        return self._booking(f"{self.carrier_id.upper()}{len(self.bookings):04d}")

    def _booking(self, number: str) -> Booking:
        return Booking(
            carrier=self.carrier_id,
            tracking_number=number,
            carrier_reference=f"ref-{number}",
            label=b"%PDF-1.4 label " + number.encode(),
            label_format="pdf",
            price=Money.of(self.price, "UAH"),
        )

    def find_shipment(self, request: ShipmentRequest, since: date) -> Booking | None:
        """Like Nova Poshta's document list: what was booked with this reference, if anything."""
        self.lookups.append(request.shipment_id)
        made = [n for n, r in enumerate(self.bookings, 1) if r.shipment_id == request.shipment_id]
        return self._booking(f"{self.carrier_id.upper()}{made[0]:04d}") if made else None

    def cancel(self, tracking_number: str, carrier_reference: str) -> None:
        self.cancelled.append(tracking_number)

    def tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingEvent]:
        self.tracking_calls.append(list(tracking_numbers))
        return [self.reported[n] for n in tracking_numbers if n in self.reported]


class MemoryShipments:
    def __init__(self) -> None:
        self.shipments: dict[str, Shipment] = {}
        self.by_tracking: dict[tuple[str, str], str] = {}
        self.deliveries: set[tuple[str, str]] = set()
        self.saves = 0

    def get(self, shipment_id: str) -> Shipment | None:
        return self.shipments.get(shipment_id)

    def create(self, shipment: Shipment) -> Shipment | None:
        if shipment.shipment_id in self.shipments:
            return None
        self.shipments[shipment.shipment_id] = stored = replace(shipment, version=1)
        return stored

    def save(self, shipment: Shipment) -> Shipment:
        current = self.shipments.get(shipment.shipment_id)
        if current is None or current.version != shipment.version:
            raise ConcurrentUpdate(shipment.shipment_id)
        self.saves += 1
        self.shipments[shipment.shipment_id] = stored = replace(shipment, version=shipment.version + 1)
        if shipment.tracking_number:
            self.by_tracking[(shipment.carrier, shipment.tracking_number)] = shipment.shipment_id
        return stored

    def find_by_tracking(self, carrier: str, tracking_number: str) -> Shipment | None:
        shipment_id = self.by_tracking.get((carrier, tracking_number))
        return self.shipments.get(shipment_id) if shipment_id else None

    def open_shipments(self, carrier: str, updated_before: datetime | None = None) -> list[Shipment]:
        found = [
            s
            for s in self.shipments.values()
            if s.carrier == carrier
            and not s.is_final
            and (updated_before is None or s.last_update < updated_before)
        ]
        return sorted(found, key=lambda s: s.last_update)

    def delivery_seen(self, carrier: str, delivery_id: str) -> bool:
        return (carrier, delivery_id) in self.deliveries

    def remember_delivery(self, carrier: str, delivery_id: str, until: datetime) -> None:
        self.deliveries.add((carrier, delivery_id))


class MemoryLabels:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, shipment_id: str, label: bytes, label_format: str) -> str:
        key = f"labels/{shipment_id}.{label_format}"
        self.objects[key] = label
        return key

    def get(self, key: str) -> bytes:
        return self.objects[key]


FIXTURES = Path(__file__).parents[2] / "fixtures" / "novaposhta"
ACCOUNT = NovaPoshtaAccount.model_validate(
    {
        "api_key": "0123456789abcdef0123456789abcdef",
        "sender": {
            "city_ref": "8d5a980d-391c-11dd-90d9-001a92567626",
            "sender_ref": "6e9acced-d072-11e3-95eb-0050568046cd",
            "contact_ref": "6b8c4b4b-d072-11e3-95eb-0050568046cd",
            "address_ref": "01ae2633-e1c2-11e3-8c4a-0050568002cf",
            "phone": "380991234567",
        },
    }
)


class FixtureTransport:
    """Answers documented requests with their fixture; anything else fails the test."""

    def __init__(self, status: int = 200) -> None:
        self.pairs = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
        self.calls: list[tuple[str, str]] = []
        self.status = status

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and "/printMarking100x100/" in url:
            assert f"/apiKey/{ACCOUNT.api_key}" in url
            return 200, {"Content-Type": "application/pdf"}, (FIXTURES / "label.pdf").read_bytes()
        assert (method, url) == ("POST", API_URL)
        sent = json.loads(body or b"{}")
        assert sent.pop("apiKey") == ACCOUNT.api_key
        self.calls.append((sent["modelName"], sent["calledMethod"]))
        if self.status != 200:
            return self.status, {}, b"<html>Bad gateway</html>"
        if sent["calledMethod"] == "getStatusDocuments":
            return 200, {}, json.dumps(self._statuses(sent)).encode()
        for pair in self.pairs:
            if pair["request"] == sent:
                return 200, {"Content-Type": "application/json"}, json.dumps(pair["response"]).encode()
        raise AssertionError(f"undocumented request: {json.dumps(sent, ensure_ascii=False)}")

    def _statuses(self, sent: dict[str, Any]) -> dict[str, Any]:
        """The documented rows of the numbers asked for (any subset, any order), each with its phone."""
        [pair] = [p for p in self.pairs if p["request"]["calledMethod"] == "getStatusDocuments"]
        rows = {row["Number"]: row for row in pair["response"]["data"]}
        documents = sent["methodProperties"]["Documents"]
        assert all(d["Phone"] == ACCOUNT.sender.phone for d in documents), documents
        data = [rows[d["DocumentNumber"]] for d in documents if d["DocumentNumber"] in rows]
        return {**pair["response"], "data": data, "info": {"totalCount": len(data)}}
