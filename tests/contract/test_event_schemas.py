"""Event schemas are the contract with partners: generated from the models, immutable once published."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import BaseModel

from infra.event_schemas import published_events, schema_files
from shop_kernel.schemas import dumps, event_schema, file_name, incompatibilities

EVENTS = published_events()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: f"{e.source}@{e.detail_type}")
def test_current_version_file_matches_the_model(event):
    # GIVEN the model of an event WHEN its schema is generated THEN it equals the committed file
    path = event.directory / file_name(event.detail_type, event.version)
    assert path.exists(), f"run `python -m infra.event_schemas` to write {path.name}"
    generated = dumps(event_schema(event.source, event.detail_type, event.version, event.model))
    assert path.read_text() == generated, (
        f"{event.detail_type} changed without a version bump: bump SCHEMA_VERSION in the context's "
        "events module (major for an incompatible change) and run `python -m infra.event_schemas`"
    )


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: f"{e.source}@{e.detail_type}")
def test_older_versions_of_the_same_major_stay_compatible(event):
    current = json.loads((event.directory / file_name(event.detail_type, event.version)).read_text())
    major = event.version.split(".")[0]
    for path in event.directory.glob(f"{event.detail_type}.v{major}.*.json"):
        old = json.loads(path.read_text())
        assert incompatibilities(old, current) == [], f"{path.name} consumers would break"


def test_every_committed_file_is_a_valid_draft4_schema():
    assert schema_files(), "no event schema files found"
    for path in schema_files():
        jsonschema.Draft4Validator.check_schema(json.loads(path.read_text()))


class _V1(BaseModel):
    order_id: str
    total: int
    note: str | None = None


class _Removed(BaseModel):
    order_id: str
    note: str | None = None


class _Retyped(BaseModel):
    order_id: str
    total: str
    note: str | None = None


class _Optional(BaseModel):
    order_id: str
    total: int | None = None
    note: str | None = None


class _Added(BaseModel):
    order_id: str
    total: int
    note: str | None = None
    currency: str = "EUR"


def _schema(model: type[BaseModel]) -> dict:
    return event_schema("shop.test", "OrderPlaced", "1.0", model)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (_Removed, "detail.data.total: removed"),
        (_Retyped, "detail.data.total: type widened"),
        (_Optional, "detail.data.total: no longer required"),
    ],
)
def test_incompatible_changes_are_detected(model, expected):
    problems = incompatibilities(_schema(_V1), _schema(model))
    assert any(p.startswith(expected) for p in problems), problems


def test_adding_a_field_is_compatible():
    assert incompatibilities(_schema(_V1), _schema(_Added)) == []


def test_published_catalog_events_validate_against_their_schema():
    # GIVEN an event built by the catalog's own code
    from catalog.domain.events import SCHEMA_VERSION, SOURCE, ProductArchived
    from shop_kernel.events import make_event

    event = make_event(
        SOURCE,
        "ProductArchived",
        ProductArchived(product_id="prod_1", code="LAP-1", version=3, archived_at="2026-11-23T10:00:00.000Z"),
        version=SCHEMA_VERSION,
        occurred_at="2026-11-23T10:00:00.000Z",
    )
    path = next(p for p in schema_files() if p.name == file_name("ProductArchived", SCHEMA_VERSION))
    # WHEN its detail is validated THEN the published schema accepts it
    jsonschema.validate(event.detail(), json.loads(path.read_text()))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**event.detail(), "data": {"product_id": 1}}, json.loads(path.read_text()))
