"""A location's address is the shared kernel ``Address``: ``postal_code`` in, ``postcode`` refused, and
locations stored before the change still read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from inventory.domain.models import Location, LocationBody
from shop_kernel.address import Address

BODY: dict[str, Any] = {
    "kind": "warehouse",
    "name": {"en": "Kyiv DC"},
    "address": {"line1": "Promyslova 5", "city": "Kyiv", "postal_code": "02002", "country": "UA"},
    "timezone": "Europe/Kyiv",
}


def _stored(address: dict[str, Any]) -> str:
    return json.dumps({**BODY, "address": address, "id": "kyiv-dc", "version": 3, "updated_at": "2026-11-01"})


def test_a_location_takes_the_same_address_fields_as_checkout() -> None:
    # GIVEN a location body with a postal code WHEN it is validated
    body = LocationBody.model_validate(BODY)
    # THEN its address is the kernel's Address, postal code kept
    assert isinstance(body.address, Address)
    assert body.address.postal_code == "02002"


def test_postcode_is_refused_by_name_in_a_location_body() -> None:
    # GIVEN the old field name WHEN ops send it THEN the 422 names the field
    with pytest.raises(ValidationError) as error:
        LocationBody.model_validate({**BODY, "address": {**BODY["address"], "postcode": "02002"}})
    assert [e["loc"] for e in error.value.errors()] == [("address", "postcode")]


def test_a_location_stored_with_postcode_reads_as_postal_code() -> None:
    # GIVEN an item written before the shared address (postcode, no postal_code)
    stored = _stored({"line1": "Promyslova 5", "city": "Kyiv", "postcode": "02002", "country": "UA"})
    # WHEN it is read
    location = Location.model_validate_json(stored)
    # THEN the postcode is the postal code, and writing it again uses the new field only
    assert location.address.postal_code == "02002"
    assert "postcode" not in location.model_dump()["address"]


@pytest.mark.parametrize(
    ("postcode", "line2"), [(None, None), ("", None), ("?? building B ??", "?? building B ??")]
)
def test_a_stored_postcode_that_is_no_postal_code_stays_readable(
    postcode: str | None, line2: str | None
) -> None:
    # GIVEN a stored location whose postcode was free text (the old model took any 20 characters)
    stored = _stored({"line1": "Promyslova 5", "city": "Kyiv", "postcode": postcode, "country": "UA"})
    # WHEN it is read THEN it does not fail, and the text is kept in line2
    location = Location.model_validate_json(stored)
    assert location.address.postal_code is None
    assert location.address.line2 == line2
