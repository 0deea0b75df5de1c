"""What the customers domain needs from storage. The DynamoDB adapter (``customers.adapters.dynamo``)
implements it; every write that could race is conditional, and a lost race is ``VersionConflict``."""

from __future__ import annotations

from typing import Protocol

from customers.domain.models import (
    Consent,
    CustomerConsentRecord,
    CustomerNote,
    CustomerProfile,
    CustomerRecord,
    GroupAssignment,
    OrderFact,
    Segments,
)


class VersionConflict(Exception):
    """The item changed (or appeared, or the customer was erased) since it was read."""


class CustomerStore(Protocol):
    def load(self, customer_id: str) -> CustomerRecord:
        """Everything held about the customer (an empty record for a stranger)."""
        ...

    def save_profile(
        self, profile: CustomerProfile, expected_version: int | None, registered_at: str | None = None
    ) -> None:
        """Creates (``expected_version`` None) or replaces the profile at that version; with
        ``registered_at``, records the registration in the same write (a conflict if one exists)."""
        ...

    def register(self, customer_id: str, registered_at: str) -> bool:
        """Records the customer's registration once: False when it was already recorded (or the
        customer was erased)."""
        ...

    def birthdays(self, month_day: str) -> list[str]:
        """The customers whose birth date falls on ``MM-DD``."""
        ...

    def price_group(self, customer_id: str) -> str | None:
        """The B2B price group staff set (None: retail), read alone (one GetItem)."""
        ...

    def save_consent(
        self, customer_id: str, consent: Consent, expected_version: int, record: CustomerConsentRecord
    ) -> None:
        """The channel's new state and its history entry, in one write."""
        ...

    def save_group(self, customer_id: str, group: GroupAssignment, expected_version: int) -> None: ...

    def add_note(self, customer_id: str, note: CustomerNote) -> None: ...

    def record_order(self, customer_id: str, fact: OrderFact) -> bool:
        """Remembers a placed order once (False when already known); an order cancelled before it was
        seen placed is remembered as cancelled."""
        ...

    def cancel_order(self, order_id: str, at: str) -> str | None:
        """Marks a remembered order cancelled and returns its customer; None (and a marker for a later
        ``record_order``) when the order is not known yet."""
        ...

    def save_segments(self, customer_id: str, segments: Segments, expected_version: int) -> None: ...

    def erase(self, customer_id: str, erased_at: str, requested_by: str) -> None:
        """Deletes every item of the customer and leaves a tombstone holding no personal data."""
        ...
