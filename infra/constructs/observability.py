"""Alarms, the alarm topic and one dashboard per bounded context.

Alarms are few and actionable: a function error or throttle, any API 5xx (no request may produce one),
API p99 latency over budget, any record in a stream DLQ, any failed workflow execution, and the business
metrics in ``METRIC_ALARMS`` (shipments stuck without tracking). They notify
an encrypted SNS topic (with an email subscription when the stage names one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.function import ServiceFunction
from infra.resources import APP, METRIC_ALARMS, physical_name
from infra.stages import StageConfig

PERIOD = Duration.minutes(5)
API_P99_LATENCY_MS = 2000
API_LATENCY_PERIODS = 3  # sustained for 15 minutes, not one slow cold start


class AlarmTopic(Construct):
    """``topic``: where every alarm of the stage notifies, encrypted with a key CloudWatch may use."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the {physical_name(stage.name, 'alarms')} topic",
            enable_key_rotation=True,
            removal_policy=stage.removal_policy,
        )
        # The AWS managed SNS key cannot be used by CloudWatch alarms; this key lets CloudWatch publish.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=physical_name(stage.name, "alarms"),
            display_name=f"Shop {stage.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if stage.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
        self.action = actions.SnsAction(self.topic)


def _alarm(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    action: cloudwatch.IAlarmAction,
    periods: int = 1,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
) -> cloudwatch.Alarm:
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        comparison_operator=comparison,
        # No traffic is not an outage.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


class ApiAlarms(Construct):
    """Any 5xx and a sustained p99 latency over budget on the REST API's stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        api: apigw.RestApi,
        action: cloudwatch.IAlarmAction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.server_errors = _alarm(
            self,
            "ServerErrors",
            name=physical_name(stage.name, "api-5xx"),
            description="The API answered 5xx: every request must get a 2xx-4xx answer",
            metric=api.metric_server_error(period=PERIOD, statistic="Sum"),
            threshold=1,
            action=action,
        )
        self.latency = _alarm(
            self,
            "LatencyP99",
            name=physical_name(stage.name, "api-latency-p99"),
            description=f"API p99 latency over {API_P99_LATENCY_MS} ms for {API_LATENCY_PERIODS} periods",
            metric=api.metric_latency(period=PERIOD, statistic="p99"),
            threshold=API_P99_LATENCY_MS,
            periods=API_LATENCY_PERIODS,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            action=action,
        )


class WorkflowAlarms(Construct):
    """One alarm per workflow on any failed execution: it left an order or a return half-way."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        state_machines: Mapping[str, sfn.IStateMachine],
        action: cloudwatch.IAlarmAction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms = {
            name: _alarm(
                self,
                f"{''.join(part.title() for part in name.split('-'))}Failed",
                name=physical_name(stage.name, f"{name}-executions-failed"),
                description=f"An execution of {name} failed: its console history shows the failed state",
                metric=state_machine.metric_failed(period=PERIOD, statistic="Sum"),
                threshold=1,
                action=action,
            )
            for name, state_machine in state_machines.items()
        }


class MetricAlarms(Construct):
    """One alarm per ``METRIC_ALARMS`` spec of ``context``, on the metric the context's functions publish."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        context: str,
        action: cloudwatch.IAlarmAction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms = {
            spec.name: _alarm(
                self,
                "".join(part.title() for part in spec.name.split("-")),
                name=physical_name(stage.name, spec.name),
                description=spec.description,
                metric=cloudwatch.Metric(
                    namespace=APP,
                    metric_name=spec.metric,
                    dimensions_map={"service": spec.context},
                    statistic="Maximum",
                    period=Duration.minutes(spec.period_minutes),
                ),
                threshold=spec.threshold,
                action=action,
            )
            for spec in METRIC_ALARMS
            if spec.context == context
        }


class ContextMonitoring(Construct):
    """Alarms for one bounded context's functions and DLQs, and its dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        context: str,
        functions: Sequence[ServiceFunction],
        api: apigw.RestApi,
        action: cloudwatch.IAlarmAction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        for service in functions:
            self.alarms += self._function_alarms(stage, service, action)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=physical_name(stage.name, context),
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown=f"# {context} ({stage.name})", width=24, height=1)
        )
        self.dashboard.add_widgets(*_api_widgets(api))
        for service in functions:
            self.dashboard.add_widgets(*_function_widgets(service))
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(alarms=self.alarms, width=24, title="Alarms"))

    def _function_alarms(
        self, stage: StageConfig, service: ServiceFunction, action: cloudwatch.IAlarmAction
    ) -> list[cloudwatch.Alarm]:
        name = service.spec.name
        function = service.function
        alarms = [
            _alarm(
                service,
                "ErrorsAlarm",
                name=physical_name(stage.name, f"{name}-errors"),
                description=f"{name} raised an error (unhandled exception, timeout or out of memory)",
                metric=function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                action=action,
            ),
            _alarm(
                service,
                "ThrottlesAlarm",
                name=physical_name(stage.name, f"{name}-throttles"),
                description=f"{name} was throttled: the account's concurrency is exhausted",
                metric=function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=1,
                action=action,
            ),
        ]
        if service.dead_letter_queue is not None:
            alarms.append(
                _alarm(
                    service,
                    "DlqAlarm",
                    name=physical_name(stage.name, f"{name}-dlq-depth"),
                    description=f"Stream records or scheduled runs {name} gave up on are waiting in its DLQ",
                    metric=service.dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1), statistic="Maximum"
                    ),
                    threshold=1,
                    action=action,
                )
            )
        return alarms


def _api_widgets(api: apigw.RestApi) -> list[cloudwatch.IWidget]:
    return [
        cloudwatch.GraphWidget(
            title="API requests and errors",
            left=[api.metric_count(period=PERIOD), api.metric_client_error(period=PERIOD)],
            right=[api.metric_server_error(period=PERIOD)],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="API latency",
            left=[
                api.metric_latency(period=PERIOD, statistic="p50", label="p50"),
                api.metric_latency(period=PERIOD, statistic="p99", label="p99"),
                api.metric_integration_latency(period=PERIOD, statistic="p99", label="integration p99"),
            ],
            width=12,
        ),
    ]


def _function_widgets(service: ServiceFunction) -> list[cloudwatch.IWidget]:
    function = service.function
    name = service.spec.name
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title=f"{name}: invocations, errors, throttles",
            left=[function.metric_invocations(period=PERIOD)],
            right=[function.metric_errors(period=PERIOD), function.metric_throttles(period=PERIOD)],
            width=8,
        ),
        cloudwatch.GraphWidget(
            title=f"{name}: duration",
            left=[
                function.metric_duration(period=PERIOD, statistic="p50", label="p50"),
                function.metric_duration(period=PERIOD, statistic="p99", label="p99"),
            ],
            width=8,
        ),
    ]
    if service.dead_letter_queue is not None:
        widgets.append(
            cloudwatch.GraphWidget(
                title=f"{name}: DLQ depth",
                left=[service.dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD)],
                width=8,
            )
        )
    return widgets
