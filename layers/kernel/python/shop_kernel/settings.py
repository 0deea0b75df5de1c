"""Settings models read from the environment once per cold start.

A context declares ``class CatalogSettings(ServiceSettings): table_name: str`` and calls
``CatalogSettings.from_env()``; field ``table_name`` is read from ``TABLE_NAME``. Handlers pass settings
to adapters; domain code never sees the environment.
"""

from __future__ import annotations

import os
from typing import Self

from pydantic import BaseModel, ConfigDict


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = "local"
    service_name: str = "shop"
    event_bus_name: str = "shop-local"
    aws_region: str = "eu-west-1"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        if "service_name" not in values and "POWERTOOLS_SERVICE_NAME" in env:
            values["service_name"] = env["POWERTOOLS_SERVICE_NAME"]
        return cls.model_validate(values)
