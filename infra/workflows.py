"""Workflow definitions: the ASL files in ``state_machines/`` and their ``${Placeholder}`` values.

Pure Python, no CDK import, so the CDK app (``infra/constructs/workflows.py``) and the local stack
(``infra/local/provision.py``) read, check and fill a definition with this one module and cannot drift:

- ``substitution_values(spec, resolver)`` turns each of a spec's substitutions (``table:<spec name>``,
  ``bus``, ``function:<spec name>``) into a value through the side's ``Resolver`` (CDK tokens in the
  cloud, physical names and ARNs locally).
- ``check_placeholders`` refuses a definition whose ``${...}`` placeholders are not exactly the spec's
  substitutions: a placeholder left unfilled would reach Step Functions as a literal, and a substitution
  the file never uses is a typo or a leftover. The CDK app runs it at synth (CloudFormation then fills the
  values through ``DefinitionSubstitutions``); ``fill_placeholders`` runs it before filling locally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from infra.resources import FUNCTIONS, TABLES, WORKFLOWS, StateMachineSpec

STATE_MACHINES_DIR = Path(__file__).resolve().parent.parent / "state_machines"
# Anything between "${" and "}" counts, so a malformed name ("${Orders Table}") is reported, not skipped.
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")

ReferenceKind = Literal["table", "bus", "function", "workflow"]


class WorkflowDefinitionError(ValueError):
    """A definition file and its spec disagree (placeholders, references) or the file is not ASL JSON."""


@dataclass(frozen=True)
class Reference:
    """A parsed substitution reference: ``table:orders`` -> ``Reference("table", "orders")``."""

    kind: ReferenceKind
    name: str = ""  # the spec name; empty for ``bus``


@dataclass(frozen=True)
class Resolver:
    """How one side (the CDK app, the local stack) names what a definition may reference."""

    table_name: Callable[[str], str]  # table spec name -> the table's physical name
    bus_name: str  # the stage's event bus
    function_arn: Callable[[str], str]  # function spec name -> the function's ARN
    # workflow spec name -> the state machine's ARN (a child workflow a Task starts)
    workflow_arn: Callable[[str], str] = lambda name: _no_workflow(name)


def _no_workflow(name: str) -> str:
    raise WorkflowDefinitionError(f"this side names no workflow ({name!r})")


def parse_reference(reference: str, *, where: str = "a substitution") -> Reference:
    """``table:<spec name>``, ``bus``, ``function:<spec name>`` or ``workflow:<spec name>``; a name must be a
    declared spec."""
    kind, _, name = reference.partition(":")
    if kind == "bus" and not name:
        return Reference("bus")
    known = {
        "table": {t.name for t in TABLES},
        "function": {f.name for f in FUNCTIONS},
        "workflow": {w.name for w in WORKFLOWS},
    }
    if kind not in known or not name:
        raise WorkflowDefinitionError(
            f"{where}: unknown reference {reference!r}; use 'table:<name>', 'bus', 'function:<name>' "
            "or 'workflow:<name>'"
        )
    if name not in known[kind]:
        raise WorkflowDefinitionError(f"{where}: {reference!r} names no {kind} spec in infra/resources.py")
    found: ReferenceKind = "table" if kind == "table" else "function" if kind == "function" else "workflow"
    return Reference(found, name)


def references(spec: StateMachineSpec) -> dict[str, Reference]:
    """The spec's substitutions parsed, by placeholder name; a placeholder named twice is refused."""
    parsed: dict[str, Reference] = {}
    for placeholder, reference in spec.substitutions:
        if placeholder in parsed:
            raise WorkflowDefinitionError(f"{spec.name}: substitution {placeholder!r} is declared twice")
        parsed[placeholder] = parse_reference(reference, where=f"{spec.name}: ${{{placeholder}}}")
    return parsed


def resolve(reference: Reference, resolver: Resolver) -> str:
    if reference.kind == "bus":
        return resolver.bus_name
    if reference.kind == "table":
        return resolver.table_name(reference.name)
    if reference.kind == "workflow":
        return resolver.workflow_arn(reference.name)
    return resolver.function_arn(reference.name)


def substitution_values(spec: StateMachineSpec, resolver: Resolver) -> dict[str, str]:
    """Placeholder name -> value for ``spec``, as the side behind ``resolver`` names its resources."""
    return {placeholder: resolve(ref, resolver) for placeholder, ref in references(spec).items()}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_placeholders(text: str, names: Iterable[str], *, where: str = "the definition") -> None:
    """Raise unless the ``${...}`` placeholders in ``text`` are exactly ``names``."""
    used, declared = placeholders(text), set(names)
    problems = []
    if missing := sorted(used - declared):
        problems.append(f"placeholders without a substitution: {', '.join(missing)}")
    if unused := sorted(declared - used):
        problems.append(f"substitutions without a placeholder: {', '.join(unused)}")
    if problems:
        raise WorkflowDefinitionError(f"{where}: {'; '.join(problems)}")


def fill_placeholders(text: str, values: Mapping[str, str], *, where: str = "the definition") -> str:
    """``text`` with every ``${Name}`` replaced by ``values[Name]``, as CloudFormation's
    ``DefinitionSubstitutions`` does; refuses a placeholder without a value and a value without a
    placeholder."""
    check_placeholders(text, values, where=where)
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def definition_path(spec: StateMachineSpec, directory: Path = STATE_MACHINES_DIR) -> Path:
    return directory / spec.definition


def check_definition(spec: StateMachineSpec, directory: Path = STATE_MACHINES_DIR) -> dict[str, Any]:
    """Synth-time check of ``spec``'s file: ASL JSON whose placeholders are exactly its substitutions.

    Returns the parsed definition (placeholders still in it: they sit inside JSON strings).
    """
    path = definition_path(spec, directory)
    text = _read(spec, path)
    check_placeholders(text, references(spec), where=f"{spec.name} ({path.name})")
    return _parse(text, f"{spec.name} ({path.name})")


def filled_definition(
    spec: StateMachineSpec, resolver: Resolver, directory: Path = STATE_MACHINES_DIR
) -> str:
    """``spec``'s definition text with its substitutions filled in through ``resolver``."""
    path = definition_path(spec, directory)
    where = f"{spec.name} ({path.name})"
    text = fill_placeholders(_read(spec, path), substitution_values(spec, resolver), where=where)
    _parse(text, where)
    return text


def state_names(definition: Mapping[str, Any]) -> set[str]:
    """Every state's name, including those inside Parallel branches and Map item processors."""
    names: set[str] = set()
    for name, state in definition.get("States", {}).items():
        names.add(name)
        for branch in state.get("Branches", []):
            names |= state_names(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                names |= state_names(state[key])
    return names


def _read(spec: StateMachineSpec, path: Path) -> str:
    if not path.is_file():
        raise WorkflowDefinitionError(f"{spec.name}: definition file {path} does not exist")
    return path.read_text(encoding="utf-8")


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowDefinitionError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(definition, dict) or "StartAt" not in definition or "States" not in definition:
        raise WorkflowDefinitionError(f"{where}: an ASL definition needs 'StartAt' and 'States'")
    return definition
