"""The customers context's commands and queries: one method per thing a route or a consumer does.

Writes go through ``CustomerStore`` conditioned on the version read; a lost race is a 412 when the client
named the version it read (If-Match), and a 409 otherwise. An erased customer is gone for good: writes
about them are refused (409) and order events about them are ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from customers.domain import rfm
from customers.domain.models import (
    Consent,
    ConsentActor,
    ConsentStatus,
    CustomerConsentRecord,
    CustomerNote,
    CustomerProfile,
    CustomerProfileDraft,
    CustomerRecord,
    CustomerSavedAddress,
    GroupAssignment,
    MarketingChannel,
    OrderFact,
    Segments,
)
from customers.domain.ports import CustomerStore, VersionConflict
from customers.domain.tokens import LinkSigner
from shop_kernel.clock import Clock, isoformat
from shop_kernel.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from shop_kernel.ids import new_id, new_ulid
from shop_kernel.money import Money
from shop_kernel.observability import logger

TOKEN_FIELD = "body.token"  # noqa: S105 - a field path in a 422, not a secret


class CustomerService:
    def __init__(
        self, store: CustomerStore, links: LinkSigner, clock: Clock, confirmation_ttl: timedelta
    ) -> None:
        self._store = store
        self._links = links
        self._clock = clock
        self._confirmation_ttl = confirmation_ttl

    # --- profile -------------------------------------------------------------------------------------

    def _live(self, customer_id: str) -> CustomerRecord:
        record = self._store.load(customer_id)
        if record.erased_at is not None:
            raise Conflict("this customer's data was erased")
        return record

    def profile(self, customer_id: str) -> CustomerProfile:
        profile = self._live(customer_id).profile
        if profile is None:
            raise NotFound("no profile yet: PUT /me/profile creates it")
        return profile

    def save_profile(
        self, customer_id: str, draft: CustomerProfileDraft, if_match: int | None
    ) -> tuple[CustomerProfile, bool]:
        """The new profile and whether it was created. Creating needs no If-Match; replacing needs it."""
        record = self._live(customer_id)
        current = record.profile
        if current is None and if_match is not None:
            raise PreconditionFailed("there is no profile at that version: send no If-Match to create it")
        if current is not None and if_match is None:
            raise PreconditionRequired("send If-Match with the ETag of the profile you read")
        if current is not None and if_match != current.version:
            raise PreconditionFailed("the profile changed since you read it; read it again")
        if draft.birth_date is not None and draft.birth_date > self._clock.now().date():
            raise ValidationFailed.on(
                "body.birth_date", "a birth date cannot be in the future", "future_date"
            )
        now = isoformat(self._clock.now())
        profile = CustomerProfile(
            customer_id=customer_id,
            given_name=draft.given_name,
            family_name=draft.family_name,
            phones=draft.phones,
            addresses=_address_book(draft, current),
            language=draft.language,
            currency=draft.currency,
            birth_date=draft.birth_date,
            version=1 if current is None else current.version + 1,
            created_at=now if current is None else current.created_at,
            updated_at=now,
        )
        try:
            # An account that never went through the sign-up trigger (created by an administrator, or
            # signed up before it existed) registers with its first profile.
            registers = current is None and record.registered_at is None
            self._store.save_profile(
                profile, None if current is None else current.version, now if registers else None
            )
        except VersionConflict as exc:
            raise PreconditionFailed("the profile changed since you read it; read it again") from exc
        return profile, current is None

    def register(self, customer_id: str) -> bool:
        """Records that the customer signed up (their sign-up was confirmed): True the first time, False
        when it was already recorded (a retried trigger, or a profile written first) or they were erased."""
        registered = self._store.register(customer_id, isoformat(self._clock.now()))
        logger.info("registration", extra={"customer_id": customer_id, "recorded": registered})
        return registered

    # --- consents ------------------------------------------------------------------------------------

    def consents(self, customer_id: str) -> list[Consent]:
        record = self._live(customer_id)
        return [record.consent(channel) for channel in MarketingChannel]

    def set_consent(
        self,
        customer_id: str,
        channel: MarketingChannel,
        granted: bool,
        source: str,
        actor: ConsentActor = ConsentActor.CUSTOMER,
    ) -> Consent:
        """Granting starts a double opt-in (pending until the link is followed; asking again sends a new
        link); withdrawing takes effect at once. Asking for the status a channel has changes nothing."""
        current = self._live(customer_id).consent(channel)
        now = self._clock.now()
        if granted and current.status is ConsentStatus.GRANTED:
            return current
        if not granted and current.status in (ConsentStatus.NONE, ConsentStatus.WITHDRAWN):
            return current
        if granted:
            changed = current.model_copy(
                update={
                    "status": ConsentStatus.PENDING,
                    "nonce": new_ulid(),
                    "confirm_by": isoformat(now + self._confirmation_ttl),
                }
            )
        else:
            changed = current.model_copy(
                update={"status": ConsentStatus.WITHDRAWN, "nonce": None, "confirm_by": None}
            )
        return self._save_consent(customer_id, current, changed, actor, source, now)

    def _save_consent(
        self,
        customer_id: str,
        current: Consent,
        changed: Consent,
        actor: ConsentActor,
        source: str,
        now: datetime,
    ) -> Consent:
        at = isoformat(now)
        saved = changed.model_copy(update={"version": current.version + 1, "updated_at": at})
        record = CustomerConsentRecord(
            channel=saved.channel, status=saved.status, actor=actor, source=source, at=at
        )
        try:
            self._store.save_consent(customer_id, saved, current.version, record)
        except VersionConflict as exc:
            raise Conflict("the consent changed meanwhile; try again") from exc
        return saved

    def confirm_consent(self, token: str) -> tuple[str, Consent]:
        """Follows a double opt-in link: the pending consent it was sent for becomes granted, once."""
        now = self._clock.now()
        claims = self._links.verify(token, "confirm", now, TOKEN_FIELD)
        record = self._store.load(claims.customer_id)
        current = record.consent(claims.channel)
        if record.erased_at is not None or current.status is not ConsentStatus.PENDING:
            raise Conflict("this link was used already, or the consent changed since it was sent")
        if current.nonce != claims.nonce:
            raise Conflict("a newer confirmation link was sent: follow the latest one")
        changed = current.model_copy(
            update={"status": ConsentStatus.GRANTED, "nonce": None, "confirm_by": None}
        )
        return claims.customer_id, self._save_consent(
            claims.customer_id, current, changed, ConsentActor.CONFIRMATION_LINK, "link", now
        )

    def unsubscribe(self, token: str, field: str) -> tuple[str, Consent]:
        """One-click unsubscribe: the channel's consent is withdrawn (answered alike when it already was)."""
        now = self._clock.now()
        claims = self._links.verify(token, "unsubscribe", now, field)
        record = self._store.load(claims.customer_id)
        current = record.consent(claims.channel)
        if record.erased_at is not None or current.status not in (
            ConsentStatus.GRANTED,
            ConsentStatus.PENDING,
        ):
            return claims.customer_id, current.model_copy(update={"nonce": None, "confirm_by": None})
        changed = current.model_copy(
            update={"status": ConsentStatus.WITHDRAWN, "nonce": None, "confirm_by": None}
        )
        return claims.customer_id, self._save_consent(
            claims.customer_id, current, changed, ConsentActor.UNSUBSCRIBE_LINK, "link", now
        )

    def unsubscribe_link(self, customer_id: str, channel: MarketingChannel) -> str:
        return self._links.unsubscribe(customer_id, channel)

    # --- staff: group and notes ------------------------------------------------------------------------

    def set_group(
        self, customer_id: str, group: str | None, staff: str, if_match: int | None
    ) -> GroupAssignment:
        current = self._live(customer_id).group
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed("the group changed since you read it; read it again")
        if current.group == group:
            return current
        changed = GroupAssignment(
            group=group,
            version=current.version + 1,
            changed_by=staff,
            changed_at=isoformat(self._clock.now()),
        )
        try:
            self._store.save_group(customer_id, changed, current.version)
        except VersionConflict as exc:
            raise PreconditionFailed("the group changed meanwhile; read it again") from exc
        logger.info(
            "audit: price group set", extra={"customer_id": customer_id, "staff": staff, "group": group}
        )
        return changed

    def add_note(self, customer_id: str, text: str, author: str) -> CustomerNote:
        self._live(customer_id)
        note = CustomerNote(id=new_id("note"), text=text, author=author, at=isoformat(self._clock.now()))
        try:
            self._store.add_note(customer_id, note)
        except VersionConflict as exc:
            raise Conflict("this customer's data was erased") from exc
        logger.info(
            "audit: note added", extra={"customer_id": customer_id, "staff": author, "note_id": note.id}
        )
        return note

    # --- export, agent view, erasure ---------------------------------------------------------------------

    def record(self, customer_id: str, *, known: bool = True) -> CustomerRecord:
        """Everything held about the customer (409 once erased). ``known``: a stranger is a 404 (the
        agent view); otherwise their record is empty (a customer's own export)."""
        record = self._live(customer_id)
        if known and record == CustomerRecord(customer_id=customer_id):
            raise NotFound("we hold nothing about this customer")
        return record

    def now(self) -> str:
        return isoformat(self._clock.now())

    def erase(self, customer_id: str, requested_by: str) -> str:
        """Removes the customer's personal data; answers when (the first erasure's time when repeated)."""
        record = self._store.load(customer_id)
        if record.erased_at is not None:
            return record.erased_at
        erased_at = isoformat(self._clock.now())
        self._store.erase(customer_id, erased_at, requested_by)
        logger.info(
            "audit: customer erased", extra={"customer_id": customer_id, "requested_by": requested_by}
        )
        return erased_at

    # --- order events -> segments --------------------------------------------------------------------------

    def order_placed(self, order_id: str, customer_id: str, placed_at: str, total: Money) -> Segments | None:
        fact = OrderFact(order_id=order_id, placed_at=placed_at, total=total)
        if self._store.load(customer_id).erased_at is not None:
            return None
        try:
            self._store.record_order(customer_id, fact)
        except VersionConflict:
            return None  # erased meanwhile
        return self.rescore(customer_id)

    def order_cancelled(self, order_id: str, at: str) -> Segments | None:
        customer_id = self._store.cancel_order(order_id, at)
        return None if customer_id is None else self.rescore(customer_id)

    def rescore(self, customer_id: str) -> Segments | None:
        """The customer's segments from the orders remembered (saved when they changed)."""
        record = self._store.load(customer_id)
        if record.erased_at is not None:
            return None
        now = self._clock.now()
        recency, frequency, monetary = rfm.scores(record.orders, now)
        counting = sum(1 for order in record.orders if not order.cancelled)
        names = rfm.segment_names(recency, frequency, monetary, counting)
        current = record.segments
        if (names, recency, frequency, monetary) == (
            current.names,
            current.recency,
            current.frequency,
            current.monetary,
        ):
            return current
        scored = Segments(
            names=names,
            recency=recency,
            frequency=frequency,
            monetary=monetary,
            version=current.version + 1,
            computed_at=isoformat(now),
        )
        self._store.save_segments(customer_id, scored, current.version)
        return scored


def _address_book(draft: CustomerProfileDraft, current: CustomerProfile | None) -> list[CustomerSavedAddress]:
    known = {entry.id for entry in current.addresses} if current is not None else set()
    book = []
    for index, entry in enumerate(draft.addresses):
        if entry.id is not None and entry.id not in known:
            raise ValidationFailed.on(
                f"body.addresses.{index}.id",
                "no saved address has this id: leave id out to add an address",
                "unknown_address",
            )
        book.append(
            CustomerSavedAddress(
                id=entry.id or new_id("addr"),
                label=entry.label,
                address=entry.address,
                default_shipping=entry.default_shipping,
                default_billing=entry.default_billing,
            )
        )
    return book
