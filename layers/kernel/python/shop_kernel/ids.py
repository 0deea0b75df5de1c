"""Identifiers: ULIDs, optionally with a short type prefix (``prod_01J...``)."""

from __future__ import annotations

import re

from ulid import ULID

_PREFIXED = re.compile(r"^[a-z]{2,8}_[0-9A-HJKMNP-TV-Z]{26}$")


def new_ulid() -> str:
    return str(ULID())


def new_id(prefix: str) -> str:
    """A new prefixed ULID, e.g. ``new_id("prod")`` -> ``prod_01JD...``; sortable by creation time."""
    return f"{prefix}_{ULID()}"


def is_prefixed_id(value: str, prefix: str | None = None) -> bool:
    if not _PREFIXED.match(value):
        return False
    return prefix is None or value.startswith(prefix + "_")
