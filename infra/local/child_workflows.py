"""Workflow tasks that start another workflow (``arn:aws:states:::states:startExecution[.sync[:2]]``) in moto.

moto 5.2's interpreter has the Step Functions integration (``StateTaskServiceSfn``) but hands the state's
parameters to botocore as the ASL spells them (``StateMachineArn``, ``Input``, ``Name``) where botocore's
``start_execution`` wants ``stateMachineArn``..., so every such Task fails with ``States.Runtime``
(``KeyError: 'StateMachineArn'``); and it reads the answers (``ExecutionArn``; ``.sync``'s ``Output``,
``Status``) in the Pascal case Step Functions gives the state, which botocore's camel-case answers lack.
This module turns the parameters' first letters lower and the answers' upper, as the cloud's integration
does, so a parent workflow can run a child (an Express child for a burst of synchronous tasks) locally
with the same ASL (``tests/workflows/test_child_workflows.py``).

And a task token answered while any execution is being started (``RUNNING``, its worker or the worker's
environment, which its thread builds, not yet there) failed with ``AttributeError`` in moto's ``SendTask*``,
which walk every running execution's environment for the token. Children make such moments frequent (a
shipment's child starts while a warehouse or carrier answers), so those walks skip an execution without an
environment: it holds no token yet.

And the interpreter is imported without moto's Batch and EC2 models. Its Batch task imports
``moto.batch.utils`` for one enum, and importing that runs the ``moto.batch`` package's ``__init__``, which
imports Batch's models and through them EC2's (regions, AMIs and instance types read from JSON): 1.3 of the
2.3 CPU seconds the interpreter's import took, while the moto process starts and before it answers anyone.
No workflow has a Batch task. ``moto.batch`` is put in ``sys.modules`` as a package whose ``__init__`` runs
on the first attribute asked of it (moto's ``get_backend("batch")`` asks for ``batch_backends``), so its
submodules import as before and a Batch request would still find its backend.

Installed by the local stack's moto process (``infra.local.moto_server``) and by the workflow tests.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

_originals: dict[str, Any] = {}


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def _upper_first(key: str) -> str:
    return key[:1].upper() + key[1:]


def _service() -> Any:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn,
    )

    return state_task_service_sfn.StateTaskServiceSfn


def _normalise_parameters(
    self: Any,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    _originals["_normalise_parameters"](self, parameters, boto_service_name, service_action_name)
    for key in list(parameters):
        parameters[_lower_first(key)] = parameters.pop(key)


def _normalise_response(
    self: Any,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    _originals["_normalise_response"](self, response, boto_service_name, service_action_name)
    if isinstance(response, dict):
        for key in list(response):
            response[_upper_first(key)] = response.pop(key)


def _backend() -> Any:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    return StepFunctionsParserBackend


def _executions_with_workers(self: Any, execution_status: Any = None) -> list[Any]:
    executions = _originals["_get_executions"](self, execution_status)
    return [
        execution
        for execution in executions
        if execution.exec_worker is not None and execution.exec_worker.env is not None
    ]


def _patched() -> list[tuple[Any, str, Any]]:
    return [
        (_service(), "_normalise_parameters", _normalise_parameters),
        (_service(), "_normalise_response", _normalise_response),
        (_backend(), "_get_executions", _executions_with_workers),
    ]


class _PackageRunOnFirstUse(types.ModuleType):
    """A package in ``sys.modules`` whose own ``__init__`` has not run: its submodules import from its
    ``__path__``; the first attribute it lacks runs the ``__init__`` into it and is looked up again."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or self.__dict__.get("_initialised"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self.__dict__["_initialised"] = True
        self.__spec__.loader.exec_module(self)  # type: ignore[union-attr]
        return getattr(self, name)


def defer_package_init(name: str) -> None:
    """``name``'s ``__init__`` runs when something first uses the package itself, not when a submodule of it
    is imported. Nothing happens if it is imported already."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = _PackageRunOnFirstUse(name)
    package.__spec__ = spec
    package.__loader__ = spec.loader
    package.__file__ = spec.origin
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = name
    sys.modules[name] = package


def install() -> None:
    """Idempotent; affects every Step Functions interpreter in this process."""
    if _originals:
        return
    defer_package_init("moto.batch")
    for owner, name, replacement in _patched():
        _originals[name] = getattr(owner, name)
        setattr(owner, name, replacement)


def installed() -> bool:
    return bool(_originals)


def uninstall() -> None:
    if not _originals:
        return
    for owner, name, _ in _patched():
        setattr(owner, name, _originals[name])
    _originals.clear()
