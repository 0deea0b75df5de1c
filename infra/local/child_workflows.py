"""Workflow tasks that start another workflow (``arn:aws:states:::states:startExecution[.sync[:2]]``) in moto.

moto 5.2's interpreter has the Step Functions integration (``StateTaskServiceSfn``) but hands the state's
parameters to botocore as the ASL spells them (``StateMachineArn``, ``Input``, ``Name``) where botocore's
``start_execution`` wants ``stateMachineArn``..., so every such Task fails with ``States.Runtime``
(``KeyError: 'StateMachineArn'``); and it reads the answers (``ExecutionArn``; ``.sync``'s ``Output``,
``Status``) in the Pascal case Step Functions gives the state, which botocore's camel-case answers lack.
This module turns the parameters' first letters lower and the answers' upper, as the cloud's integration
does, so a parent workflow can run a child (an Express child for a burst of synchronous tasks) locally
with the same ASL (``tests/workflows/test_child_workflows.py``).

Installed by the local stack's moto process (``infra.local.moto_server``) and by the workflow tests.
"""

from __future__ import annotations

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


def install() -> None:
    """Idempotent; affects every Step Functions interpreter in this process."""
    service = _service()
    if _originals:
        return
    _originals["_normalise_parameters"] = service._normalise_parameters
    _originals["_normalise_response"] = service._normalise_response
    service._normalise_parameters = _normalise_parameters
    service._normalise_response = _normalise_response


def uninstall() -> None:
    service = _service()
    for name, original in _originals.items():
        setattr(service, name, original)
    _originals.clear()
