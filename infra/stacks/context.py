"""One bounded context's stack, ``shop-<stage>-<context>``: its functions with their roles, log groups, event
source mappings, schedules and DLQs, the API Gateway permissions to invoke them, and the context's alarms
(its functions' and its ``METRIC_ALARMS``) and dashboard. ``infra/app.py`` builds one per name in ``CONTEXTS``, so a new context gets its own stack
(and its own CloudFormation resource budget) without a code change here.

It reads the stateful stack (tables, bus, queues, secrets) and the services stack (layers, alarm topic,
API, state machines), both deployed before it; nothing reads it back. The search domain lives in the stack
of the context whose functions use it: its resource policy names those functions' roles and they read its
endpoint, so the two must be in one stack. A second context using it would have to go through search's
API or events (contexts own their resources), and the synth says so.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.context import BoundedContext
from infra.constructs.function import SharedResources
from infra.constructs.observability import ContextMonitoring, MetricAlarms
from infra.constructs.search import SearchDomain
from infra.resources import FUNCTIONS
from infra.stacks.services import ServicesStack
from infra.stacks.stateful import StatefulStack
from infra.stages import StageConfig


def search_domain_owner() -> str | None:
    """The one context whose functions use the search index (it holds the domain), if any."""
    owners = sorted({spec.context for spec in FUNCTIONS if spec.search_index is not None})
    if len(owners) > 1:
        raise ValueError(
            f"functions of {', '.join(owners)} use the search index: the domain lives in one context's stack, "
            "so the others must use that context's API or events"
        )
    return owners[0] if owners else None


class ContextStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        context: str,
        stateful: StatefulStack,
        services: ServicesStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.search = (
            SearchDomain(self, "SearchDomain", stage=stage) if search_domain_owner() == context else None
        )
        shared = SharedResources(
            stage=stage,
            layer=services.layer.layer,
            bus=stateful.events.bus,
            tables=stateful.data.tables,
            secrets=stateful.secrets.secrets,
            extra_layers=services.package_layers,
            search=self.search,
            queues=stateful.events.queues,
            dead_letter_queues=stateful.events.dead_letter_queues,
            shopper_pool=stateful.auth.user_pool,
        )
        # The construct ids are those the services stack used, so each resource keeps its logical id.
        self.bounded_context = BoundedContext(self, context.title(), context=context, shared=shared)
        functions = self.bounded_context.functions
        if self.search is not None:
            self.search.allow(
                {
                    name: (service.role, service.spec.search_index)
                    for name, service in functions.items()
                    if service.spec.search_index is not None
                }
            )
        for name, service in functions.items():
            service.allow_api(services.api.invoke_source_arns(name))
            for workflow_name in service.spec.starts_workflows:
                service.allow_starting(workflow_name, services.workflows.state_machines[workflow_name])
            for workflow_name in service.spec.answers_workflows:
                service.allow_answering(workflow_name, services.workflows.state_machines[workflow_name])
            for workflow_name in service.spec.reads_workflows:
                service.allow_reading(
                    workflow_name, services.workflows.state_machines[workflow_name], stage.name
                )
        self.monitoring = ContextMonitoring(
            self,
            f"{context.title()}Monitoring",
            stage=stage,
            context=context,
            functions=list(functions.values()),
            api=services.api.api,
            action=services.alarm_topic.action,
        )
        self.metric_alarms = MetricAlarms(
            self, "MetricAlarms", stage=stage, context=context, action=services.alarm_topic.action
        )
