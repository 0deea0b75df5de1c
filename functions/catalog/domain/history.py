"""Field-level differences between two versions of a document, for the content history.

Lists of objects that have an identity (variants by SKU, prices by price list and currency, options
and attributes by code, media by URL) are compared element by element, so "the EUR retail price of
SKU X went from 1999 to 1799" is one entry rather than "variants changed".
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def _identity(element: Any) -> str | None:
    if not isinstance(element, dict):
        return None
    if "sku" in element:
        return str(element["sku"])
    if "currency" in element and "amount" in element:
        return f"{element.get('price_list', 'retail')}/{element['currency']}"
    for key in ("code", "url", "id"):
        if key in element:
            return str(element[key])
    return None


def _keyed(elements: list[Any]) -> dict[str, Any] | None:
    keys = [_identity(e) for e in elements]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        return None
    return {str(k): e for k, e in zip(keys, elements, strict=True)}


def _walk(path: str, old: Any, new: Any, out: list[dict[str, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _walk(f"{path}.{key}" if path else str(key), old.get(key, _MISSING), new.get(key, _MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        old_keyed, new_keyed = _keyed(old), _keyed(new)
        if old_keyed is not None and new_keyed is not None:
            for key in [*old_keyed, *(k for k in new_keyed if k not in old_keyed)]:
                _walk(f"{path}[{key}]", old_keyed.get(key, _MISSING), new_keyed.get(key, _MISSING), out)
            return
    out.append(
        {
            "field": path,
            "old": None if old is _MISSING else old,
            "new": None if new is _MISSING else new,
        }
    )


def diff(
    old: dict[str, Any] | None, new: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """``[{"field": "variants[SKU1].prices[retail/EUR].amount", "old": 1999, "new": 1799}, ...]``."""
    changes: list[dict[str, Any]] = []
    before = {k: v for k, v in (old or {}).items() if k not in ignore}
    after = {k: v for k, v in new.items() if k not in ignore}
    _walk("", before, after, changes)
    return changes


AUDIT_FIELDS = frozenset({"version", "created_at", "updated_at", "updated_by", "published_at"})
