"""What the customers context knows about a customer: profile and address book, marketing consents per
channel with their history, the B2B price group staff set, agents' notes, and the RFM segments.

The Cognito ``sub`` is the customer's id everywhere (claims, events, this table's keys). Addresses are the
kernel's one ``Address`` model, so a saved address is exactly what checkout accepts as a destination.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from shop_kernel.address import Address
from shop_kernel.money import Currency, Money, validate_currency

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all, no separators.
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164 = Annotated[str, Field(pattern=E164_PATTERN, examples=["+380441234567"])]
PersonName = Annotated[str, Field(min_length=1, max_length=100, examples=["Olena"])]
Language = Literal["en", "uk"]
# A B2B price list name as catalog prices and the ``custom:price_group`` claim name it.
PRICE_GROUP_PATTERN = r"^[a-z0-9][a-z0-9_]{0,63}$"
PriceGroup = Annotated[str, Field(pattern=PRICE_GROUP_PATTERN, examples=["b2b_gold"])]
ADDRESS_ID_PATTERN = r"^addr_[0-9A-HJKMNP-TV-Z]{26}$"
AddressId = Annotated[str, Field(pattern=ADDRESS_ID_PATTERN)]
MAX_PHONES = 5
MAX_ADDRESSES = 20


class CustomerPhone(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mobile", "home", "work"] = "mobile"
    number: E164


class CustomerSavedAddress(BaseModel):
    """An address-book entry. Exactly zero or one entry is the default for shipping, and for billing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: AddressId
    label: Annotated[str, Field(max_length=50)] | None = None
    address: Address
    default_shipping: bool = False
    default_billing: bool = False


SUB_EXAMPLE = "5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"
PROFILE_EXAMPLE: JsonDict = {
    "customer_id": SUB_EXAMPLE,
    "given_name": "Olena",
    "family_name": "Shevchenko",
    "phones": [{"kind": "mobile", "number": "+380441234567"}],
    "addresses": [
        {
            "id": "addr_01JDQ3ZK8V9X2N4M6P8R0T2W4Y",
            "label": "home",
            "address": {"line1": "Khreshchatyk 1", "city": "Kyiv", "postal_code": "01001", "country": "UA"},
            "default_shipping": True,
            "default_billing": True,
        }
    ],
    "language": "uk",
    "currency": "UAH",
    "birth_date": "1990-12-03",
    "version": 2,
    "created_at": "2026-11-20T09:15:00.000Z",
    "updated_at": "2026-12-01T18:02:11.000Z",
}
NOTE_EXAMPLE: JsonDict = {
    "id": "note_01JDQ4A1B2C3D4E5F6G7H8J9K0",
    "text": "Asked to be called after 18:00",
    "author": "c0ffee00-1234-4abc-9def-0123456789ab",
    "at": "2026-12-01T18:05:00.000Z",
}


# The customer's birth date (ISO ``YYYY-MM-DD``), optional: loyalty's birthday coupon is issued on it. It is
# personal data and stays here: the daily job publishes only the customer's id and the year.
BirthDate = Annotated[date, Field(ge=date(1900, 1, 1), description="ISO date; never in the future")]


class CustomerProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [PROFILE_EXAMPLE]})

    customer_id: str
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    phones: list[CustomerPhone] = Field(default_factory=list, max_length=MAX_PHONES)
    addresses: list[CustomerSavedAddress] = Field(default_factory=list, max_length=MAX_ADDRESSES)
    language: Language | None = None
    currency: Currency | None = None
    birth_date: BirthDate | None = None
    version: int = Field(ge=1)
    created_at: str
    updated_at: str

    @model_validator(mode="after")
    def _one_default_each(self) -> CustomerProfile:
        _one_default_each(self.addresses)
        return self


def _one_default_each(addresses: list[CustomerSavedAddress] | list[CustomerAddressDraft]) -> None:
    for flag in ("default_shipping", "default_billing"):
        if sum(1 for entry in addresses if getattr(entry, flag)) > 1:
            raise ValueError(f"at most one address may be the {flag.replace('_', ' ')} address")


class MarketingChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VIBER = "viber"
    TELEGRAM = "telegram"


