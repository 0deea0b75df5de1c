"""Search in the cloud: the Amazon OpenSearch Service domain.

The domain is IAM-authorised (SigV4): its resource policy names only the search functions' roles, each
with the HTTP verbs its job needs, and each role's own policy says the same. It stays out of a VPC on
purpose: the functions are not in a VPC either (no NAT gateway to pay for), and every request must be
signed by one of those two roles. TLS 1.2 only, HTTPS enforced, node-to-node and at-rest encryption,
slow search/index logs and application logs to CloudWatch. Production runs three dedicated masters and
two data nodes across two availability zones; dev runs one small data node.

The index itself is derived data (``python -m search.tools.reindex`` rebuilds it from the catalog), so
the domain lives in the services stack. Access policies and log resource policies are written on the
CloudFormation resources directly: CDK's helpers for both deploy an extra custom-resource Lambda.

The search functions' layer (``layers/search/requirements.txt``: opensearch-py and its HTTP stack) is a
package layer (``infra.constructs.layer.PackageLayer``), carried only by the functions whose spec lists
``search``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from infra.constructs.nag import acknowledge, printed_pseudo
from infra.resources import SEARCH_INDEX_ALIAS, physical_name
from infra.stages import StageConfig

ENGINE_VERSION = opensearch.EngineVersion.OPENSEARCH_2_19
# HTTP verbs per access level: queries are GET/POST (_search, _mget, _count); indexing adds PUT/DELETE.
INDEX_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"),
    "write": ("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"),
}
_ALIAS = SEARCH_INDEX_ALIAS
# Which paths below the domain each level's verbs reach. A POST can write (_bulk, _doc, _delete_by_query,
# _aliases), so the query role POSTs only to the alias's query endpoints (and the analyzer reload that
# publishing synonyms needs); the indexer builds and swaps indices, so it reaches every path.
INDEX_GRANTS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "read": (
        (("es:ESHttpGet", "es:ESHttpHead"), (f"_alias/{_ALIAS}", _ALIAS, f"{_ALIAS}/_count")),
        (
            ("es:ESHttpPost",),
            (
                f"{_ALIAS}/_search",
                f"{_ALIAS}/_mget",
                f"{_ALIAS}/_count",
                f"_plugins/_refresh_search_analyzers/{_ALIAS}",
            ),
        ),
    ),
    "write": ((INDEX_ACTIONS["write"], ("*",)),),
}


def _capacity(stage: StageConfig) -> opensearch.CapacityConfig:
    if stage.is_production:
        return opensearch.CapacityConfig(
            data_nodes=2,
            data_node_instance_type="r7g.large.search",
            master_nodes=3,
            master_node_instance_type="m7g.large.search",
            multi_az_with_standby_enabled=False,
        )
    return opensearch.CapacityConfig(
        data_nodes=1, data_node_instance_type="t3.small.search", multi_az_with_standby_enabled=False
    )


class SearchDomain(Construct):
    """``domain``, ``endpoint`` (host name, no scheme) and ``log_groups``; ``allow()`` grants roles."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.domain_name = physical_name(stage.name, "search")
        self.log_groups = {
            kind: logs.LogGroup(
                self,
                f"{kind.title()}Logs",
                log_group_name=f"/shop/{stage.name}/search/{kind}",
                retention=stage.log_retention,
                removal_policy=stage.removal_policy,
            )
            for kind in ("slow-search", "slow-index", "app")
        }
        self.domain = opensearch.Domain(
            self,
            "Domain",
            domain_name=self.domain_name,
            version=ENGINE_VERSION,
            capacity=_capacity(stage),
            ebs=opensearch.EbsOptions(
                volume_size=50 if stage.is_production else 10, volume_type=ec2.EbsDeviceVolumeType.GP3
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=stage.is_production, availability_zone_count=2 if stage.is_production else None
            ),
            node_to_node_encryption=True,
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True),
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=self.log_groups["slow-search"],
                slow_index_log_enabled=True,
                slow_index_log_group=self.log_groups["slow-index"],
                app_log_enabled=True,
                app_log_group=self.log_groups["app"],
            ),
            suppress_logs_resource_policy=True,
            enable_auto_software_update=True,
            removal_policy=stage.removal_policy,
        )
        self._allow_log_delivery()
        self._acknowledge_findings(stage)

    @property
    def endpoint(self) -> str:
        return self.domain.domain_endpoint

    def index_arn(self, path: str = "*") -> str:
        """``path`` under the domain (default every path: indices, aliases, _bulk); built from the name."""
        return Stack.of(self).format_arn(
            service="es", resource="domain", resource_name=f"{self.domain_name}/{path}"
        )

    def grants(self, level: str) -> list[tuple[list[str], list[str]]]:
        """``(actions, resource ARNs)`` of an access level (``INDEX_GRANTS``)."""
        return [
            (list(actions), [self.index_arn(path) for path in paths])
            for actions, paths in INDEX_GRANTS[level]
        ]

    def index_arn_finding(self) -> str:
        """``index_arn()`` as cdk-nag prints it: literal parts as they are, tokens as ``<AWS::...>``."""
        stack = Stack.of(self)
        partition, region, account = printed_pseudo(stack)
        return f"Resource::arn:{partition}:es:{region}:{account}:domain/{self.domain_name}/*"

    def _allow_log_delivery(self) -> None:
        arns = [group.log_group_arn for group in self.log_groups.values()]
        document = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("es.amazonaws.com")],
                    actions=["logs:PutLogEvents", "logs:CreateLogStream"],
                    resources=arns,
                )
            ]
        )
        logs.CfnResourcePolicy(
            self,
            "LogDelivery",
            policy_name=f"{self.domain_name}-logs",
            policy_document=Stack.of(self).to_json_string(document.to_json()),
        )

    def allow(self, roles: Mapping[str, tuple[iam.IRole, str]]) -> None:
        """Resource policy: only these roles, each with its access level's verbs (``read``/``write``)."""
        statements: Sequence[iam.PolicyStatement] = [
            iam.PolicyStatement(principals=[iam.ArnPrincipal(role.role_arn)], actions=actions, resources=arns)
            for role, level in roles.values()
            for actions, arns in self.grants(level)
        ]
        document = iam.PolicyDocument(statements=list(statements))
        cfn = cast(opensearch.CfnDomain, self.domain.node.default_child)
        cfn.access_policies = document.to_json()

    def _acknowledge_findings(self, stage: StageConfig) -> None:
        cfn = self.domain.node.default_child
        outside_vpc = (
            "The domain is reached only with SigV4-signed requests from the two search function roles its "
            "resource policy names; the functions run outside a VPC (no NAT cost), so the domain does too."
        )
        acknowledge(cfn, "OS1", outside_vpc)
        acknowledge(cfn, "OS3", outside_vpc)
        acknowledge(
            cfn,
            "OS5",
            "Anonymous access is impossible: the resource policy names the search functions' role ARNs "
            "and Amazon OpenSearch Service rejects unsigned requests; cdk-nag cannot read the escape hatch.",
        )
        if not stage.is_production:
            reason = (
                f"The {stage.name} stage runs one small data node to keep cost low; production has three "
                "dedicated master nodes and two data nodes across two availability zones."
            )
            acknowledge(cfn, "OS4", reason)
            acknowledge(cfn, "OS7", reason)
