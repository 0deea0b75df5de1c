"""``If-Match: *`` on inventory writes: replace what exists whatever its version; never create."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.inventory.conftest import LOCATIONS, Reply

SKU = "LAP-0001-BLK"


def test_stock_can_be_recounted_with_if_match_star_but_not_created(locations: Callable[..., Reply]) -> None:
    # GIVEN no stock level at kyiv-dc WHEN a count is set with If-Match: * THEN 412: nothing to replace
    path = f"/admin/inventory/stock/{SKU}/kyiv-dc"
    refused = locations("PUT", path, {"on_hand": 5}, headers={"If-Match": "*"})
    assert refused.status == 412, refused.body
    # GIVEN the level exists (version 1) WHEN recounted with If-Match: * THEN it is replaced as version 2
    assert locations("PUT", path, {"on_hand": 7}).status == 201
    recounted = locations("PUT", path, {"on_hand": 9}, headers={"If-Match": "*"})
    assert (recounted.status, recounted.body["on_hand"], recounted.body["version"]) == (200, 9, 2)


def test_a_location_is_replaced_with_if_match_star(locations: Callable[..., Reply]) -> None:
    # GIVEN the podil store WHEN it is replaced with If-Match: *
    changed = {**LOCATIONS["podil"], "handling_minutes": 50}
    replaced = locations("PUT", "/admin/inventory/locations/podil", changed, headers={"If-Match": "*"})
    # THEN the replacement is version 2; an unknown location is not created by it
    assert (replaced.status, replaced.body["version"]) == (200, 2), replaced.body
    unknown = locations(
        "PUT", "/admin/inventory/locations/obolon", LOCATIONS["podil"], headers={"If-Match": "*"}
    )
    assert unknown.status == 412
