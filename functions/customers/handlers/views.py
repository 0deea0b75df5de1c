"""Request and response models of the customers API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from customers.domain.models import (
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


class CustomerConsentChange(Closed):
    """``granted: true`` asks for a double opt-in (a confirmation link is sent over the channel);
    ``false`` withdraws at once."""

    granted: bool
    source: ConsentSource = "account"


class CustomerConsentConfirmation(Closed):
    token: LinkToken = Field(description="The confirmation token from the link sent over the channel")


class CustomerConsent(Closed):
    channel: MarketingChannel
    status: ConsentStatus
    updated_at: str | None = None

    @classmethod
    def of(cls, consent: Consent) -> CustomerConsent:
        return cls(channel=consent.channel, status=consent.status, updated_at=consent.updated_at)


class CustomerConsents(Closed):
    consents: list[CustomerConsent]


class CustomerGroupChange(Closed):
    group: PriceGroup | None = Field(description="The B2B price group (a price list name); null: retail")


class CustomerGroup(Closed):
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
    names: list[str] = Field(description="Segment names promotions may use as conditions")
    recency: int
    frequency: int
    monetary: int
    computed_at: str | None = None

    @classmethod
    def of(cls, segments: Segments) -> CustomerSegments:
        return cls(**segments.model_dump(exclude={"version"}))


class CustomerOrderLink(Closed):
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
    customer_id: str
    erased_at: str
