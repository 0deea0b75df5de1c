"""The stage's EventBridge Schema Registry with every committed event schema (``functions/*/schemas``).

Partners browse and download code bindings for our events from the registry; the files are generated
from the pydantic models by ``python -m infra.event_schemas`` and pinned by ``tests/contract``.
"""

from __future__ import annotations

import json

from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from infra.event_schemas import schema_files
from infra.resources import APP
from infra.stages import StageConfig


class EventSchemaRegistry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.registry = eventschemas.CfnRegistry(
            self,
            "Registry",
            registry_name=f"{APP}-{stage.name}",
            description=f"Versioned schemas of the events on the {APP}-{stage.name} bus",
        )
        self.schemas: list[eventschemas.CfnSchema] = []
        for path in schema_files():
            content = json.loads(path.read_text())
            schema = eventschemas.CfnSchema(
                self,
                f"{content['x-detail-type']}V{content['x-version'].replace('.', '')}",
                registry_name=self.registry.attr_registry_name,
                schema_name=f"{content['x-source']}@{content['x-detail-type']}",
                type="JSONSchemaDraft4",
                content=json.dumps(content, separators=(",", ":")),
                description=f"{content['description']} (version {content['x-version']})",
            )
            self.schemas.append(schema)
