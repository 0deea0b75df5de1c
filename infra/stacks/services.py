"""The code of a stage: the kernel layer, every bounded context's functions, the workflows, the REST API,
monitoring.

Workflows are built after the functions (a definition may invoke one); then every function that starts a
workflow is handed that state machine's ARN and allowed to start it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.api import ShopApi
from infra.constructs.context import BoundedContext
from infra.constructs.function import SharedResources
from infra.constructs.layer import KernelLayer
from infra.constructs.observability import (
    AlarmTopic,
    ApiAlarms,
    ContextMonitoring,
    MetricAlarms,
    WorkflowAlarms,
)
from infra.constructs.search import SearchDomain, SearchLayer
from infra.constructs.workflows import Workflows
from infra.resources import CONTEXTS
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
        self.search_layer = SearchLayer(self, "SearchLayer", removal_policy=stage.removal_policy)
        self.search = SearchDomain(self, "SearchDomain", stage=stage)
        shared = SharedResources(
            stage=stage,
            layer=self.layer.layer,
            bus=stateful.events.bus,
            tables=stateful.data.tables,
            secrets=stateful.secrets.secrets,
            extra_layers={"search": self.search_layer.layer},
            search=self.search,
            queues=stateful.events.queues,
            dead_letter_queues=stateful.events.dead_letter_queues,
        )
        self.contexts = {
            name: BoundedContext(self, name.title(), context=name, shared=shared) for name in CONTEXTS
        }
        self.search.allow(
            {
                name: (service.role, service.spec.search_index)
                for context in self.contexts.values()
                for name, service in context.functions.items()
                if service.spec.search_index is not None
            }
        )
        functions = {
            spec_name: service.function
            for context in self.contexts.values()
            for spec_name, service in context.functions.items()
        }
        self.workflows = Workflows(
            self,
            "Workflows",
            stage=stage,
            tables=stateful.data.tables,
            bus=stateful.events.bus,
            functions=functions,
        )
        for context in self.contexts.values():
            for service in context.functions.values():
                for workflow_name in service.spec.starts_workflows:
                    service.allow_starting(workflow_name, self.workflows.state_machines[workflow_name])
                for workflow_name in service.spec.answers_workflows:
                    service.allow_answering(workflow_name, self.workflows.state_machines[workflow_name])
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
        self.metric_alarms = MetricAlarms(self, "MetricAlarms", stage=stage, action=self.alarm_topic.action)
        self.monitoring = {
            name: ContextMonitoring(
                self,
                f"{name.title()}Monitoring",
                stage=stage,
                context=name,
                functions=list(context.functions.values()),
                api=self.api.api,
                action=self.alarm_topic.action,
            )
            for name, context in self.contexts.items()
        }
