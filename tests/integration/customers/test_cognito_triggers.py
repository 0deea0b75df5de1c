"""The shoppers' pool's Lambda triggers against moto's cognito-idp, each run as its function (its grants):
post-confirmation (customers-registration) puts a new shopper in ``customers`` and registers them once;
pre-token generation (customers-token-claims) makes the ``custom:price_group`` claim the group staff set."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from infra.local.grants import UngrantedAccess
from infra.resources import physical_name
from tests.conftest import REGION
from tests.integration.customers.conftest import customers_event
from tests.integration.customers.test_profile_and_consents import PROFILE
from tests.support import Reply, reply_from

EMAIL = "olena@example.com"


@pytest.fixture
def pools(customers_stack: SimpleNamespace) -> SimpleNamespace:
    """The shoppers' pool the local provisioning made (email is the username) and a staff pool, with a
    shopper who signed up and confirmed."""
    idp = boto3.client("cognito-idp", region_name=REGION)
    (users,) = [
        p["Id"]
        for p in idp.list_user_pools(MaxResults=60)["UserPools"]
        if p["Name"] == physical_name("test", "users")
    ]
    staff = idp.create_user_pool(PoolName=physical_name("test", "staff"), UsernameAttributes=["email"])
    staff_id = staff["UserPool"]["Id"]
    idp.create_group(UserPoolId=staff_id, GroupName="customers")
    client_id = idp.create_user_pool_client(UserPoolId=users, ClientName="storefront")["UserPoolClient"][
        "ClientId"
    ]
    idp.sign_up(
        ClientId=client_id,
        Username=EMAIL,
        Password="Correct-Horse-9!",
        UserAttributes=[{"Name": "email", "Value": EMAIL}],
    )
    idp.admin_confirm_sign_up(UserPoolId=users, Username=EMAIL)
    user = idp.admin_get_user(UserPoolId=users, Username=EMAIL)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return SimpleNamespace(
        idp=idp,
        users=users,
        staff=staff_id,
        client_id=client_id,
        username=user["Username"],
        sub=attributes["sub"],
    )


def trigger_event(pools: SimpleNamespace, source: str, pool_id: str | None = None) -> dict[str, Any]:
    """A Cognito trigger event as the pool sends it (the common fields, then the trigger's request)."""
    event: dict[str, Any] = {
        "version": "1",
        "region": REGION,
        "userPoolId": pool_id or pools.users,
        "userName": pools.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": pools.client_id},
        "triggerSource": source,
        "request": {
            "userAttributes": {
                "sub": pools.sub,
                "email": EMAIL,
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
            }
        },
        "response": {},
    }
    if source.startswith("TokenGeneration_"):
        event["request"]["groupConfiguration"] = {
            "groupsToOverride": ["customers"],
            "iamRolesToOverride": [],
            "preferredRole": None,
        }
    return event


def groups_of(pools: SimpleNamespace) -> list[str]:
    found = pools.idp.admin_list_groups_for_user(UserPoolId=pools.users, Username=pools.username)
    return [g["GroupName"] for g in found["Groups"]]


def registrations(events: list[dict[str, Any]]) -> list[str]:
    return [e["detail"]["data"]["customer_id"] for e in events if e["detail-type"] == "CustomerRegistered"]


def test_a_confirmed_sign_up_joins_customers_and_is_registered_once_across_retries(
    pools: SimpleNamespace,
    functions: Any,
    lambda_context: Any,
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a shopper who just confirmed their sign-up, in no group yet
    assert groups_of(pools) == []
    event = trigger_event(pools, "PostConfirmation_ConfirmSignUp")
    # WHEN the pool runs the trigger, and retries it
    answer = functions.invoke("customers-registration", event, lambda_context)
    functions.invoke(
        "customers-registration", trigger_event(pools, "PostConfirmation_ConfirmSignUp"), lambda_context
    )
    # THEN the trigger answers the event back (as Cognito requires), the shopper is in customers
    assert answer["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert groups_of(pools) == ["customers"]
    # AND CustomerRegistered was published once, with their sub
    assert registrations(publish_changes()) == [pools.sub]


def test_the_first_profile_after_sign_up_needs_no_if_match_and_announces_no_second_registration(
    pools: SimpleNamespace,
    functions: Any,
    lambda_context: Any,
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a shopper registered by the trigger
    functions.invoke(
        "customers-registration", trigger_event(pools, "PostConfirmation_ConfirmSignUp"), lambda_context
    )
    # WHEN they write their first profile
    created = reply_from(
        functions.invoke(
            "customers-api", customers_event("PUT", "/me/profile", PROFILE, sub=pools.sub), lambda_context
        )
    )
    # THEN it is created, and the bus heard of the registration once only
    assert created.status == 201, created.body
    assert registrations(publish_changes()) == [pools.sub]


def test_a_forgotten_password_confirmation_adds_and_registers_nothing(
    pools: SimpleNamespace,
    functions: Any,
    lambda_context: Any,
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN an existing user confirming a password reset
    event = trigger_event(pools, "PostConfirmation_ConfirmForgotPassword")
    # WHEN the trigger runs
    answer = functions.invoke("customers-registration", event, lambda_context)
    # THEN it answers the event back and changes nothing
    assert answer == event
    assert groups_of(pools) == []
    assert registrations(publish_changes()) == []


def test_the_trigger_may_add_users_to_groups_of_the_shoppers_pool_only(
    pools: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN an event naming the staff pool (a trigger wired to the wrong pool, or a forged invoke)
    event = trigger_event(pools, "PostConfirmation_ConfirmSignUp", pool_id=pools.staff)
    # WHEN the trigger runs THEN adding to that pool is refused as IAM would refuse it
    with pytest.raises(UngrantedAccess) as refused:
        functions.invoke("customers-registration", event, lambda_context)
    assert refused.value.action == "cognito-idp:AdminAddUserToGroup"
    assert refused.value.resource == "shop-test-staff/group/customers"


def test_the_price_group_claim_is_the_group_staff_set_and_nothing_the_user_holds(
    pools: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a shopper who wrote the price_group attribute themselves (no app client may, an admin slip could)
    def token_claims() -> dict[str, Any]:
        event = trigger_event(pools, "TokenGeneration_RefreshTokens")
        event["request"]["userAttributes"]["custom:price_group"] = "b2b_platinum"
        answer = functions.invoke("customers-token-claims", event, lambda_context)
        return dict(answer["response"]["claimsOverrideDetails"])

    def set_group(group: str | None) -> Reply:
        path = f"/admin/customers/{pools.sub}/group"
        event = customers_event(
            "PUT", path, {"group": group}, sub="c0ffee00-1234-4abc-9def-0123456789ab", groups="agents"
        )
        return reply_from(functions.invoke("customers-api", event, lambda_context))

    # WHEN a token is issued before staff set a group THEN the claim is suppressed
    assert token_claims() == {"claimsToSuppress": ["custom:price_group"]}
    # WHEN an agent sets b2b_gold THEN the next token carries it
    assert set_group("b2b_gold").status == 200
    assert token_claims() == {"claimsToAddOrOverride": {"custom:price_group": "b2b_gold"}}
    # WHEN the agent clears it THEN the next token is retail again
    assert set_group(None).status == 200
    assert token_claims() == {"claimsToSuppress": ["custom:price_group"]}
