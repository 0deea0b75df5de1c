"""The customers domain without AWS: signed links, RFM scores and segments, the service's rules (profile
versions, double opt-in, groups, erasure) and the events a change of an item means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customers.domain import rfm
from customers.domain.events import events_for_change
from customers.domain.models import ConsentStatus, CustomerProfileDraft, MarketingChannel, OrderFact
from customers.domain.tokens import LinkSigner
from shop_kernel.clock import FixedClock
from shop_kernel.errors import Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
from shop_kernel.money import Money
from tests.unit.customers.customers_doubles import NOW, MemoryCustomerStore, service, signer

SUB = "5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"
ADDRESS = {"line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"}


def _order(
    order_id: str, days_ago: int, amount: int, currency: str = "EUR", cancelled: bool = False
) -> OrderFact:
    placed = (NOW - timedelta(days=days_ago)).isoformat()
    return OrderFact(
        order_id=order_id, placed_at=placed, total=Money.of(amount, currency), cancelled=cancelled
    )


# --- links ---------------------------------------------------------------------------------------------


def test_a_confirmation_link_verifies_until_it_expires_and_never_as_an_unsubscribe() -> None:
    # GIVEN a confirmation token valid for two days
    links = signer()
    token = links.confirmation(SUB, MarketingChannel.EMAIL, "nonce-1", NOW + timedelta(days=2))
    # WHEN it is verified in time THEN it names the customer, channel and nonce
    claims = links.verify(token, "confirm", NOW, "body.token")
    assert (claims.customer_id, claims.channel, claims.nonce) == (SUB, MarketingChannel.EMAIL, "nonce-1")
    # AND after its expiry, for another purpose, or under another key it is refused
    with pytest.raises(ValidationFailed, match="expired"):
        links.verify(token, "confirm", NOW + timedelta(days=3), "body.token")
    with pytest.raises(ValidationFailed):
        links.verify(token, "unsubscribe", NOW, "path.token")
    with pytest.raises(ValidationFailed):
        LinkSigner(lambda: b"another key").verify(token, "confirm", NOW, "body.token")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "!!.??", "eyJwIjoiY29uZmlybSJ9.", "x" * 600])
def test_malformed_tokens_are_refused_on_their_field(token: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        signer().verify(token, "unsubscribe", NOW, "path.token")
    assert refused.value.errors[0].field == "path.token"


# --- RFM -----------------------------------------------------------------------------------------------


def test_scores_count_only_orders_that_were_not_cancelled() -> None:
    # GIVEN a recent small order, an old big one, and a cancelled huge one
    orders = [_order("o1", 10, 4_000), _order("o2", 400, 60_000), _order("o3", 1, 9_000_000, cancelled=True)]
    # WHEN scored THEN recency follows the last counted order, monetary the counted total
    assert rfm.scores(orders, NOW) == (5, 2, 4)


def test_monetary_is_scored_per_currency_and_the_best_counts() -> None:
    orders = [_order("o1", 5, 1_000, "EUR"), _order("o2", 5, 2_500_000, "UAH"), _order("o3", 5, 10**9, "JPY")]
    assert rfm.scores(orders, NOW)[2] == 4  # UAH 25,000.00; JPY has no thresholds


@pytest.mark.parametrize(
    ("r", "f", "m", "count", "names"),
    [
        (5, 4, 5, 6, ["champions", "loyal", "big_spender"]),
        (5, 1, 2, 1, ["new_customer"]),
        (2, 3, 3, 3, ["at_risk"]),
        (1, 1, 1, 1, ["hibernating"]),
        (0, 0, 0, 0, []),
    ],
)
def test_segment_names_follow_the_scores(r: int, f: int, m: int, count: int, names: list[str]) -> None:
    assert rfm.segment_names(r, f, m, count) == names


def test_recency_scores_fall_with_days_since_the_last_order() -> None:
    assert [rfm.recency_score(d) for d in (0, 30, 31, 90, 91, 180, 181, 365, 366)] == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
    ]


# --- service ---------------------------------------------------------------------------------------------


def test_a_profile_replace_needs_the_version_read() -> None:
    # GIVEN a created profile
    customers = service()
    draft = CustomerProfileDraft.model_validate({"given_name": "Olena", "addresses": [{"address": ADDRESS}]})
    profile, created = customers.save_profile(SUB, draft, None)
    assert created
    assert profile.version == 1
    # WHEN it is replaced without, with a stale and with the current version
    with pytest.raises(PreconditionRequired):
        customers.save_profile(SUB, draft, None)
    with pytest.raises(PreconditionFailed):
        customers.save_profile(SUB, draft, 5)
    replaced, created = customers.save_profile(SUB, draft, 1)
    # THEN only the last one is taken; a new address gets a new id
    assert not created
    assert replaced.version == 2
    assert replaced.addresses[0].id != profile.addresses[0].id


def test_double_opt_in_grants_through_the_latest_link_once() -> None:
    # GIVEN a customer asking for SMS marketing twice
    store = MemoryCustomerStore()
    customers = service(store)
    first = customers.set_consent(SUB, MarketingChannel.SMS, True, "account")
    second = customers.set_consent(SUB, MarketingChannel.SMS, True, "account")
    assert second.status is ConsentStatus.PENDING
    assert second.nonce != first.nonce
    link = signer().confirmation(SUB, MarketingChannel.SMS, str(second.nonce), NOW + timedelta(hours=1))
    stale = signer().confirmation(SUB, MarketingChannel.SMS, str(first.nonce), NOW + timedelta(hours=1))
    # WHEN the stale link is followed THEN it is refused; the latest grants, once
    with pytest.raises(Conflict):
        customers.confirm_consent(stale)
    assert customers.confirm_consent(link)[1].status is ConsentStatus.GRANTED
    with pytest.raises(Conflict):
        customers.confirm_consent(link)
    # AND the history records every step with who made it
    history = store.load(SUB).consent_history
    assert [(h.status, h.actor) for h in history] == [
        (ConsentStatus.PENDING, "customer"),
        (ConsentStatus.PENDING, "customer"),
        (ConsentStatus.GRANTED, "confirmation_link"),
    ]


def test_unsubscribe_withdraws_once_and_asking_again_changes_nothing() -> None:
    store = MemoryCustomerStore()
    customers = service(store)
    customers.set_consent(SUB, MarketingChannel.EMAIL, True, "account")
    token = customers.unsubscribe_link(SUB, MarketingChannel.EMAIL)
    assert customers.unsubscribe(token, "path.token")[1].status is ConsentStatus.WITHDRAWN
    assert customers.unsubscribe(token, "path.token")[1].status is ConsentStatus.WITHDRAWN
    assert len(store.load(SUB).consent_history) == 2


def test_an_erased_customer_stays_erased() -> None:
    # GIVEN an erased customer
    store = MemoryCustomerStore()
    customers = service(store, FixedClock(NOW))
    customers.set_group(SUB, "b2b_gold", "agent-1", None)
    erased_at = customers.erase(SUB, "customer")
    # WHEN anything tries to write about them THEN it is refused, and order events are ignored
    with pytest.raises(Conflict):
        customers.set_group(SUB, "b2b_silver", "agent-1", None)
    with pytest.raises(Conflict):
        customers.add_note(SUB, "hello", "agent-1")
    assert customers.order_placed("ord_1", SUB, NOW.isoformat(), Money.of(100, "EUR")) is None
    assert customers.erase(SUB, "agent") == erased_at
    assert store.load(SUB).orders == []


def test_segments_are_saved_only_when_they_change() -> None:
    store = MemoryCustomerStore()
    customers = service(store)
    first = customers.order_placed(
        "ord_1", SUB, (NOW - timedelta(days=1)).isoformat(), Money.of(1_000, "EUR")
    )
    again = customers.order_placed(
        "ord_1", SUB, (NOW - timedelta(days=1)).isoformat(), Money.of(1_000, "EUR")
    )
    assert first is not None
    assert first.names == ["new_customer"]
    assert again == first
    assert store.load(SUB).segments.version == 1


# --- events ----------------------------------------------------------------------------------------------


def _link(customer: str, channel: MarketingChannel, nonce: str, confirm_by: str) -> str:
    return f"token-{nonce}"


def test_item_changes_become_events_with_deterministic_ids() -> None:
    # GIVEN a registration recorded, a consent going pending, and a group change
    profile = {"type": "registration", "customer_id": SUB, "registered_at": "2026-12-01T12:00:00.000Z"}
    consent = {
        "type": "consent",
        "customer_id": SUB,
        "channel": "email",
        "status": "pending",
        "version": 1,
        "updated_at": "2026-12-01T12:00:00.000Z",
        "nonce": "n1",
        "confirm_by": "2026-12-03T12:00:00.000Z",
    }
    group = {
        "type": "group",
        "customer_id": SUB,
        "group": "b2b_gold",
        "version": 1,
        "changed_at": "2026-12-01T12:00:00.000Z",
    }
    # WHEN they become events (twice, as a replayed stream record would)
    events = [
        *events_for_change(None, profile, _link),
        *events_for_change(None, consent, _link),
        *events_for_change(None, group, _link),
    ]
    replayed = [
        *events_for_change(None, profile, _link),
        *events_for_change(None, consent, _link),
        *events_for_change(None, group, _link),
    ]
    # THEN each is announced with the same ids both times
    assert [e.detail_type for e in events] == [
        "CustomerRegistered",
        "ConsentChanged",
        "ConsentConfirmationRequested",
        "CustomerGroupChanged",
    ]
    assert [e.metadata.event_id for e in events] == [e.metadata.event_id for e in replayed]
    assert events[2].data["confirmation_token"] == "token-n1"
    # AND a profile (first written or replaced) or an unchanged group announces nothing
    first_profile = {
        "type": "profile",
        "customer_id": SUB,
        "version": 1,
        "created_at": "2026-12-01T12:00:00Z",
    }
    assert events_for_change(None, first_profile, _link) == []
    assert events_for_change(first_profile, {**first_profile, "version": 2}, _link) == []
    assert events_for_change(group, {**group, "version": 2}, _link) == []


def test_erasure_is_announced_by_its_tombstone_not_by_the_deletions() -> None:
    tombstone = {"type": "erasure", "customer_id": SUB, "erased_at": "2026-12-01T12:00:00.000Z"}
    profile = {"type": "profile", "customer_id": SUB, "version": 3, "created_at": "x"}
    assert events_for_change(profile, None, _link) == []
    (erased,) = events_for_change(None, tombstone, _link)
    assert erased.data == {"customer_id": SUB, "erased_at": "2026-12-01T12:00:00.000Z"}


def test_the_clock_decides_when_a_link_expires() -> None:
    clock = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))
    customers = service(clock=clock)
    pending = customers.set_consent(SUB, MarketingChannel.VIBER, True, "account")
    token = signer().confirmation(
        SUB, MarketingChannel.VIBER, str(pending.nonce), datetime.fromisoformat(str(pending.confirm_by))
    )
    clock.advance(hours=49)
    with pytest.raises(ValidationFailed, match="expired"):
        customers.confirm_consent(token)


def test_a_customer_is_registered_once_by_sign_up_or_first_profile_whichever_comes_first() -> None:
    # GIVEN a shopper whose sign-up was confirmed, the trigger retried, and then their first profile
    store = MemoryCustomerStore()
    customers = service(store)
    draft = CustomerProfileDraft.model_validate({"given_name": "Olena"})
    # WHEN the sign-up is recorded twice (Cognito retried) and the profile is created
    first, retried = customers.register(SUB), customers.register(SUB)
    _, created = customers.save_profile(SUB, draft, None)
    # THEN only the first recorded it, and the profile was still created without an If-Match
    assert (first, retried, created) == (True, False, True)
    assert store.load(SUB).registered_at is not None
    # AND a shopper who never went through the trigger is registered by their first profile, once
    other = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"
    customers.save_profile(other, draft, None)
    registered_at = store.load(other).registered_at
    assert registered_at is not None
    assert customers.register(other) is False
    customers.save_profile(other, draft, 1)
    assert store.load(other).registered_at == registered_at
    # AND an erased customer is not registered again
    customers.erase(SUB, "support")
    assert customers.register(SUB) is False
