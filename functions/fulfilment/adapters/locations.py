"""Inventory's locations (addresses, time zones, carrier cut-offs), read through inventory's contract."""

from __future__ import annotations

from typing import Any

from inventory import contract as inventory_contract
from inventory.domain.models import Location


class InventoryLocations:
    def __init__(self, client: Any, table: str) -> None:
        self._client, self._table = client, table

    def __call__(self) -> dict[str, Location]:
        key = inventory_contract.locations_config_key()
        answer = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        items = [answer["Item"]] if "Item" in answer else []
        directory = inventory_contract.read_directory(self._client, self._table, items)
        return {location_id: Location.model_validate(doc) for location_id, doc in directory.documents.items()}