class ConsentStatus(StrEnum):
    NONE = "none"  # never asked
    PENDING = "pending"  # asked for, waiting for the double opt-in confirmation
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentActor(StrEnum):
    """Who made a consent change; never an address or a device (the history is IP-less)."""

    CUSTOMER = "customer"
    CONFIRMATION_LINK = "confirmation_link"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    AGENT = "agent"


ConsentSource = Literal["account", "checkout", "newsletter_form", "support"]


class Consent(BaseModel):
    """A channel's current consent. ``nonce`` is the pending confirmation's: a link is good for it only."""

    model_config = ConfigDict(frozen=True)

    channel: MarketingChannel
    status: ConsentStatus = ConsentStatus.NONE
    version: int = 0
    updated_at: str | None = None
    nonce: str | None = None
    confirm_by: str | None = None


class CustomerConsentRecord(BaseModel):
    """One append-only history entry: the status a channel went to, by whom, when, from where."""

    model_config = ConfigDict(frozen=True)

    channel: MarketingChannel
    status: ConsentStatus
    actor: ConsentActor
    source: str
    at: str


class CustomerNote(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [NOTE_EXAMPLE]})

    id: str
    text: str
    author: str = Field(description="The agent's Cognito sub")
    at: str


class GroupAssignment(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str | None = None
    version: int = 0
    changed_by: str | None = None
    changed_at: str | None = None


class OrderFact(BaseModel):
    """An order as far as segments care: when, how much, whether it still counts."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    placed_at: str
    total: Money
    cancelled: bool = False


class Segments(BaseModel):
    model_config = ConfigDict(frozen=True)

    names: list[str] = Field(default_factory=list)
    recency: int = Field(ge=0, le=5, default=0)
    frequency: int = Field(ge=0, le=5, default=0)
    monetary: int = Field(ge=0, le=5, default=0)
    version: int = 0
    computed_at: str | None = None


class CustomerRecord(BaseModel):
    """Everything the context holds about one customer (the GDPR export and the agent view read it)."""

    customer_id: str
    profile: CustomerProfile | None = None
    consents: list[Consent] = Field(default_factory=list)
    consent_history: list[CustomerConsentRecord] = Field(default_factory=list)
    notes: list[CustomerNote] = Field(default_factory=list)
    group: GroupAssignment = Field(default_factory=GroupAssignment)
    segments: Segments = Field(default_factory=Segments)
    orders: list[OrderFact] = Field(default_factory=list)
    # When the customer registered: their sign-up's confirmation (the Cognito trigger) or, for an account
    # that never went through it, their first profile write. Written once; CustomerRegistered follows it.
    registered_at: str | None = None
    erased_at: str | None = None

    def consent(self, channel: MarketingChannel) -> Consent:
        return next((c for c in self.consents if c.channel == channel), Consent(channel=channel))


class CustomerAddressDraft(BaseModel):
    """An address-book entry as a client sends it: ``id`` keeps an entry it read, absent adds one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: AddressId | None = None
    label: Annotated[str, Field(max_length=50)] | None = None
    address: Address
    default_shipping: bool = False
    default_billing: bool = False


class CustomerProfileDraft(BaseModel):
    """The whole profile as the customer wants it (a PUT replaces it)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "given_name": "Olena",
                    "family_name": "Shevchenko",
                    "phones": [{"kind": "mobile", "number": "+380441234567"}],
                    "addresses": [
                        {
                            "label": "home",
                            "address": {"line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"},
                            "default_shipping": True,
                        }
                    ],
                    "language": "uk",
                    "currency": "UAH",
                    "birth_date": "1990-12-03",
                }
            ]
        },
    )

    given_name: PersonName | None = None
    family_name: PersonName | None = None
    phones: list[CustomerPhone] = Field(default_factory=list, max_length=MAX_PHONES)
    addresses: list[CustomerAddressDraft] = Field(default_factory=list, max_length=MAX_ADDRESSES)
    language: Language | None = None
    currency: Currency | None = None
    birth_date: BirthDate | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        return None if value is None else validate_currency(value)

    @model_validator(mode="after")
    def _one_default_each(self) -> CustomerProfileDraft:
        _one_default_each(self.addresses)
        ids = [entry.id for entry in self.addresses if entry.id is not None]
        if len(ids) != len(set(ids)):
            raise ValueError("an address id may appear once")
        return self
