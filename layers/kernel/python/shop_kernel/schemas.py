"""JSON Schemas of published events, generated from the pydantic models, and their compatibility rules.

Each context keeps ``schemas/<DetailType>.v<version>.json`` beside its code: the schema of the whole
EventBridge ``detail`` (envelope ``metadata`` + ``data``), in JSON Schema draft 4 so the EventBridge
Schema Registry accepts it. A published version file never changes; a new version must be
backward compatible for consumers within a major version (fields may be added, none removed, retyped
or made optional). ``tests/contract`` enforces both, ``python -m infra.event_schemas`` writes new files.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

DRAFT4 = "http://json-schema.org/draft-04/schema#"


def _move_defs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _move_defs(v) for k, v in node.items() if k != "$defs"}
        if "$ref" in out and isinstance(out["$ref"], str):
            out["$ref"] = out["$ref"].replace("#/$defs/", "#/definitions/")
        return out
    if isinstance(node, list):
        return [_move_defs(v) for v in node]
    return node


def _nullable(node: Any) -> Any:
    """Draft 4 has no ``"type": "null"`` inside ``anyOf`` problems, but ``const`` is draft 6: drop it."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items()}
        if "const" in out:
            out["enum"] = [out.pop("const")]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


def event_schema(source: str, detail_type: str, version: str, data_model: type[BaseModel]) -> dict[str, Any]:
    """The draft-4 schema of ``detail`` for one event type and version."""
    data = data_model.model_json_schema(mode="serialization")
    definitions = {name: _nullable(_move_defs(d)) for name, d in data.pop("$defs", {}).items()}
    return {
        "$schema": DRAFT4,
        "title": f"{source}@{detail_type}",
        "description": (data_model.__doc__ or detail_type).strip().splitlines()[0],
        "x-source": source,
        "x-detail-type": detail_type,
        "x-version": version,
        "type": "object",
        "required": ["metadata", "data"],
        "properties": {
            "metadata": {
                "type": "object",
                "required": ["version", "eventId", "occurredAt"],
                "properties": {
                    "version": {"type": "string", "enum": [version]},
                    "eventId": {"type": "string"},
                    "occurredAt": {"type": "string", "format": "date-time"},
                    "correlationId": {"type": ["string", "null"]},
                },
            },
            "data": _nullable(_move_defs(data)),
        },
        "definitions": definitions,
    }


def file_name(detail_type: str, version: str) -> str:
    return f"{detail_type}.v{version}.json"


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return _resolve(root["definitions"][ref.split("/")[-1]], root)
    return node


def _types(node: dict[str, Any]) -> set[str]:
    if "anyOf" in node:
        return set().union(*(_types(n) for n in node["anyOf"]))
    raw = node.get("type", "any")
    return set(raw) if isinstance(raw, list) else {raw}


def incompatibilities(
    old: dict[str, Any], new: dict[str, Any], path: str = "detail", roots: tuple[Any, Any] | None = None
) -> list[str]:
    """What a consumer written against ``old`` would trip over in ``new`` (empty when compatible)."""
    old_root, new_root = roots or (old, new)
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    if "anyOf" not in old and "anyOf" not in new:
        widened = _types(new) - _types(old)
        if widened and "any" not in _types(old):
            problems.append(f"{path}: type widened from {sorted(_types(old))} to {sorted(_types(new))}")
    for name in old.get("required", []):
        if name not in new.get("required", []):
            problems.append(f"{path}.{name}: no longer required")
    for name, old_prop in (old.get("properties") or {}).items():
        new_prop = (new.get("properties") or {}).get(name)
        if new_prop is None:
            problems.append(f"{path}.{name}: removed")
            continue
        problems += incompatibilities(old_prop, new_prop, f"{path}.{name}", (old_root, new_root))
    if "items" in old and "items" in new:
        problems += incompatibilities(old["items"], new["items"], f"{path}[]", (old_root, new_root))
    return problems
