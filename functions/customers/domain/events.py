"""Events the customers context publishes, and how a change of one of its items becomes them.

Published from the customers table's stream (``customers.handlers.stream``), so an event exists exactly
when its change committed; event ids derive from the customer, the item and its version, so a replayed
record publishes the same ids.

* ``CustomerRegistered`` - the customer's registration was recorded: their sign-up's confirmation (the
  Cognito post-confirmation trigger) or, for an account that never went through it, their first profile
  write. The ``REGISTERED`` item is written once, so the event is published once.
* ``ConsentChanged`` - a channel's marketing consent went to another status (pending, granted, withdrawn).
* ``ConsentConfirmationRequested`` - a double opt-in is pending: the notifications integration sends the
  confirmation link (``/customers/consents/confirm`` with ``confirmation_token``) over that channel.
* ``CustomerGroupChanged`` - staff set or cleared the customer's B2B price group (cart prices by it).
* ``CustomerSegmentChanged`` - the customer's RFM segments changed (names usable as promotion conditions).
* ``CustomerBirthdayReached`` - today is the customer's birthday (the daily job, not the stream): the id
  and the year only, never the birth date (loyalty issues its birthday coupon once per year from it).
* ``CustomerErased`` - the customer's personal data was erased here; every context holding personal data
  of the customer erases its own (docs/decisions.md lists who and what).

Events carry ids, statuses and names of our own lists, never personal data: the archive cannot erase.
The confirmation token is not personal either: it names the customer's id and channel and stops working
once used or after ``expires_at``.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from customers.domain.models import ConsentStatus, MarketingChannel
from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.customers"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("0b3c6f52-9d1e-4a7b-8c2d-5e6f7a8b9c0d")
SegmentName = Literal["champions", "loyal", "new_customer", "big_spender", "at_risk", "hibernating"]


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerRegistered(EventModel):
    customer_id: str = Field(description="Cognito sub")
    registered_at: str


class ConsentChanged(EventModel):
    customer_id: str
    channel: MarketingChannel
    status: ConsentStatus
    previous_status: ConsentStatus
    changed_at: str


class ConsentConfirmationRequested(EventModel):
    customer_id: str
    channel: MarketingChannel
    confirmation_token: str = Field(description="POST it to /customers/consents/confirm; single use")
    expires_at: str


class CustomerGroupChanged(EventModel):
    customer_id: str
    group: str | None = Field(description="The B2B price group (a price list name); None: retail")
    previous_group: str | None
    changed_at: str


class CustomerSegmentChanged(EventModel):
    customer_id: str
    segments: list[SegmentName]
    previous_segments: list[SegmentName]
    computed_at: str


class CustomerBirthdayReached(EventModel):
    customer_id: str
    year: int = Field(ge=1900, description="The year of this birthday: one event (and coupon) per year")
    reached_at: str = Field(description="When the daily job found it (UTC)")


class CustomerErased(EventModel):
    customer_id: str
    erased_at: str


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "CustomerRegistered": CustomerRegistered,
    "ConsentChanged": ConsentChanged,
    "ConsentConfirmationRequested": ConsentConfirmationRequested,
    "CustomerGroupChanged": CustomerGroupChanged,
    "CustomerSegmentChanged": CustomerSegmentChanged,
    "CustomerErased": CustomerErased,
    "CustomerBirthdayReached": CustomerBirthdayReached,
}


def event_id(customer_id: str, detail_type: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{customer_id}:{detail_type}:{key}"))


def _event(detail_type: str, data: EventModel, customer_id: str, at: str, key: str) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=event_id(customer_id, detail_type, key),
        correlation_id=customer_id,
    )


ConfirmationLink = Any  # Callable[[customer_id, Channel, nonce, confirm_by], str]


def events_for_change(
    old: dict[str, Any] | None, new: dict[str, Any] | None, confirmation_link: ConfirmationLink
) -> list[DomainEvent]:
    """The events one committed change of a customers item means (items as the adapter's ``view_of``
    returns them: ``type``, ``customer_id``, ``version`` and the item's fields)."""
    if new is None:
        return []  # a removal (erasure deletes items; the tombstone's insertion announces it)
    kind, customer = new["type"], new["customer_id"]
    key = str(new.get("version", 1))
    if kind == "registration" and old is None:
        data = CustomerRegistered(customer_id=customer, registered_at=new["registered_at"])
        return [_event("CustomerRegistered", data, customer, new["registered_at"], "1")]
    if kind == "consent":
        return _consent_events(old, new, confirmation_link)
    if kind == "group" and (old or {}).get("group") != new.get("group"):
        group = CustomerGroupChanged(
            customer_id=customer,
            group=new.get("group"),
            previous_group=(old or {}).get("group"),
            changed_at=new["changed_at"],
        )
        return [_event("CustomerGroupChanged", group, customer, new["changed_at"], key)]
    if kind == "segments" and (old or {}).get("names", []) != new.get("names", []):
        segments = CustomerSegmentChanged(
            customer_id=customer,
            segments=new.get("names", []),
            previous_segments=(old or {}).get("names", []),
            computed_at=new["computed_at"],
        )
        return [_event("CustomerSegmentChanged", segments, customer, new["computed_at"], key)]
    if kind == "erasure" and old is None:
        erased = CustomerErased(customer_id=customer, erased_at=new["erased_at"])
        return [_event("CustomerErased", erased, customer, new["erased_at"], "1")]
    return []


def _consent_events(
    old: dict[str, Any] | None, new: dict[str, Any], confirmation_link: ConfirmationLink
) -> list[DomainEvent]:
    customer, channel = new["customer_id"], MarketingChannel(new["channel"])
    status = ConsentStatus(new["status"])
    previous = ConsentStatus((old or {}).get("status", ConsentStatus.NONE.value))
    key = f"{channel.value}:{new['version']}"
    events: list[DomainEvent] = []
    if status != previous:
        changed = ConsentChanged(
            customer_id=customer,
            channel=channel,
            status=status,
            previous_status=previous,
            changed_at=new["updated_at"],
        )
        events.append(_event("ConsentChanged", changed, customer, new["updated_at"], key))
    if status is ConsentStatus.PENDING and new.get("nonce") != (old or {}).get("nonce"):
        token = confirmation_link(customer, channel, new["nonce"], new["confirm_by"])
        requested = ConsentConfirmationRequested(
            customer_id=customer, channel=channel, confirmation_token=token, expires_at=new["confirm_by"]
        )
        events.append(_event("ConsentConfirmationRequested", requested, customer, new["updated_at"], key))
    return events


def birthday_reached(customer_id: str, year: int, at: str) -> DomainEvent:
    """The same id for a customer and year, however often the job runs that day."""
    data = CustomerBirthdayReached(customer_id=customer_id, year=year, reached_at=at)
    return _event("CustomerBirthdayReached", data, customer_id, at, str(year))
