"""Request and response models of the customers API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from customers.domain.models import (
    NOTE_EXAMPLE,
    PROFILE_EXAMPLE,
    SUB_EXAMPLE,
    Consent,
    ConsentSource,
    ConsentStatus,
    CustomerConsentRecord,
    CustomerNote,
    CustomerProfile,
    CustomerRecord,
    GroupAssignment,
    MarketingChannel,
    OrderFact,
    PriceGroup,
    Segments,
)
from customers.domain.tokens import MAX_TOKEN_LENGTH
from shop_kernel.money import Money

LinkToken = Annotated[
    str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


CONSENT_EXAMPLE = {"channel": "email", "status": "granted", "updated_at": "2026-12-01T18:03:00.000Z"}
GROUP_EXAMPLE = {
    "customer_id": SUB_EXAMPLE,
    "group": "b2b_gold",
    "version": 1,
    "changed_by": "c0ffee00-1234-4abc-9def-0123456789ab",
    "changed_at": "2026-12-01T18:04:00.000Z",
}
SEGMENTS_EXAMPLE = {
    "names": ["new_customer"],
    "recency": 5,
    "frequency": 1,
    "monetary": 2,
    "computed_at": "2026-12-01T18:06:00.000Z",
}
ORDER_EXAMPLE = {
    "order_id": "ord_01JDQ4B2C3D4E5F6G7H8J9K0M1",
    "placed_at": "2026-11-30T09:00:00.000Z",
    "total": {"amount": 12000, "currency": "EUR"},
    "cancelled": False,
    "href": "/admin/orders/ord_01JDQ4B2C3D4E5F6G7H8J9K0M1",
}


class CustomerConsentChange(Closed):
    """``granted: true`` asks for a double opt-in (a confirmation link is sent over the channel);
    ``false`` withdraws at once."""

    granted: bool
    source: ConsentSource = "account"


class CustomerSupportConsentChange(Closed):
    """What the customer asked support for: ``false`` withdraws at once; ``true`` sends them the double opt-in
    link (an agent cannot grant consent on a customer's behalf)."""

    granted: bool


class CustomerConsentConfirmation(Closed):
    token: LinkToken = Field(description="The confirmation token from the link sent over the channel")


class CustomerConsent(Closed):
    model_config = _examples(CONSENT_EXAMPLE)

    channel: MarketingChannel
    status: ConsentStatus
    updated_at: str | None = None

    @classmethod
    def of(cls, consent: Consent) -> CustomerConsent:
        return cls(channel=consent.channel, status=consent.status, updated_at=consent.updated_at)


class CustomerConsents(Closed):
    model_config = _examples(
        {"consents": [CONSENT_EXAMPLE, {"channel": "sms", "status": "none", "updated_at": None}]}
    )

    consents: list[CustomerConsent]


class CustomerGroupChange(Closed):
    group: PriceGroup | None = Field(description="The B2B price group (a price list name); null: retail")


class CustomerGroup(Closed):
    model_config = _examples(GROUP_EXAMPLE)

    customer_id: str
    group: str | None
    version: int
    changed_by: str | None = None
    changed_at: str | None = None

    @classmethod
    def of(cls, customer_id: str, group: GroupAssignment) -> CustomerGroup:
        return cls(customer_id=customer_id, **group.model_dump())


class CustomerNoteDraft(Closed):
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class CustomerSegments(Closed):
    model_config = _examples(SEGMENTS_EXAMPLE)

    names: list[str] = Field(description="Segment names promotions may use as conditions")
    recency: int
    frequency: int
    monetary: int
    computed_at: str | None = None

    @classmethod
    def of(cls, segments: Segments) -> CustomerSegments:
        return cls(**segments.model_dump(exclude={"version"}))


class CustomerOrderLink(Closed):
    model_config = _examples(ORDER_EXAMPLE)

    order_id: str
    placed_at: str
    total: Money
    cancelled: bool
    href: str = Field(description="The order in the staff order API")

    @classmethod
    def of(cls, order: OrderFact) -> CustomerOrderLink:
        return cls(**order.model_dump(), href=f"/admin/orders/{order.order_id}")


class CustomerAgentView(Closed):
    """A customer as an agent sees them. Orders are the ids this context knows (links to the staff order
    API); points and tiers are loyalty's (``loyalty_href``), read by the agent UI from there."""

    model_config = _examples(
        {
            "customer_id": SUB_EXAMPLE,
            "profile": PROFILE_EXAMPLE,
            "consents": [CONSENT_EXAMPLE],
            "notes": [NOTE_EXAMPLE],
            "group": GROUP_EXAMPLE,
            "segments": SEGMENTS_EXAMPLE,
            "orders": [ORDER_EXAMPLE],
            "loyalty_href": f"/admin/loyalty/members/{SUB_EXAMPLE}",
        }
    )

    customer_id: str
    profile: CustomerProfile | None
    consents: list[CustomerConsent]
    notes: list[CustomerNote]
    group: CustomerGroup
    segments: CustomerSegments
    orders: list[CustomerOrderLink]
    loyalty_href: str

    @classmethod
    def of(cls, record: CustomerRecord) -> CustomerAgentView:
        return cls(
            customer_id=record.customer_id,
            profile=record.profile,
            consents=[CustomerConsent.of(record.consent(channel)) for channel in MarketingChannel],
            notes=sorted(record.notes, key=lambda n: n.at, reverse=True),
            group=CustomerGroup.of(record.customer_id, record.group),
            segments=CustomerSegments.of(record.segments),
            orders=[
                CustomerOrderLink.of(o)
                for o in sorted(record.orders, key=lambda o: o.placed_at, reverse=True)
            ],
            loyalty_href=f"/admin/loyalty/members/{record.customer_id}",
        )


class CustomerExport(Closed):
    """Everything the customers context holds about the customer (GDPR access and portability)."""

    model_config = _examples(
        {
            "customer_id": SUB_EXAMPLE,
            "exported_at": "2026-12-02T08:00:00.000Z",
            "profile": PROFILE_EXAMPLE,
            "consents": [CONSENT_EXAMPLE],
            "consent_history": [
                {
                    "channel": "email",
                    "status": "pending",
                    "actor": "customer",
                    "source": "account",
                    "at": "2026-12-01T18:02:30.000Z",
                },
                {
                    "channel": "email",
                    "status": "granted",
                    "actor": "confirmation_link",
                    "source": "link",
                    "at": "2026-12-01T18:03:00.000Z",
                },
            ],
            "notes": [NOTE_EXAMPLE],
            "group": GROUP_EXAMPLE,
            "segments": SEGMENTS_EXAMPLE,
            "orders": [ORDER_EXAMPLE],
        }
    )

    customer_id: str
    exported_at: str
    profile: CustomerProfile | None
    consents: list[CustomerConsent]
    consent_history: list[CustomerConsentRecord]
    notes: list[CustomerNote]
    group: CustomerGroup
    segments: CustomerSegments
    orders: list[CustomerOrderLink]

    @classmethod
    def of(cls, record: CustomerRecord, at: str) -> CustomerExport:
        view = CustomerAgentView.of(record)
        return cls(
            customer_id=record.customer_id,
            exported_at=at,
            profile=record.profile,
            consents=view.consents,
            consent_history=sorted(record.consent_history, key=lambda r: r.at),
            notes=view.notes,
            group=view.group,
            segments=view.segments,
            orders=view.orders,
        )


class CustomerErasure(Closed):
    model_config = _examples({"customer_id": SUB_EXAMPLE, "erased_at": "2026-12-02T08:05:00.000Z"})

    customer_id: str
    erased_at: str
