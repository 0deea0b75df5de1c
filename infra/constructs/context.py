"""A bounded context's functions: every ``FunctionSpec`` of the context, built by ``ServiceFunction``."""

from __future__ import annotations

from constructs import Construct

from infra.constructs.function import ServiceFunction, SharedResources
from infra.function_code import code_asset
from infra.resources import FUNCTIONS


def pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("-"))


class BoundedContext(Construct):
    """``functions[spec.name]`` for the context's specs."""

    def __init__(self, scope: Construct, construct_id: str, *, context: str, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        self.context = context
        code = code_asset(context)  # one asset for all the context's functions, worked out once
        self.functions: dict[str, ServiceFunction] = {
            spec.name: ServiceFunction(self, pascal(spec.name), spec=spec, shared=shared, code=code)
            for spec in FUNCTIONS
            if spec.context == context
        }
