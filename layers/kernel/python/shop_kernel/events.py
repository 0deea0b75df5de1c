"""The event envelope every context publishes, and the publisher port with its EventBridge adapter.

``source`` = ``shop.<context>``, ``detail-type`` = PascalCase past tense, ``detail`` =
``{"metadata": {version, eventId, occurredAt, correlationId}, "data": {...}}``. Event ids are
deterministic where the producer can make them so (e.g. from a stream record), which lets consumers
deduplicate replays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.ids import new_ulid

MAX_ENTRIES_PER_PUT = 10


class EventMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: str = Field(description="Schema version of data, semver major.minor")
    event_id: str = Field(alias="eventId")
    occurred_at: str = Field(alias="occurredAt", description="UTC ISO-8601")
    correlation_id: str | None = Field(default=None, alias="correlationId")


class DomainEvent(BaseModel):
    """An event ready to publish; ``data`` is the dumped pydantic model of the event's payload."""

    model_config = ConfigDict(extra="forbid")

    source: str
    detail_type: str
    metadata: EventMetadata
    data: dict[str, Any]

    def detail(self) -> dict[str, Any]:
        return {"metadata": self.metadata.model_dump(by_alias=True), "data": self.data}


def make_event(
    source: str,
    detail_type: str,
    data: BaseModel,
    *,
    version: str,
    occurred_at: str,
    event_id: str | None = None,
    correlation_id: str | None = None,
) -> DomainEvent:
    return DomainEvent(
        source=source,
        detail_type=detail_type,
        metadata=EventMetadata(
            version=version,
            event_id=event_id or new_ulid(),
            occurred_at=occurred_at,
            correlation_id=correlation_id,
        ),
        data=data.model_dump(mode="json"),
    )


class PublishFailed(Exception):
    def __init__(self, failed: list[DomainEvent]) -> None:
        super().__init__(f"{len(failed)} event(s) were not accepted by the bus")
        self.failed = failed


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class EventBridgePublisher:
    """Publishes in batches of 10; raises ``PublishFailed`` naming the entries the bus rejected."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
        failed: list[DomainEvent] = []
        for start in range(0, len(events), MAX_ENTRIES_PER_PUT):
            chunk = list(events[start : start + MAX_ENTRIES_PER_PUT])
            response = self._client.put_events(
                Entries=[
                    {
                        "EventBusName": self._bus_name,
                        "Source": e.source,
                        "DetailType": e.detail_type,
                        "Detail": json.dumps(e.detail(), separators=(",", ":")),
                        "Time": e.metadata.occurred_at,
                    }
                    for e in chunk
                ]
            )
            if response.get("FailedEntryCount"):
                for event, entry in zip(chunk, response["Entries"], strict=True):
                    if entry.get("ErrorCode"):
                        failed.append(event)
        if failed:
            raise PublishFailed(failed)


class InMemoryPublisher:
    """A publisher for domain tests: records what was published."""

    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.published.extend(events)
