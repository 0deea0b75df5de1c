"""What the inventory domain needs from the outside world."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ErpStockRow:
    """One figure from the ERP: the counted ``on_hand`` of a SKU at a location, as of ``counted_at``."""

    sku: str
    location_id: str
    on_hand: int
    counted_at: datetime


class ErpStockFeed(Protocol):
    """The ERP's stock figures. The ERP sync (a later issue) implements it and feeds rows to the bulk
    stock service (``StockAdmin.bulk``), which applies them with the same conditions as ops' edits."""

    def changes_since(self, since: datetime | None) -> Iterable[ErpStockRow]: ...


class SkuCatalog(Protocol):
    """Whether the catalog knows a SKU (stock may exist for drafts: goods arrive before launch)."""

    def exists(self, sku: str) -> bool: ...
