"""Nova Poshta (Ukraine) through its JSON API 2.0: ``POST https://api.novaposhta.ua/v2.0/json/`` with
``{"apiKey", "modelName", "calledMethod", "methodProperties"}``; every answer is
``{"success", "data": [...], "errors": [...], "warnings", "info", ...}``.

What the ``Carrier`` port asks, and the calls that answer it:

* rates: ``InternetDocument.getDocumentPrice`` (``Cost`` in hryvnias) and the date from
  ``InternetDocument.getDocumentDeliveryDate``; cities become refs through ``Address.getCities``
  (``FindByString``), cached for the life of the adapter;
* branches and parcel lockers: ``Address.getWarehouses`` by ``CityName`` (``CategoryOfWarehouse``
  ``Postomat`` is a locker); a branch id is the warehouse ``Number`` within its city, what a booking
  names in ``RecipientAddressName``;
* create: ``InternetDocument.save`` with the recipient given "as strings" (``NewAddress`` 1: city, branch
  number or street, name, phone) so no recipient counterparty is created first; our shipment id goes in
  ``InfoRegClientBarcodes``. The label is the 100x100 marking PDF printed for the document number;
* cancel: ``InternetDocument.delete`` (``DocumentRefs``), possible until the parcel is handed over;
* tracking, polled: ``TrackingDocument.getStatusDocuments``, up to 100 documents a call, each with the
  sender's phone (which shows the full status). ``STATUS_CODES`` maps its ``StatusCode`` to ours.

* find (a retried booking): ``InternetDocument.getDocumentList`` from the claim's day to today
  (``GetFullList`` 1), the document whose ``InfoRegClientBarcodes`` is our shipment id.

Nova Poshta pushes nothing to us (``TrackingMode.POLLING``). It declares values and charges in UAH only.
Its ``save`` is not idempotent (no idempotency key): a booking whose ``save`` timed out, or whose function
died before our write, is retried by first looking the document up by our reference (``find_shipment``),
so the retry records the document Nova Poshta made instead of creating a second one.

The account (API key, the sender's refs) comes from the ``nova-poshta-api`` secret as JSON
(``NovaPoshtaAccount``); fixtures under ``tests/fixtures/novaposhta`` follow the public documentation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from carriers.adapters.transport import Transport
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
from carriers.domain.ports import CarrierRejected, CarrierUnavailable
from shop_kernel.address import Address
from shop_kernel.money import Money

CARRIER_ID = "nova-poshta"
API_URL = "https://api.novaposhta.ua/v2.0/json/"
LABEL_URL = "https://my.novaposhta.ua/orders/printMarking100x100/orders[]/{number}/type/pdf/apiKey/{key}"
KYIV = ZoneInfo("Europe/Kyiv")
CURRENCY = "UAH"
S = ShipmentStatus
# TrackingDocument.getStatusDocuments StatusCode -> our status (None: not a move we track).
STATUS_CODES: dict[str, ShipmentStatus | None] = {
    "1": S.BOOKED,  # waiting for the sender to hand it over
    "2": S.CANCELLED,  # deleted
    "3": None,  # number not found
    "4": S.DISPATCHED,  # in the sender's city
    "41": S.DISPATCHED,  # in the sender's city (local delivery)
    "5": S.IN_TRANSIT,  # on its way to the recipient's city
    "6": S.IN_TRANSIT,  # in the recipient's city, expected at the branch
    "7": S.IN_TRANSIT,  # arrived at the branch
    "8": S.IN_TRANSIT,  # arrived at the branch (parcel locker)
    "9": S.DELIVERED,  # received
    "10": S.DELIVERED,  # received; cash-on-delivery transfer on its way
    "11": S.DELIVERED,  # received; cash-on-delivery transfer paid out
    "12": S.BOOKED,  # being assembled by Nova Poshta
    "101": S.IN_TRANSIT,  # courier on the way to the recipient
    "102": S.RETURNED_TO_SENDER,  # refused; return ordered by the sender
    "103": S.RETURNED_TO_SENDER,  # refused by the recipient
    "104": S.IN_TRANSIT,  # address changed
    "105": S.RETURNED_TO_SENDER,  # storage ended (not collected)
    "106": S.DELIVERED,  # received, return delivery created
    "111": S.FAILED_DELIVERY,  # delivery attempt failed: recipient absent or unreachable
    "112": S.IN_TRANSIT,  # delivery date moved by the recipient
}


class NovaPoshtaSender(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    city_ref: str
    sender_ref: str
    contact_ref: str
    address_ref: str
    phone: str


class NovaPoshtaAccount(BaseModel):
    """The ``nova-poshta-api`` secret's JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str
    sender: NovaPoshtaSender


