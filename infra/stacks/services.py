"""What every context's functions share and what fronts them: the layers, the workflows, the REST API, the alarm
topic and the API and workflow alarms.

Deployed before the context stacks (``infra/stacks/context.py``), which read the layers, the alarm topic,
the API and the state machines from it. It names the functions only by the ARNs their fixed names give
(``function_reference``): the API's integrations and the workflows' ``function:`` substitutions hold no
CloudFormation reference to a context's stack, so no cycle can form, and the invoke permissions are the
functions' own (``ServiceFunction.allow_api``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.api import ShopApi
from infra.constructs.context import pascal
from infra.constructs.function import function_reference
from infra.constructs.layer import KernelLayer, PackageLayer
from infra.constructs.observability import AlarmTopic, ApiAlarms, WorkflowAlarms
from infra.constructs.workflows import Workflows
from infra.resources import CONTEXTS, FUNCTIONS
from infra.stacks.stateful import StatefulStack
from infra.stages import StageConfig


class ServicesStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        stateful: StatefulStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.layer = KernelLayer(self, "KernelLayer", removal_policy=stage.removal_policy)
        # One package layer per name the functions' specs list (``search``, ``payments``), for them only.
        listed = sorted({name for spec in FUNCTIONS if spec.context in CONTEXTS for name in spec.layers})
        self.package_layers: dict[str, lambda_.ILayerVersion] = {
            name: PackageLayer(
                self, f"{name.title()}Layer", name=name, removal_policy=stage.removal_policy
            ).layer
            for name in listed
        }
        references = Construct(self, "Functions")
        functions: dict[str, lambda_.IFunction] = {
            spec.name: function_reference(references, pascal(spec.name), stage=stage.name, name=spec.name)
            for spec in FUNCTIONS
            if spec.context in CONTEXTS
        }
        self.workflows = Workflows(
            self,
            "Workflows",
            stage=stage,
            tables=stateful.data.tables,
            bus=stateful.events.bus,
            functions=functions,
        )
        self.api = ShopApi(self, "Api", stage=stage, user_pools=stateful.auth.pools, functions=functions)
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", stage=stage)
        self.api_alarms = ApiAlarms(
            self, "ApiAlarms", stage=stage, api=self.api.api, action=self.alarm_topic.action
        )
        self.workflow_alarms = WorkflowAlarms(
            self,
            "WorkflowAlarms",
            stage=stage,
            state_machines=self.workflows.state_machines,
            action=self.alarm_topic.action,
        )
