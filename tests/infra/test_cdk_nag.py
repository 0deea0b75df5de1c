"""cdk-nag (AwsSolutions) over the whole app: nothing unacknowledged, every acknowledgement explained."""

from __future__ import annotations

import pytest

from infra.constructs.nag import acknowledge
from infra.resources import FUNCTIONS, WORKFLOWS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")


def test_no_unacknowledged_aws_solutions_findings(stage_synth: Synthesized) -> None:
    # GIVEN the synthesised stage (an error finding would already have failed the synth)
    report = stage_synth.validation_report
    # WHEN the findings cdk-nag reported are collected
    findings = [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        if violation["severity"] == "error"
        for construct in violation["violatingConstructs"]
    ]
    # THEN there are none
    assert findings == []


def test_every_acknowledgement_names_a_rule_and_a_reason(stage_synth: Synthesized) -> None:
    # GIVEN the acknowledgements cdk-nag wrote into the templates' metadata
    acknowledged = [
        (logical_id, rule)
        for template in stage_synth.templates.values()
        for logical_id, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    # THEN there are some, each naming an AwsSolutions rule and saying why in a real sentence
    assert acknowledged
    for logical_id, rule in acknowledged:
        assert rule["id"].startswith("AwsSolutions-"), logical_id
        assert len(rule["reason"].split()) >= 8, f"{logical_id}: {rule}"


def test_iam_wildcards_are_acknowledged_per_finding(dev: Synthesized) -> None:
    # GIVEN the acknowledgements on the IAM policies of every stack
    ids = {
        rule["id"]
        for resource in dev.all_resources("AWS::IAM::Policy").values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    iam5 = {rule_id for rule_id in ids if rule_id.startswith("AwsSolutions-IAM5")}
    # THEN no blanket IAM5 acknowledgement exists: each names the wildcard it applies to (X-Ray and
    # stream listing, and the paths below the one search domain)
    search_paths = {
        f"AwsSolutions-IAM5[Resource::arn:aws:es:eu-west-1:<AWS::AccountId>:domain/shop-{dev.stage}-search/*]"
    }
    # and the objects of the buckets functions read and write (labels/<shipment id>.pdf)
    bucket_objects = {
        f"AwsSolutions-IAM5[Resource::arn:aws:s3:::shop-{dev.stage}-{name}-<AWS::AccountId>-eu-west-1/*]"
        for spec in FUNCTIONS
        for name in spec.buckets_rw
    }
    # and the executions of the workflows staff read (named after orders: any order's execution)
    executions = {
        f"AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:<AWS::AccountId>:execution:shop-{dev.stage}-{name}:*]"
        for spec in FUNCTIONS
        for name in spec.reads_workflows
    }
    # and the executions of the child workflows a parent follows (startExecution.sync:2 names each one)
    children = {
        f"AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:<AWS::AccountId>:execution:shop-{dev.stage}-{name}:*]"
        for workflow in WORKFLOWS
        for _, reference in workflow.substitutions
        if (name := reference.removeprefix("workflow:")) != reference
    }
    assert children, "no workflow runs a child"
    assert iam5 == {"AwsSolutions-IAM5[Resource::*]"} | search_paths | bucket_objects | executions | children


def test_an_acknowledgement_without_a_reason_is_refused() -> None:
    # GIVEN / WHEN / THEN an empty reason is rejected before it reaches the template
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge(None, "SQS3", "  ")  # type: ignore[arg-type]