class NovaPoshtaCarrier:
    carrier_id = CARRIER_ID
    tracking_mode = TrackingMode.POLLING
    tracking_batch_size = 100

    def __init__(
        self, account: NovaPoshtaAccount, transport: Transport, today: Callable[[], date] | None = None
    ) -> None:
        self._account = account
        self._transport = transport
        self._today = today or (lambda: datetime.now(KYIV).date())
        self._cities: dict[str, str] = {}

    # --- the port ----------------------------------------------------------------------------------

    def rates(self, parcel: Parcel, origin: Address, destination: Destination) -> list[Rate]:
        service = _service_type(destination)
        data = self._call(
            "InternetDocument",
            "getDocumentPrice",
            {
                "CitySender": self._city_ref(origin.city),
                "CityRecipient": self._city_ref(_city(destination)),
                "Weight": _kilograms(parcel.weight_g),
                "ServiceType": service,
                "Cost": str(_hryvnias(parcel.declared_value)),
                "CargoType": "Parcel",
                "SeatsAmount": "1",
            },
        )
        price = Money(amount=_kopiykas(data[0]["Cost"]), currency=CURRENCY)
        estimate = self.delivery_estimate(origin, destination, self._today(), service)
        return [Rate(carrier=CARRIER_ID, service=service, price=price, estimated_delivery=estimate)]

    def delivery_estimate(
        self, origin: Address, destination: Destination, ship_on: date, service: str | None = None
    ) -> date:
        data = self._call(
            "InternetDocument",
            "getDocumentDeliveryDate",
            {
                "DateTime": ship_on.strftime("%d.%m.%Y"),
                "ServiceType": service or _service_type(destination),
                "CitySender": self._city_ref(origin.city),
                "CityRecipient": self._city_ref(_city(destination)),
            },
        )
        return datetime.strptime(data[0]["DeliveryDate"]["date"][:10], "%Y-%m-%d").date()

    def branches(self, city: str) -> list[Branch]:
        data = self._call(
            "Address", "getWarehouses", {"CityName": city, "Page": "1", "Limit": "500", "Language": "UA"}
        )
        return [_branch(row) for row in data]

    def create_shipment(self, request: ShipmentRequest) -> Booking:
        sender = self._account.sender
        parcel = request.parcel
        properties: dict[str, Any] = {
            "PayerType": "Sender",
            "PaymentMethod": "NonCash",
            "DateTime": self._today().strftime("%d.%m.%Y"),
            "CargoType": "Parcel",
            "Weight": _kilograms(parcel.weight_g),
            "ServiceType": request.service or _service_type(request.destination),
            "SeatsAmount": "1",
            "Description": request.description,
            "Cost": str(_hryvnias(parcel.declared_value)),
            "CitySender": sender.city_ref,
            "Sender": sender.sender_ref,
            "SenderAddress": sender.address_ref,
            "ContactSender": sender.contact_ref,
            "SendersPhone": sender.phone,
            "OptionsSeat": [
                {
                    "volumetricWidth": str(parcel.width_cm),
                    "volumetricLength": str(parcel.length_cm),
                    "volumetricHeight": str(parcel.height_cm),
                    "weight": _kilograms(parcel.weight_g),
                }
            ],
            "InfoRegClientBarcodes": request.shipment_id,
            **_recipient(request.destination),
        }
        document = self._call("InternetDocument", "save", properties)[0]
        number = str(document["IntDocNumber"])
        return Booking(
            carrier=CARRIER_ID,
            tracking_number=number,
            carrier_reference=str(document["Ref"]),
            label=self._label(number),
            label_format="pdf",
            price=Money(amount=_kopiykas(document["CostOnSite"]), currency=CURRENCY),
            estimated_delivery=datetime.strptime(document["EstimatedDeliveryDate"], "%d.%m.%Y").date(),
        )

    def find_shipment(self, request: ShipmentRequest, since: date) -> Booking | None:
        data = self._call(
            "InternetDocument",
            "getDocumentList",
            {
                "DateTimeFrom": since.strftime("%d.%m.%Y"),
                "DateTimeTo": self._today().strftime("%d.%m.%Y"),
                "GetFullList": "1",
            },
        )
        ours = [row for row in data if row.get("InfoRegClientBarcodes") == request.shipment_id]
        if not ours:
            return None
        document = ours[0]
        number = str(document["IntDocNumber"])
        scheduled = str(document.get("ScheduledDeliveryDate") or "")[:10]
        return Booking(
            carrier=CARRIER_ID,
            tracking_number=number,
            carrier_reference=str(document["Ref"]),
            label=self._label(number),
            label_format="pdf",
            price=Money(amount=_kopiykas(document["CostOnSite"]), currency=CURRENCY),
            estimated_delivery=_date(scheduled),
        )

    def cancel(self, tracking_number: str, carrier_reference: str) -> None:
        self._call("InternetDocument", "delete", {"DocumentRefs": carrier_reference})

    def tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingEvent]:
        if len(tracking_numbers) > self.tracking_batch_size:
            raise ValueError(f"at most {self.tracking_batch_size} documents per call")
        phone = self._account.sender.phone
        data = self._call(
            "TrackingDocument",
            "getStatusDocuments",
            {"Documents": [{"DocumentNumber": n, "Phone": phone} for n in tracking_numbers]},
        )
        return [event for row in data if (event := _tracking_event(row)) is not None]

    # --- the wire ----------------------------------------------------------------------------------

    def _call(self, model: str, method: str, properties: dict[str, Any]) -> list[dict[str, Any]]:
        body = {
            "apiKey": self._account.api_key,
            "modelName": model,
            "calledMethod": method,
            "methodProperties": properties,
        }
        status, _, raw = self._transport.request(
            "POST", API_URL, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        if status >= 500 or status == 429:
            raise CarrierUnavailable(f"Nova Poshta answered {status} to {model}.{method}")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise CarrierUnavailable(
                f"Nova Poshta answered {model}.{method} with something not JSON"
            ) from exc
        if not answer.get("success"):
            errors = "; ".join(str(e) for e in answer.get("errors") or ()) or "no reason given"
            raise CarrierRejected(f"Nova Poshta refused {model}.{method}: {errors}", carrier=CARRIER_ID)
        data = answer.get("data") or []
        if method not in ("getCities", "getWarehouses", "getStatusDocuments", "getDocumentList") and not data:
            raise CarrierRejected(f"Nova Poshta answered {model}.{method} with no data", carrier=CARRIER_ID)
        return list(data)

    def _city_ref(self, city: str) -> str:
        key = city.casefold()
        if key not in self._cities:
            data = self._call("Address", "getCities", {"FindByString": city, "Page": "1", "Limit": "20"})
            exact = [
                row
                for row in data
                if city.casefold() in (row["Description"].casefold(), row.get("DescriptionRu", "").casefold())
            ]
            if not (exact or data):
                raise CarrierRejected(f"Nova Poshta does not serve {city!r}", carrier=CARRIER_ID)
            self._cities[key] = (exact or data)[0]["Ref"]
        return self._cities[key]

    def _label(self, number: str) -> bytes:
        url = LABEL_URL.format(number=number, key=self._account.api_key)
        status, _, body = self._transport.request("GET", url)
        if status != 200 or not body.startswith(b"%PDF"):
            raise CarrierUnavailable(f"Nova Poshta did not print the label of {number} ({status})")
        return body


def _service_type(destination: Destination) -> str:
    return "WarehouseWarehouse" if isinstance(destination, BranchDestination) else "WarehouseDoors"


def _city(destination: Destination) -> str:
    return destination.city if isinstance(destination, BranchDestination) else destination.address.city


def _recipient(destination: Destination) -> dict[str, str]:
    common = {"NewAddress": "1", "RecipientType": "PrivatePerson"}
    if isinstance(destination, BranchDestination):
        return {
            **common,
            "RecipientCityName": destination.city,
            "RecipientAddressName": destination.branch_id,
            "RecipientName": destination.recipient_name,
            "RecipientsPhone": _digits(destination.recipient_phone),
        }
    assert isinstance(destination, AddressDestination)
    address = destination.address
    if not address.name or not address.phone:
        raise CarrierRejected("Nova Poshta delivers to the door only with the recipient's name and phone")
    return {
        **common,
        "RecipientCityName": address.city,
        "RecipientArea": address.region or "",
        "RecipientAddressName": address.line1,
        "RecipientHouse": "",
        "RecipientFlat": address.line2 or "",
        "RecipientName": address.name,
        "RecipientsPhone": _digits(address.phone),
    }


def _branch(row: dict[str, Any]) -> Branch:
    # "0" means no limit of that kind: a locker has only a per-place limit.
    limits = [str(row.get(k) or "0") for k in ("TotalMaxWeightAllowed", "PlaceMaxWeightAllowed")]
    max_kg = next((limit for limit in limits if Decimal(limit) > 0), None)
    return Branch(
        carrier=CARRIER_ID,
        branch_id=str(row["Number"]),
        kind="locker" if row.get("CategoryOfWarehouse") == "Postomat" else "branch",
        name=row["Description"],
        address=row.get("ShortAddress") or row["Description"],
        city=row["CityDescription"],
        postal_code=row.get("PostalCodeUA") or None,
        max_weight_g=int(Decimal(max_kg) * 1000) if max_kg else None,
    )


def _tracking_event(row: dict[str, Any]) -> TrackingEvent | None:
    code = str(row.get("StatusCode", ""))
    status = STATUS_CODES.get(code)
    if status is None:
        return None
    stamp = row.get("TrackingUpdateDate") or row.get("DateCreated")
    return TrackingEvent(
        carrier=CARRIER_ID,
        tracking_number=str(row["Number"]),
        event_id=f"{row['Number']}:{code}:{stamp}",
        status=status,
        occurred_at=_kyiv_time(str(stamp)),
        description=row.get("Status"),
        carrier_status=code,
    )


def _kyiv_time(text: str) -> datetime:
    """``2026-12-03 14:20:00`` or ``03-12-2026 14:20:00`` (Kyiv local time, as Nova Poshta writes) in UTC."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=KYIV).astimezone(UTC)
        except ValueError:
            continue
    raise CarrierUnavailable(f"Nova Poshta wrote a time we cannot read: {text!r}")


def _date(text: str) -> date | None:
    """``2026-12-05`` or ``05.12.2026`` (how Nova Poshta's lists write dates); None when absent."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _kilograms(grams: int) -> str:
    return str((Decimal(grams) / 1000).normalize())


def _hryvnias(value: Money) -> int:
    if value.currency != CURRENCY:
        raise CarrierRejected(f"Nova Poshta declares values in {CURRENCY}, not {value.currency}")
    return max(1, -(-value.amount // 100))  # whole hryvnias, rounded up


def _kopiykas(cost: Any) -> int:
    return int(Decimal(str(cost)) * 100)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())
