"""``Workflows``: every ``WORKFLOWS`` spec as a Step Functions state machine.

Each state machine is its ASL file from ``state_machines/`` (``DefinitionBody.from_file``) with the
spec's ``${Placeholder}`` values handed to CloudFormation as ``DefinitionSubstitutions``, after
``infra.workflows`` has checked that file and spec agree (the check the local stack runs too). Each gets:

- its own role, trusted by Step Functions for this account only, allowed exactly what its substitutions
  reference: item reads and writes on a ``table:`` (the functions' grant, no Scan), ``events:PutEvents``
  on the ``bus``, ``lambda:InvokeFunction`` on a ``function:`` (that ARN, no version/alias wildcard),
  starting a ``workflow:`` child and following its executions (``startExecution.sync:2``);
- Standard, or Express for a spec marked ``express`` (a child run as one Task of its parent);
- X-Ray tracing, and a log group with the stage's retention and removal policy that receives every
  state transition (``LogLevel.ALL``) without execution data (see ``_log_destination``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import ArnFormat, Stack, Tags
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.function import grant_table_access
from infra.constructs.nag import acknowledge, printed_pseudo
from infra.resources import WORKFLOWS, StateMachineSpec, physical_name
from infra.stages import StageConfig
from infra.workflows import (
    STATE_MACHINES_DIR,
    Reference,
    Resolver,
    check_definition,
    definition_path,
    references,
    substitution_values,
)

SPEC_TAG = "shop:workflow"  # ties a state machine back to its spec (tests, cost reports)


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("-"))


class Workflows(Construct):
    """``state_machines[spec.name]`` and ``log_groups[spec.name]`` for every spec."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        tables: Mapping[str, dynamodb.ITable],
        bus: events.IEventBus,
        functions: Mapping[str, lambda_.IFunction],
        specs: Sequence[StateMachineSpec] = WORKFLOWS,
        directory: Path = STATE_MACHINES_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self._tables, self._bus, self._functions = tables, bus, functions
        self._resolver = Resolver(
            table_name=lambda name: tables[name].table_name,
            bus_name=bus.event_bus_name,
            function_arn=lambda name: functions[name].function_arn,
            workflow_arn=lambda name: self.state_machines[name].state_machine_arn,
        )
        self.state_machines: dict[str, sfn.StateMachine] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for spec in specs:
            self.state_machines[spec.name] = self._state_machine(spec, directory)

    def _state_machine(self, spec: StateMachineSpec, directory: Path) -> sfn.StateMachine:
        # Fails the synth on a placeholder/substitution mismatch or a file that is not ASL JSON.
        check_definition(spec, directory)
        scope = Construct(self, _pascal(spec.name))
        name = physical_name(self._stage.name, spec.name)
        role = self._role(scope, spec, name)
        state_machine = sfn.StateMachine(
            scope,
            "StateMachine",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.EXPRESS
            if spec.express
            else sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(definition_path(spec, directory))),
            definition_substitutions=substitution_values(spec, self._resolver) or None,
            role=role,
            tracing_enabled=True,
            logs=self._log_destination(scope, spec, name),
        )
        Tags.of(state_machine).add(SPEC_TAG, spec.name)
        acknowledge(
            role,
            "IAM5",
            "Step Functions delivers execution logs through CloudWatch Logs log deliveries "
            "(logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and traces through X-Ray "
            "(xray:PutTraceSegments, xray:GetSamplingRules, ...); none of these actions supports "
            "resource-level permissions, so their statements must name Resource '*'.",
            "Resource::*",
        )
        return state_machine

    def _role(self, scope: Construct, spec: StateMachineSpec, name: str) -> iam.Role:
        # aws:SourceAccount keeps another account's state machine from using this role (confused deputy).
        principal = iam.ServicePrincipal("states.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
        )
        role = iam.Role(
            scope, "Role", assumed_by=principal, description=f"Runs {name}: {spec.description}"[:1000]
        )
        for reference in dict.fromkeys(references(spec).values()):
            self._grant(role, reference)
        return role

    def _grant(self, role: iam.Role, reference: Reference) -> None:
        if reference.kind == "table":
            grant_table_access(role, self._tables[reference.name], reference.name, write=True)
        elif reference.kind == "bus":
            self._bus.grant_put_events_to(role)
        elif reference.kind == "workflow":
            self._grant_running(role, reference.name)
        else:
            # The function's ARN only: Function.grant_invoke would add "<arn>:*" (every version and alias).
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"],
                    resources=[self._functions[reference.name].function_arn],
                )
            )

    def _grant_running(self, role: iam.Role, name: str) -> None:
        """What ``states:startExecution.sync:2`` needs on a child: start it, follow and stop its executions,
        and the managed EventBridge rule through which Step Functions learns that a child ended."""
        child = self.state_machines[name]
        stack = Stack.of(self)
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{physical_name(self._stage.name, name)}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[child.state_machine_arn])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"], resources=[executions]
            )
        )
        partition, region, account = printed_pseudo(stack)
        acknowledge(
            role,
            "IAM5",
            "A child's executions get a generated name at each start, so following and stopping the ones "
            "this workflow starts needs that one state machine's executions, not one ARN.",
            f"Resource::arn:{partition}:states:{region}:{account}:execution:"
            f"{physical_name(self._stage.name, name)}:*",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name="StepFunctionsGetEventsForStepFunctionsExecutionRule",
                    )
                ],
            )
        )

    def _log_destination(self, scope: Construct, spec: StateMachineSpec, name: str) -> sfn.LogOptions:
        log_group = logs.LogGroup(
            scope,
            "Logs",
            # The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's CloudWatch Logs
            # resource policy (10 policies, 5 KB) with one statement per log group.
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=self._stage.log_retention,
            removal_policy=self._stage.removal_policy,
        )
        self.log_groups[spec.name] = log_group
        # Every transition, but no state input/output: executions carry orders (customer ids, later
        # addresses and payment references), and these logs are kept for up to a year and read by more
        # people than the execution history, which holds the data for 90 days behind its own IAM.
        return sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False)
