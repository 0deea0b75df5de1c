"""Every event the system publishes, and the command that writes their JSON Schema files.

``python -m infra.event_schemas`` writes ``functions/<context>/schemas/<DetailType>.v<version>.json`` for
each event whose current version has no file yet, and refuses to rewrite a published version whose
content would change (bump the context's schema version instead). The CDK app publishes the files to
the EventBridge Schema Registry; ``tests/contract/test_event_schemas.py`` keeps them honest.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
# Modules that publish events: each has SOURCE, SCHEMA_VERSION and EVENT_MODELS {detail-type: model}; an event
# that joined after the context's last bump may keep its own first version in EVENT_VERSIONS {detail-type: version}.
EVENT_MODULES: tuple[str, ...] = (
    "catalog.domain.events",
    "inventory.domain.events",
    "checkout.domain.events",
    "carriers.domain.events",
    "fulfilment.domain.events",
    "customers.domain.events",
    "loyalty.domain.events",
    # Contracts loyalty consumes before their publishers exist (orders' delivery, returns' refunds).
    "loyalty.inbound.orders",
    "loyalty.inbound.returns",
    # The orders context's cancellation request, consumed by fulfilment before its publisher exists.
    "fulfilment.inbound.orders",
)


@dataclass(frozen=True)
class PublishedEvent:
    context: str
    source: str
    detail_type: str
    version: str
    model: type[BaseModel]

    @property
    def directory(self) -> Path:
        return FUNCTIONS / self.context / "schemas"


def _import_paths() -> None:
    for path in (ROOT / "layers/kernel/python", FUNCTIONS):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def published_events() -> list[PublishedEvent]:
    _import_paths()
    events: list[PublishedEvent] = []
    for module_name in EVENT_MODULES:
        module = importlib.import_module(module_name)
        context = module_name.split(".")[0]
        for detail_type, model in module.EVENT_MODELS.items():
            version = getattr(module, "EVENT_VERSIONS", {}).get(detail_type, module.SCHEMA_VERSION)
            events.append(PublishedEvent(context, module.SOURCE, detail_type, version, model))
    return events


def schema_files() -> list[Path]:
    """Every committed schema file (what the CDK app publishes)."""
    return sorted(FUNCTIONS.glob("*/schemas/*.v*.json"))


def write_missing() -> list[str]:
    _import_paths()
    from shop_kernel.schemas import dumps, event_schema, file_name

    messages = []
    for event in published_events():
        text = dumps(event_schema(event.source, event.detail_type, event.version, event.model))
        path = event.directory / file_name(event.detail_type, event.version)
        if path.exists():
            if path.read_text() != text:
                messages.append(
                    f"REFUSED {path.relative_to(ROOT)}: version {event.version} is published; bump it"
                )
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        messages.append(f"wrote {path.relative_to(ROOT)}")
    return messages


if __name__ == "__main__":
    results = write_missing()
    print("\n".join(results) or "every event schema is up to date")
    sys.exit(1 if any(m.startswith("REFUSED") for m in results) else 0)
