"""Settings models read from the environment once per cold start.

A context declares ``class CatalogSettings(ServiceSettings): table_name: str`` and calls
``CatalogSettings.from_env()``; field ``table_name`` is read from ``TABLE_NAME``. Handlers pass settings
to adapters; domain code never sees the environment.

A resource name's default (``local_default("shop-local-orders")``) holds in the local stage only, where
the local stack creates resources by those names. In any other stage a function has only what its spec
gives it: a variable left unset stays unset, and reading the setting raises ``SettingsError`` naming the
variable and the stage, when the function first wires what needs it, before any call is made. A function
never reaches another stage's (or the local stack's) resource by a fallback name.

Several functions of a context share one settings class and not every function is given every variable
(the checkout stream consumer has the inventory table, not the carts table), so the error is raised by the
setting a function reads, not by the settings it does not use.
"""

from __future__ import annotations

import os
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

LOCAL_STAGE = "local"
_LOCAL_DEFAULT = "local_default"


class SettingsError(RuntimeError):
    """A setting this function needs is not in its environment (a spec or deployment gap)."""


def local_default(value: str) -> Any:
    """A default that applies in the local stage only (a resource name the local stack creates)."""
    return Field(default=value, json_schema_extra={_LOCAL_DEFAULT: True})


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = LOCAL_STAGE
    service_name: str = "shop"
    event_bus_name: str = local_default("shop-local")
    aws_region: str = "eu-west-1"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        if "service_name" not in values and "POWERTOOLS_SERVICE_NAME" in env:
            values["service_name"] = env["POWERTOOLS_SERVICE_NAME"]
        return cls.model_validate(values)

    @classmethod
    def local_defaults(cls) -> tuple[str, ...]:
        """The fields whose default holds in the local stage only."""
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(_LOCAL_DEFAULT)
        )

    def _unset_outside_local(self) -> tuple[str, ...]:
        """Fields given no value that may not fall back to their local default (overridable)."""
        return tuple(name for name in self.local_defaults() if name not in self.model_fields_set)

    @model_validator(mode="after")
    def _no_local_names_outside_the_local_stage(self) -> Self:
        if self.stage != LOCAL_STAGE:
            for name in self._unset_outside_local():
                # Left unset: reading it raises (``__getattr__``), a missing variable never becomes a name.
                self.__dict__.pop(name, None)
        return self

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes not found normally: a local-default setting unset outside the local stage.
        if name in type(self).model_fields:
            stage = self.__dict__.get("stage", "?")
            raise SettingsError(
                f"{name.upper()} is not set for this function in stage {stage!r}; its default "
                f"{type(self).model_fields[name].default!r} names a resource of the local stage only. "
                "Give the function the variable (and the grant) in its spec (infra/resources.py)."
            )
        return super().__getattr__(name)  # type: ignore[misc]
