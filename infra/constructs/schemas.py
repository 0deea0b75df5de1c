"""The stage's EventBridge Schema Registry with every event's schema (``functions/*/schemas``).

Partners browse and download code bindings for our events from the registry; the files are generated
from the pydantic models by ``python -m infra.event_schemas`` and pinned by ``tests/contract``.

One registry schema per event (``<source>@<DetailType>``), holding the newest committed version: the
registry numbers each new content as a version of that schema, so older versions stay readable there.
Two resources for two versions of one event would clash on the schema name at deploy. The resource's
logical id comes from the event's first version and never moves, so a new version updates the schema in
place instead of replacing it (a replacement would create the same name before deleting the old one).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from infra.event_schemas import schema_files
from infra.resources import APP
from infra.stages import StageConfig


def _version(content: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(part) for part in content["x-version"].split("."))


def versions_by_event(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """``<source>@<DetailType>`` -> its committed schemas, oldest version first."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in paths:
        content = json.loads(path.read_text())
        events[f"{content['x-source']}@{content['x-detail-type']}"].append(content)
    return {name: sorted(versions, key=_version) for name, versions in sorted(events.items())}


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
        for name, versions in versions_by_event(schema_files()).items():
            first, newest = versions[0], versions[-1]
            schema = eventschemas.CfnSchema(
                self,
                f"{first['x-detail-type']}V{first['x-version'].replace('.', '')}",
                registry_name=self.registry.attr_registry_name,
                schema_name=name,
                type="JSONSchemaDraft4",
                content=json.dumps(newest, separators=(",", ":")),
                description=f"{newest['description']} (version {newest['x-version']})",
            )
            self.schemas.append(schema)
