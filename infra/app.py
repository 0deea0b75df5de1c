"""The CDK app: ``npx cdk synth --context stage=dev`` (``cdk.json`` runs ``python -m infra.app``).

One stage per synth, deployed in this order: ``shop-<stage>-stateful`` (tables, bus, secrets, user pools),
``shop-<stage>-services`` (layers, workflows, REST API, alarm topic, API and workflow alarms), then one
``shop-<stage>-<context>`` per name in ``CONTEXTS`` (the context's functions, their triggers, alarms and
dashboard; the search context also its domain). References only point back to earlier stacks. cdk-nag's
AwsSolutions pack checks the whole app; an unacknowledged finding fails the synth.
"""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.resources import APP, CONTEXTS
from infra.stacks.context import ContextStack
from infra.stacks.services import ServicesStack
from infra.stacks.stateful import StatefulStack
from infra.stages import DEFAULT_STAGE, cdk_json_context, load_stage

BUNDLING_STACKS_KEY = "aws:cdk:bundling-stacks"
SHARED_STACKS = ("stateful", "services")


def build_app(
    stage: str | None = None,
    *,
    bundling: bool = True,
    outdir: str | None = None,
    alarm_email: str | None = None,
) -> cdk.App:
    """The app for ``stage`` (else ``--context stage=...``, else dev).

    The alarm address comes from ``alarm_email``, else ``--context alarmEmail=...``, else the stage in
    ``cdk.json``; a production stage without one fails the synth.

    ``bundling=False`` skips building the kernel layer (the layer asset is then its source folder), which
    keeps synth fast for tests that only inspect templates.
    """
    # cdk.json's context (stages, feature flags) also applies when tests build the app without the CLI;
    # the CLI's own context takes precedence over values passed here.
    context: dict[str, Any] = cdk_json_context()
    if not bundling:
        context[BUNDLING_STACKS_KEY] = []
    app = cdk.App(context=context, outdir=outdir)
    name = stage or app.node.try_get_context("stage") or DEFAULT_STAGE
    config = load_stage(
        name,
        app.node.get_context("stages"),
        alarm_email=alarm_email or app.node.try_get_context("alarmEmail"),
    )
    env = cdk.Environment(
        account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=config.region or os.environ.get("CDK_DEFAULT_REGION"),
    )
    stateful = StatefulStack(
        app,
        f"{APP}-{name}-stateful",
        stage=config,
        env=env,
        description=f"Shop {name}: tables, event bus and archive, secrets, user pool",
    )
    services = ServicesStack(
        app,
        f"{APP}-{name}-services",
        stage=config,
        stateful=stateful,
        env=env,
        description=f"Shop {name}: layers, workflows, REST API, alarm topic, API and workflow alarms",
    )
    for bounded_context in CONTEXTS:
        if bounded_context in SHARED_STACKS:
            raise ValueError(f"a context cannot be named {bounded_context!r}: that stack name is taken")
        ContextStack(
            app,
            f"{APP}-{name}-{bounded_context}",
            stage=config,
            context=bounded_context,
            stateful=stateful,
            services=services,
            env=env,
            description=f"Shop {name}: the {bounded_context} context's functions, triggers, alarms, dashboard",
        )
    cdk.Tags.of(app).add("app", APP)
    cdk.Tags.of(app).add("stage", name)
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return app


def stacks(app: cdk.App) -> list[cdk.Stack]:
    return [child for child in app.node.children if isinstance(child, cdk.Stack)]


if __name__ == "__main__":
    build_app().synth()
