"""An in-memory ``CustomerStore`` with the DynamoDB adapter's conditions (versions, the erasure tombstone),
so the customers domain is tested without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from customers.domain.ports import VersionConflict
from customers.domain.service import CustomerService
from customers.domain.tokens import LinkSigner
from shop_kernel.clock import FixedClock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class MemoryCustomerStore:
    def __init__(self) -> None:
        self.records: dict[str, CustomerRecord] = {}
        self.owners: dict[str, tuple[str | None, bool]] = {}  # order id -> (customer, cancelled)

    def load(self, customer_id: str) -> CustomerRecord:
        return self.records.get(customer_id, CustomerRecord(customer_id=customer_id)).model_copy(deep=True)

    def _live(self, customer_id: str) -> CustomerRecord:
        record = self.load(customer_id)
        if record.erased_at is not None:
            raise VersionConflict("erased")
        return record

    def _put(self, record: CustomerRecord) -> None:
        self.records[record.customer_id] = record

    def save_profile(
        self, profile: CustomerProfile, expected_version: int | None, registered_at: str | None = None
    ) -> None:
        record = self._live(profile.customer_id)
        found = record.profile.version if record.profile else None
        if found != expected_version or (registered_at is not None and record.registered_at is not None):
            raise VersionConflict("profile")
        update: dict[str, object] = {"profile": profile}
        if registered_at is not None:
            update["registered_at"] = registered_at
        self._put(record.model_copy(update=update))

    def register(self, customer_id: str, registered_at: str) -> bool:
        record = self.load(customer_id)
        if record.erased_at is not None or record.registered_at is not None:
            return False
        self._put(record.model_copy(update={"registered_at": registered_at}))
        return True

    def price_group(self, customer_id: str) -> str | None:
        return self.load(customer_id).group.group

    def save_consent(
        self, customer_id: str, consent: Consent, expected_version: int, entry: CustomerConsentRecord
    ) -> None:
        record = self._live(customer_id)
        if record.consent(consent.channel).version != expected_version:
            raise VersionConflict("consent")
        others = [c for c in record.consents if c.channel != consent.channel]
        self._put(
            record.model_copy(
                update={"consents": [*others, consent], "consent_history": [*record.consent_history, entry]}
            )
        )

    def save_group(self, customer_id: str, group: GroupAssignment, expected_version: int) -> None:
        record = self._live(customer_id)
        if record.group.version != expected_version:
            raise VersionConflict("group")
        self._put(record.model_copy(update={"group": group}))

    def add_note(self, customer_id: str, note: CustomerNote) -> None:
        record = self._live(customer_id)
        self._put(record.model_copy(update={"notes": [*record.notes, note]}))

    def record_order(self, customer_id: str, fact: OrderFact) -> bool:
        record = self._live(customer_id)
        owner, cancelled = self.owners.get(fact.order_id, (None, False))
        if owner is not None:
            return False
        self.owners[fact.order_id] = (customer_id, cancelled)
        counted = fact.model_copy(update={"cancelled": cancelled})
        self._put(record.model_copy(update={"orders": [*record.orders, counted]}))
        return True

    def cancel_order(self, order_id: str, at: str) -> str | None:
        owner, _ = self.owners.get(order_id, (None, False))
        self.owners[order_id] = (owner, True)
        if owner is None or owner not in self.records or self.records[owner].erased_at:
            return None
        record = self.records[owner]
        orders = [
            o.model_copy(update={"cancelled": True}) if o.order_id == order_id else o for o in record.orders
        ]
        self._put(record.model_copy(update={"orders": orders}))
        return owner

    def save_segments(self, customer_id: str, segments: Segments, expected_version: int) -> None:
        record = self._live(customer_id)
        if record.segments.version != expected_version:
            raise VersionConflict("segments")
        self._put(record.model_copy(update={"segments": segments}))

    def erase(self, customer_id: str, erased_at: str, requested_by: str) -> None:
        for order in self.load(customer_id).orders:
            self.owners.pop(order.order_id, None)
        self._put(CustomerRecord(customer_id=customer_id, erased_at=erased_at))


def signer(key: bytes = b"k" * 32) -> LinkSigner:
    return LinkSigner(lambda: key)


def service(store: MemoryCustomerStore | None = None, clock: FixedClock | None = None) -> CustomerService:
    return CustomerService(
        store or MemoryCustomerStore(), signer(), clock or FixedClock(NOW), timedelta(hours=48)
    )
