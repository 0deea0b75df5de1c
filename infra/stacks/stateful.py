"""Everything that holds data or identity: tables, buckets, the event bus, archive and schemas, secrets, the user pool.

Kept apart from the functions and the API so that routine deployments of code never touch it, and so
that production can protect it as a whole (termination protection, retained resources).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.auth import ShopUserPool
from infra.constructs.data import ShopTables
from infra.constructs.events import EventBackbone
from infra.constructs.schemas import EventSchemaRegistry
from infra.constructs.secrets import ShopSecrets
from infra.constructs.storage import ShopBuckets
from infra.stages import StageConfig


class StatefulStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=stage.is_production, **kwargs)
        self.data = ShopTables(self, "Data", stage=stage)
        self.buckets = ShopBuckets(self, "Buckets", stage=stage)
        self.events = EventBackbone(self, "Events", stage=stage)
        self.event_schemas = EventSchemaRegistry(self, "EventSchemas", stage=stage)
        self.secrets = ShopSecrets(self, "Secrets", stage=stage)
        self.auth = ShopUserPool(self, "Auth", stage=stage)
