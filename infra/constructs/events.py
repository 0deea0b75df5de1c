"""The stage's event backbone: one custom EventBridge bus, its replay archive and the rules in ``RULES``.

A rule whose target is ``event-log`` delivers to the CloudWatch log group ``/shop/<stage>/events`` (every
domain event searchable with Logs Insights); any other target is an SQS queue of that name with its
own DLQ, the way integrations consume (rule -> queue -> function), mirroring ``infra/local/provision``.
"""

from __future__ import annotations

import json
from typing import Any, cast

import jsii
from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.resources import APP, EVENT_LOG_TARGET, RULES, RuleSpec, physical_name
from infra.stages import StageConfig

QUEUE_MAX_RECEIVES = 5  # a consumer gets this many tries before a message moves to the DLQ
DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to investigate before a failure is lost


def event_bus_name(stage: str) -> str:
    return f"{APP}-{stage}"


class EventBackbone(Construct):
    """Bus + archive + event log + rules. ``bus``, ``event_log``, ``queues[target]`` and
    ``dead_letter_queues[target]`` for wiring."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=event_bus_name(stage.name))
        self.archive = self.bus.archive(
            "Archive",
            archive_name=physical_name(stage.name, "events-archive"),
            description=f"Every event on {event_bus_name(stage.name)}, kept for replay",
            # An archive needs a pattern; every event on this bus comes from this account.
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(stage.event_archive_retention_days),
        )
        self.event_log = logs.LogGroup(
            self,
            "EventLog",
            log_group_name=f"/{APP}/{stage.name}/events",
            retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.rules: dict[str, events.Rule] = {spec.name: self._rule(spec, stage) for spec in RULES}
        self._allow_rules_to_write_event_log(stage)

    def _rule(self, spec: RuleSpec, stage: StageConfig) -> events.Rule:
        rule = events.Rule(
            self,
            f"{_pascal(spec.name)}Rule",
            event_bus=self.bus,
            rule_name=physical_name(stage.name, spec.name),
            description=spec.description,
        )
        rule.add_event_pattern(**_pattern_props(spec.pattern))
        rule.add_target(self._target(spec.target, stage))
        return rule

    def _target(self, name: str, stage: StageConfig) -> events.IRuleTarget:
        if name == EVENT_LOG_TARGET:
            return cast(events.IRuleTarget, _LogGroupTarget(self.event_log))
        if name not in self.queues:
            self.queues[name] = self._consumer_queue(name, stage)
        return targets.SqsQueue(self.queues[name])

    def _consumer_queue(self, name: str, stage: StageConfig) -> sqs.Queue:
        dlq = sqs.Queue(
            self,
            f"{_pascal(name)}Dlq",
            queue_name=physical_name(stage.name, f"{name}-dlq"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.dead_letter_queues[name] = dlq
        return sqs.Queue(
            self,
            f"{_pascal(name)}Queue",
            queue_name=physical_name(stage.name, name),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=QUEUE_MAX_RECEIVES),
        )

    def _allow_rules_to_write_event_log(self, stage: StageConfig) -> None:
        # A native resource policy instead of targets.CloudWatchLogGroup, which installs a
        # custom-resource Lambda (with wildcard IAM) just to call PutResourcePolicy.
        writers = [self.rules[spec.name].rule_arn for spec in RULES if spec.target == EVENT_LOG_TARGET]
        if not writers:
            return
        logs.ResourcePolicy(
            self,
            "EventLogPolicy",
            resource_policy_name=physical_name(stage.name, "event-log"),
            policy_statements=[
                iam.PolicyStatement(
                    sid="EventBridgeRulesWriteEventLog",
                    principals=[
                        iam.ServicePrincipal("events.amazonaws.com"),
                        iam.ServicePrincipal("delivery.logs.amazonaws.com"),
                    ],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.event_log.log_group_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": writers}},
                )
            ],
        )


@jsii.implements(events.IRuleTarget)
class _LogGroupTarget:
    """Delivers a rule's events to a log group whose resource policy is managed by ``EventBackbone``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        stack = Stack.of(self._log_group)
        # EventBridge wants the log group ARN without the trailing ":*" that LogGroup.log_group_arn has.
        arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=self._log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return events.RuleTargetConfig(arn=arn)


_PATTERN_FIELDS = {
    "source": "source",
    "detail-type": "detail_type",
    "detail": "detail",
    "account": "account",
    "region": "region",
    "resources": "resources",
    "id": "id",
    "time": "time",
    "version": "version",
}


def _pattern_props(pattern: dict[str, Any]) -> dict[str, Any]:
    """The spec's raw EventBridge JSON as ``add_event_pattern`` keyword arguments, matchers unchanged.

    ``Match.any_of`` carries prefix/anything-but/numeric matchers through as they are written, so the
    template holds exactly the spec's pattern (the local stack puts the same JSON on its rules).
    """
    unknown = set(pattern) - set(_PATTERN_FIELDS)
    if unknown:
        raise ValueError(f"unsupported event pattern fields {sorted(unknown)} in {json.dumps(pattern)}")
    props: dict[str, Any] = {}
    for key, value in pattern.items():
        props[_PATTERN_FIELDS[key]] = value if key == "detail" else events.Match.any_of(*value)
    return props


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.replace("/", "-").split("-"))
