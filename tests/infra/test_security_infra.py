"""Security settings of the synthesised app: who may sign up, who may write what, and abuse limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.resources import SHOPPER_GROUPS, STAFF_GROUPS
from infra.stages import StageConfig, cdk_json_context
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")

PRICE_GROUP = "custom:price_group"


def _pools(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """User pools by their logical id."""
    return synth.resources("stateful", "AWS::Cognito::UserPool")


def _pool_of_group(synth: Synthesized, group: str) -> dict[str, Any]:
    (found,) = [
        g
        for g in synth.resources("stateful", "AWS::Cognito::UserPoolGroup").values()
        if g["Properties"]["GroupName"] == group
    ]
    return _pools(synth)[found["Properties"]["UserPoolId"]["Ref"]]


def test_no_app_client_may_write_the_price_group(stage_synth: Synthesized) -> None:
    # GIVEN every app client of the stage
    clients = stage_synth.resources("stateful", "AWS::Cognito::UserPoolClient").values()
    # THEN each names its writable attributes (the default would be all of them) and the price group is not one
    for client in clients:
        writable = client["Properties"].get("WriteAttributes")
        assert writable is not None, client["Properties"]["ClientName"]
        assert PRICE_GROUP not in writable
    # AND the shoppers' pool declares the attribute so that staff can set it and tokens carry it
    shoppers = _pool_of_group(stage_synth, "customers")
    attributes = {a["Name"]: a for a in shoppers["Properties"].get("Schema", [])}
    assert attributes["price_group"]["AttributeDataType"] == "String"
    readable = [c["Properties"].get("ReadAttributes") or [] for c in clients]
    assert any(PRICE_GROUP in r for r in readable)


def test_staff_groups_live_in_a_pool_without_self_sign_up(stage_synth: Synthesized) -> None:
    # GIVEN the pool of each group
    for group in STAFF_GROUPS:
        pool = _pool_of_group(stage_synth, group)
        # THEN staff accounts are created by an administrator only
        assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True, group
    for group in SHOPPER_GROUPS:
        pool = _pool_of_group(stage_synth, group)
        # AND shoppers register themselves, in a pool that has no staff group
        assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False, group
    staff_pool_ids = {
        g["Properties"]["UserPoolId"]["Ref"]
        for g in stage_synth.resources("stateful", "AWS::Cognito::UserPoolGroup").values()
        if g["Properties"]["GroupName"] in STAFF_GROUPS
    }
    shopper_pool_ids = {
        g["Properties"]["UserPoolId"]["Ref"]
        for g in stage_synth.resources("stateful", "AWS::Cognito::UserPoolGroup").values()
        if g["Properties"]["GroupName"] in SHOPPER_GROUPS
    }
    assert staff_pool_ids.isdisjoint(shopper_pool_ids)


def test_staff_need_mfa_in_production(prod: Synthesized, dev: Synthesized) -> None:
    # GIVEN / WHEN the staff pool of each stage
    # THEN production staff sign in with a second factor, always
    assert _pool_of_group(prod, "ops")["Properties"]["MfaConfiguration"] == "ON"
    assert _pool_of_group(dev, "ops")["Properties"]["MfaConfiguration"] in ("ON", "OPTIONAL")


def test_the_api_accepts_tokens_of_both_pools(stage_synth: Synthesized) -> None:
    # GIVEN the API's Cognito authorizer
    (authorizer,) = stage_synth.resources("services", "AWS::ApiGateway::Authorizer").values()
    # THEN it trusts the shoppers' and the staff pool
    assert len(authorizer["Properties"]["ProviderARNs"]) == 2


def test_production_refuses_to_synthesise_without_an_alarm_email() -> None:
    # GIVEN prod's settings without an alarm address
    raw = {**cdk_json_context()["stages"]["prod"], "alarmEmail": None}
    # WHEN / THEN loading them fails and says how to give one
    with pytest.raises(ValueError, match="alarmEmail"):
        StageConfig.from_context("prod", raw)


def test_production_alarms_reach_the_given_email(prod: Synthesized) -> None:
    # GIVEN the prod app synthesised with --context alarmEmail=...
    subscriptions = prod.resources("services", "AWS::SNS::Subscription").values()
    # THEN the alarm topic has that email subscription
    assert [s["Properties"]["Protocol"] for s in subscriptions] == ["email"]


def _web_acl(synth: Synthesized) -> dict[str, Any]:
    (acl,) = synth.resources("services", "AWS::WAFv2::WebACL").values()
    return acl


def test_every_stage_rate_limits_per_ip_and_checkout_harder(stage_synth: Synthesized) -> None:
    # GIVEN the stage's web ACL
    rules = {r["Name"]: r for r in _web_acl(stage_synth)["Properties"]["Rules"]}
    # THEN every stage blocks an address over the rate, and over a much lower one on checkout
    general = rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]
    checkout = rules["rate-limit-checkout-per-ip"]["Statement"]["RateBasedStatement"]
    assert general["AggregateKeyType"] == "IP"
    assert checkout["AggregateKeyType"] == "IP"
    assert checkout["Limit"] < general["Limit"]
    assert "checkout" in str(checkout["ScopeDownStatement"])
    assert len(stage_synth.resources("services", "AWS::WAFv2::WebACLAssociation")) == 1


def test_shopper_pool_triggers_name_functions_by_arn_and_only_that_pool_may_invoke_them(
    stage_synth: Synthesized,
) -> None:
    from infra.resources import FUNCTIONS, physical_name

    triggers = {spec.user_pool_trigger.trigger: spec for spec in FUNCTIONS if spec.user_pool_trigger}
    assert set(triggers) == {"PostConfirmation", "PreTokenGeneration"}
    pools = _pools(stage_synth)
    shopper_id = next(i for i, p in pools.items() if p is _pool_of_group(stage_synth, "customers"))
    # GIVEN the shoppers' pool's Lambda configuration
    config = pools[shopper_id]["Properties"]["LambdaConfig"]
    # THEN each trigger is the function's fixed ARN: no reference to a context stack, deployed later
    post = json.dumps(config["PostConfirmation"])
    pre = config["PreTokenGenerationConfig"]
    assert f"function:{physical_name(stage_synth.stage, triggers['PostConfirmation'].name)}" in post
    assert f"function:{physical_name(stage_synth.stage, triggers['PreTokenGeneration'].name)}" in json.dumps(
        pre
    )
    assert pre["LambdaVersion"] == "V1_0"
    assert "GetStackOutput" not in json.dumps(config)
    assert "ImportValue" not in json.dumps(config)
    # AND the staff pool triggers nothing
    assert all("LambdaConfig" not in p["Properties"] for i, p in pools.items() if i != shopper_id)
    # AND Cognito may invoke each trigger function from the shoppers' pool alone
    for spec in triggers.values():
        stack = stage_synth.templates[spec.context]["Resources"]
        (function_id,) = [
            i
            for i, r in stack.items()
            if r["Type"] == "AWS::Lambda::Function"
            and r["Properties"].get("FunctionName") == physical_name(stage_synth.stage, spec.name)
        ]
        grants = [
            r["Properties"]
            for r in stack.values()
            if r["Type"] == "AWS::Lambda::Permission"
            and r["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
            and function_id in json.dumps(r["Properties"]["FunctionName"])
        ]
        assert [stage_synth.resolve(g["SourceArn"]) for g in grants] == [
            {"Fn::GetAtt": [shopper_id, "Arn"]}
        ], spec.name


def test_only_the_registration_function_may_add_users_to_groups_and_only_in_the_shoppers_pool(
    stage_synth: Synthesized,
) -> None:
    shopper_id = next(
        i for i, p in _pools(stage_synth).items() if p is _pool_of_group(stage_synth, "customers")
    )
    # GIVEN every IAM statement of every stack that grants a Cognito action
    found = []
    for kind in stage_synth.templates:
        for logical_id, policy in stage_synth.resources(kind, "AWS::IAM::Policy").items():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                if any(a.startswith("cognito-idp:") for a in actions):
                    found.append((logical_id, actions, stage_synth.resolve(statement["Resource"])))
    # THEN there is one: AdminAddUserToGroup on the shoppers' pool, for customers-registration's role
    assert len(found) == 1, found
    ((logical_id, actions, resource),) = found
    assert "CustomersRegistration" in logical_id
    assert actions == ["cognito-idp:AdminAddUserToGroup"]
    assert resource == {"Fn::GetAtt": [shopper_id, "Arn"]}


def test_the_gift_certificate_balance_check_is_throttled_harder_than_the_stage(
    stage_synth: Synthesized,
) -> None:
    # GIVEN the API's stage
    (stage,) = stage_synth.resources("services", "AWS::ApiGateway::Stage").values()
    settings = stage["Properties"]["MethodSettings"]
    default = next(s for s in settings if s["ResourcePath"] == "/*")
    # THEN the public balance check (both its resources) has a rate and burst far below the stage's
    checks = [s for s in settings if "gift-certificates" in s["ResourcePath"]]
    assert {s["ResourcePath"] for s in checks} == {
        "/~1loyalty~1gift-certificates",
        "/~1loyalty~1gift-certificates~1{proxy+}",
    }
    for check in checks:
        assert check["ThrottlingRateLimit"] < default["ThrottlingRateLimit"] / 10
        assert check["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"] / 10
