"""The S3 buckets in ``BUCKETS``: private, encrypted, TLS only, versioned, access-logged.

Every bucket blocks public access, encrypts at rest (S3-managed keys: the objects are labels, not
card or personal data beyond what a parcel's label shows), refuses plain HTTP and keeps versions (a
label overwritten by mistake can be recovered); its server access logs go to one log bucket of the
stage. Objects expire after the spec's days. Production buckets survive stack deletion.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack, Tags
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.nag import acknowledge, printed_pseudo
from infra.resources import BUCKETS, BucketSpec, physical_name
from infra.stages import StageConfig

SPEC_TAG = "shop:bucket"


def bucket_name(stage: str, name: str, stack: Stack) -> str:
    """``shop-<stage>-<name>-<account>-<region>``: bucket names are global, so account and region make it
    unique; functions in another stack of the stage reach it by this name, without a cross-stack export."""
    return f"{physical_name(stage, name)}-{stack.account}-{stack.region}"


def objects_finding(stage: str, name: str, stack: Stack) -> str:
    """cdk-nag's IAM5 finding for the bucket's objects (``<arn>/*``): tokens print as ``<AWS::...>``."""
    partition, region, account = printed_pseudo(stack)
    return f"Resource::arn:{partition}:s3:::{physical_name(stage, name)}-{account}-{region}/*"


ACCESS_LOG_RETENTION = Duration.days(90)


class ShopBuckets(Construct):
    """``buckets[spec.name]`` is the CDK bucket; ``access_logs`` receives their server access logs."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION)],
            removal_policy=stage.removal_policy,
            auto_delete_objects=False,
        )
        acknowledge(
            self.access_logs.node.default_child,
            "S1",
            "This bucket is the access-log destination of the stage's buckets; logging its own access "
            "would log forever.",
        )
        self.buckets: dict[str, s3.Bucket] = {spec.name: self._bucket(spec, stage) for spec in BUCKETS}

    def _bucket(self, spec: BucketSpec, stage: StageConfig) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "".join(part.title() for part in spec.name.split("-")),
            bucket_name=bucket_name(stage.name, spec.name, Stack.of(self)),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{spec.name}/",
            lifecycle_rules=(
                [
                    s3.LifecycleRule(
                        expiration=Duration.days(spec.expire_after_days),
                        noncurrent_version_expiration=Duration.days(30),
                    )
                ]
                if spec.expire_after_days
                else [s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))]
            ),
            removal_policy=stage.removal_policy,
        )
        Tags.of(bucket).add(SPEC_TAG, spec.name)
        return bucket
