"""The customer's own data through customers-api: profile and address book with optimistic concurrency,
marketing consents with double opt-in and one-click unsubscribe, and what the table stream announces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.customers.conftest import CUSTOMER_SUB, OTHER_SUB
from tests.support import Reply

ADDRESS = {
    "name": "Olena Shevchenko",
    "line1": "Khreshchatyk 1",
    "city": "Kyiv",
    "postal_code": "01001",
    "country": "UA",
}
PROFILE = {
    "given_name": "Olena",
    "family_name": "Shevchenko",
    "phones": [{"kind": "mobile", "number": "+380441234567"}],
    "addresses": [{"label": "home", "address": ADDRESS, "default_shipping": True, "default_billing": True}],
    "language": "uk",
    "currency": "UAH",
}


def test_a_profile_is_created_without_if_match_and_replaced_only_with_the_version_read(
    me: Callable[..., Reply],
) -> None:
    # GIVEN a customer with no profile
    assert me("GET", "/me/profile").status == 404
    # WHEN they create it
    created = me("PUT", "/me/profile", PROFILE)
    # THEN it is version 1 with an id for the saved address
    assert created.status == 201, created.body
    assert created.etag == '"1"'
    address_id = created.body["addresses"][0]["id"]
    assert address_id.startswith("addr_")
    # AND replacing it without If-Match is refused (428), with a stale one too (412)
    assert me("PUT", "/me/profile", PROFILE).status == 428
    assert me("PUT", "/me/profile", PROFILE, headers={"If-Match": '"7"'}).status == 412
    # WHEN they add a work address, keeping the home one by its id
    work = {**ADDRESS, "line1": "Velyka Vasylkivska 5"}
    changed = {
        **PROFILE,
        "addresses": [
            {**PROFILE["addresses"][0], "id": address_id, "default_billing": False},
            {"label": "work", "address": work, "default_billing": True},
        ],
    }
    replaced = me("PUT", "/me/profile", changed, headers={"If-Match": created.etag})
    # THEN the home address kept its id and the new one is the billing default
    assert replaced.status == 200, replaced.body
    assert replaced.etag == '"2"'
    book = replaced.body["addresses"]
    assert [entry["id"] == address_id for entry in book] == [True, False]
    assert [entry["default_billing"] for entry in book] == [False, True]
    assert me("GET", "/me/profile").body == replaced.body


def test_bad_profiles_are_refused_with_the_field_named(me: Callable[..., Reply]) -> None:
    # GIVEN profiles that break a rule each
    not_e164 = {**PROFILE, "phones": [{"kind": "mobile", "number": "044 123 4567"}]}
    two_defaults = {**PROFILE, "addresses": [PROFILE["addresses"][0], PROFILE["addresses"][0]]}
    unknown_id = {
        **PROFILE,
        "addresses": [{**PROFILE["addresses"][0], "id": "addr_01JD0000000000000000000000"}],
    }
    unknown_currency = {**PROFILE, "currency": "XYZ"}
    # WHEN they are sent THEN each is a 422 problem naming what is wrong
    for body, field in (
        (not_e164, "body.phones.0.number"),
        (two_defaults, "body"),
        (unknown_id, "body.addresses.0.id"),
        (unknown_currency, "body.currency"),
    ):
        refused = me("PUT", "/me/profile", body)
        assert refused.status == 422, (field, refused.body)
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert any(error["field"].startswith(field) for error in refused.body["errors"]), refused.body
    # AND a body that is not JSON is a 400
    assert me("PUT", "/me/profile", "{not json").status == 400


def test_only_the_customers_group_reaches_me_and_only_staff_reach_admin(call: Callable[..., Reply]) -> None:
    # WHEN anonymous, a merchandiser and a customer ask
    assert call("GET", "/me/profile").status == 401
    assert call("DELETE", "/me").status == 401
    assert call("GET", "/me/profile", sub=OTHER_SUB, groups="merchandisers").status == 403
    assert call("GET", f"/admin/customers/{CUSTOMER_SUB}", sub=CUSTOMER_SUB, groups="customers").status == 403
    # THEN an unknown route is a 404 problem
    assert call("GET", "/me/nothing-here", sub=CUSTOMER_SUB).status == 404


def _token(events: list[dict[str, Any]], channel: str) -> str:
    requested = [
        e
        for e in events
        if e["detail-type"] == "ConsentConfirmationRequested" and e["detail"]["data"]["channel"] == channel
    ]
    return str(requested[-1]["detail"]["data"]["confirmation_token"])


def test_a_consent_is_granted_only_through_its_latest_confirmation_link_once(
    me: Callable[..., Reply], call: Callable[..., Reply], publish_changes: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN a customer who asks for email marketing twice (the first link was lost)
    assert me("PUT", "/me/consents/email", {"granted": True}).body["status"] == "pending"
    first = _token(publish_changes(), "email")
    assert (
        me("PUT", "/me/consents/email", {"granted": True, "source": "newsletter_form"}).body["status"]
        == "pending"
    )
    latest = _token(publish_changes(), "email")
    # WHEN the first link is followed THEN it no longer works
    assert call("POST", "/customers/consents/confirm", {"token": first}).status == 409
    # WHEN the latest is followed THEN the consent is granted, once
    confirmed = call("POST", "/customers/consents/confirm", {"token": latest})
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["status"] == "granted"
    assert call("POST", "/customers/consents/confirm", {"token": latest}).status == 409
    # AND a forged token is a 422 naming the token
    forged = latest[:-2] + ("AA" if not latest.endswith("AA") else "BB")
    refused = call("POST", "/customers/consents/confirm", {"token": forged})
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == "body.token"
    # AND the bus heard ConsentChanged none -> pending -> granted, with ids and statuses only
    changes = [e["detail"]["data"] for e in publish_changes() if e["detail-type"] == "ConsentChanged"]
    assert [(c["previous_status"], c["status"]) for c in changes] == [
        ("none", "pending"),
        ("pending", "granted"),
    ]
    assert set(changes[0]) == {"customer_id", "channel", "status", "previous_status", "changed_at"}
    statuses = {c["channel"]: c["status"] for c in me("GET", "/me/consents").body["consents"]}
    assert statuses == {"email": "granted", "sms": "none", "viber": "none", "telegram": "none"}


def test_one_click_unsubscribe_withdraws_the_channel_without_signing_in(
    me: Callable[..., Reply],
    call: Callable[..., Reply],
    functions: Any,
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    from customers import wiring
    from customers.domain.models import MarketingChannel

    # GIVEN a customer who granted SMS marketing
    me("PUT", "/me/consents/sms", {"granted": True})
    assert (
        call("POST", "/customers/consents/confirm", {"token": _token(publish_changes(), "sms")}).status == 200
    )
    link = functions.run(
        "customers-api",
        lambda: wiring.container.service().unsubscribe_link(CUSTOMER_SUB, MarketingChannel.SMS),
    )
    # WHEN a mail client POSTs List-Unsubscribe=One-Click to the link (RFC 8058)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    done = call("POST", f"/customers/unsubscribe/{link}", "List-Unsubscribe=One-Click", headers=form)
    # THEN the consent is withdrawn, and again the same answer
    assert done.status == 200, done.body
    assert done.body["status"] == "withdrawn"
    assert (
        call("POST", f"/customers/unsubscribe/{link}", "List-Unsubscribe=One-Click", headers=form).status
        == 200
    )
    # AND a confirmation token does not unsubscribe
    me("PUT", "/me/consents/viber", {"granted": True})
    assert call("POST", f"/customers/unsubscribe/{_token(publish_changes(), 'viber')}").status == 422
    statuses = {c["channel"]: c["status"] for c in me("GET", "/me/consents").body["consents"]}
    assert statuses["sms"] == "withdrawn"


def test_the_first_profile_write_registers_the_customer_once(
    me: Callable[..., Reply], publish_changes: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN a created profile, then replaced
    created = me("PUT", "/me/profile", PROFILE)
    me("PUT", "/me/profile", {**PROFILE, "given_name": "Olenka"}, headers={"If-Match": created.etag})
    # WHEN the table's changes are published
    events = publish_changes()
    # THEN CustomerRegistered was announced once, with the id only
    registered = [e for e in events if e["detail-type"] == "CustomerRegistered"]
    assert [e["detail"]["data"]["customer_id"] for e in registered] == [CUSTOMER_SUB]
    assert set(registered[0]["detail"]["data"]) == {"customer_id", "registered_at"}
