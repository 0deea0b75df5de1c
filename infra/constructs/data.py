"""The DynamoDB tables of every bounded context, one per ``TableSpec``.

On-demand capacity (traffic is spiky and unknown), point-in-time recovery, streams and TTL as the spec
says, string keys. Production tables survive stack deletion and refuse deletion through the API.
"""

from __future__ import annotations

from aws_cdk import Tags
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.resources import TABLES, TableSpec
from infra.stages import StageConfig

SPEC_TAG = "shop:table"
_STREAM_VIEW = {
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}
_PROJECTION = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _key(name: str | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING) if name else None


class ShopTables(Construct):
    """Creates every table in ``TABLES``; ``tables[spec.name]`` is the CDK table."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {spec.name: self._table(spec, stage) for spec in TABLES}

    def _table(self, spec: TableSpec, stage: StageConfig) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{spec.name.title().replace('-', '')}Table",
            partition_key=_key(spec.partition_key),  # type: ignore[arg-type]
            sort_key=_key(spec.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            stream=_STREAM_VIEW[spec.stream] if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=stage.removal_policy,
            deletion_protection=stage.is_production,
        )
        # Names are CloudFormation's; the tag ties a table back to its spec (tests, cost reports).
        Tags.of(table).add(SPEC_TAG, spec.name)
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_key(index.partition_key),  # type: ignore[arg-type]
                sort_key=_key(index.sort_key),
                projection_type=_PROJECTION[index.projection],
            )
        return table
