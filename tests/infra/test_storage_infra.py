"""The label bucket: private, encrypted, TLS only, versioned, access-logged, expiring; in the cloud and locally;
and only the functions that declare it may read and write its objects."""

from __future__ import annotations

from typing import Any

import pytest

from infra.resources import BUCKETS, FUNCTIONS, env_name
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")


def _bucket(synth: Synthesized, name: str) -> tuple[str, dict[str, Any]]:
    for logical_id, bucket in synth.resources("stateful", "AWS::S3::Bucket").items():
        tags = {t["Key"]: t["Value"] for t in bucket["Properties"].get("Tags", [])}
        if tags.get("shop:bucket") == name:
            return logical_id, bucket["Properties"]
    raise AssertionError(f"no bucket for spec {name}")


@pytest.mark.parametrize("spec", BUCKETS, ids=lambda b: b.name)
def test_each_bucket_is_private_encrypted_versioned_logged_and_tls_only(dev: Synthesized, spec: Any) -> None:
    # GIVEN the synthesised bucket
    logical_id, bucket = _bucket(dev, spec.name)
    # THEN public access is blocked, objects are encrypted, versioned, logged and expire
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "DestinationBucketName" in bucket["LoggingConfiguration"]
    assert {"ExpirationInDays": spec.expire_after_days}.items() <= bucket["LifecycleConfiguration"]["Rules"][
        0
    ].items()
    # AND its policy denies every request not over TLS
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in dev.resources("stateful", "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statements in policies
        for s in statements
    )


def test_only_declared_functions_touch_bucket_objects_and_know_the_name(dev: Synthesized) -> None:
    # GIVEN every function (in its context's stack) and its role's statements
    functions = {
        f["Properties"]["FunctionName"].removeprefix(f"shop-{dev.stage}-"): f
        for f in dev.all_resources("AWS::Lambda::Function").values()
    }
    policies = dev.all_resources("AWS::IAM::Policy").values()
    for spec in FUNCTIONS:
        function = functions[spec.name]
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = {
            action
            for policy in policies
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in (
                [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            )
            if action.startswith("s3:")
        }
        variables = function["Properties"]["Environment"]["Variables"]
        # THEN object read/write exactly where the spec asks for a bucket, and its name in the environment
        assert actions == ({"s3:GetObject", "s3:PutObject"} if spec.buckets_rw else set()), spec.name
        for name in spec.buckets_rw:
            assert env_name(name, "bucket") in variables, spec.name


def test_the_local_stack_creates_the_buckets_private_and_encrypted(aws_credentials: None) -> None:
    import boto3
    from moto import mock_aws

    from infra.local.provision import provision

    with mock_aws():
        # WHEN the local stage is provisioned
        answer = provision("local")
        s3 = boto3.client("s3", region_name="eu-west-1")
        for spec in BUCKETS:
            name = answer["buckets"][spec.name]["name"]
            # THEN each bucket exists with public access blocked and default encryption
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            assert all(block.values())
            assert s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
