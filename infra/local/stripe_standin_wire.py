"""Stripe's wire format for the local Stripe stand-in: form decoding, parameter checks, errors, ids.

Stripe's v1 API takes ``application/x-www-form-urlencoded`` bodies (and query strings) in bracket
notation: ``metadata[order_id]=o1``, ``expand[0]=latest_charge`` or ``expand[]=latest_charge``,
``automatic_payment_methods[enabled]=true``. Every value arrives as a string; ``Params`` converts and
checks them the way Stripe does and raises ``StripeError`` with Stripe's error shape
(``{"error": {"type", "code", "message", "param"}}``) and status.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_ALPHABET = string.ascii_letters + string.digits
# Stripe keeps metadata keys as given, even when they look like list indexes.
_NEVER_LISTS = frozenset({"metadata"})


class StripeError(Exception):
    """An error answer in Stripe's shape.

    ``saved`` says whether Stripe would store the answer under the request's idempotency key: only
    answers of requests that started executing are saved, not rejected parameters.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        saved: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.saved = saved
        self.error: dict[str, Any] = {"type": type, "message": message, **extra}
        if code is not None:
            self.error["code"] = code
            self.error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            self.error["param"] = param

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid_state(message: str) -> StripeError:
    return StripeError(400, message, code="payment_intent_unexpected_state", saved=True)


def no_such(kind: str, object_id: str, param: str, status: int = 404) -> StripeError:
    return StripeError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _split_key(key: str) -> list[str]:
    """``a[b][0]`` -> ``["a", "b", "0"]``; ``a[]`` -> ``["a", ""]``."""
    head, bracket, rest = key.partition("[")
    parts = [head]
    while bracket:
        inner, _, rest = rest.partition("]")
        parts.append(inner)
        _, bracket, rest = rest.partition("[")
    return parts


def _insert(root: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    node = root
    for depth, part in enumerate(parts):
        name = str(len(node)) if part == "" else part  # "a[]" appends
        if depth == len(parts) - 1:
            if isinstance(node.get(name), dict):
                raise StripeError(400, f"Invalid hash: {key}", param=key)
            node[name] = value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise StripeError(400, f"Invalid hash: {key}", param=key)
        node = child


def _listify(node: Any, name: str = "") -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value, key) for key, value in node.items()}
    if converted and name not in _NEVER_LISTS and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def parse_form(text: str) -> dict[str, Any]:
    """A form body or query string in Stripe's bracket notation -> nested dicts and lists of strings."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _insert(root, _split_key(key), value, key)
    result: dict[str, Any] = _listify(root)
    return result


def _choices(values: Iterable[str]) -> str:
    items = list(values)
    return ", ".join(items[:-1]) + f", or {items[-1]}" if len(items) > 1 else items[0]


class Params:
    """One request's parameters, checked against the names the endpoint accepts."""

    def __init__(self, raw: dict[str, Any], allowed: Iterable[str]) -> None:
        accepted = set(allowed) | {"expand"}
        for name in raw:
            if name not in accepted:
                raise StripeError(
                    400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
                )
        self.raw = raw

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def _missing(self, name: str) -> StripeError:
        return StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)

    def integer(self, name: str, *, required: bool = False, positive: bool = False) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise self._missing(name)
            return None
        kind = "positive integer" if positive else "integer"
        try:
            number = int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else None
        except ValueError:
            number = None
        if number is None or (positive and number <= 0):
            raise StripeError(400, f"Invalid {kind}: {value}", code="parameter_invalid_integer", param=name)
        return number

    def text(self, name: str, *, required: bool = False, choices: Iterable[str] | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise self._missing(name)
            return None
        if not isinstance(value, str):
            raise StripeError(400, f"Invalid string: {value!r}", param=name)
        if choices is not None and value not in set(choices):
            raise StripeError(400, f"Invalid {name}: must be one of {_choices(choices)}", param=name)
        return value

    def boolean(self, name: str, raw: Any = None) -> bool | None:
        value = self.raw.get(name) if raw is None else raw
        if value is None or value == "":
            return None
        if value not in ("true", "false"):
            raise StripeError(400, f"Invalid boolean: {value}", param=name)
        return bool(value == "true")

    def mapping(self, name: str, allowed: Iterable[str] | None = None) -> dict[str, Any] | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if value == "":
            return {}  # "name=" empties a hash, as in Stripe
        if not isinstance(value, dict):
            raise StripeError(400, f"Invalid hash: {name}", param=name)
        if allowed is not None:
            for key in value:
                if key not in set(allowed):
                    raise StripeError(
                        400,
                        f"Received unknown parameter: {name}[{key}]",
                        code="parameter_unknown",
                        param=f"{name}[{key}]",
                    )
        return value

    def strings(self, name: str) -> list[str] | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StripeError(400, f"Invalid array: {name}", param=name)
        return value

    def expand(self) -> list[str]:
        return self.strings("expand") or []


def merge_metadata(current: dict[str, str], update: dict[str, Any] | None) -> dict[str, str]:
    """Stripe's metadata rules: keys merge, an empty value unsets a key, ``metadata=`` unsets all."""
    if update is None:
        return current
    if update == {}:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            raise StripeError(400, f"Invalid metadata value for key {key}", param=f"metadata[{key}]")
        if len(key) > 40:
            raise StripeError(
                400, "Metadata keys can have a maximum length of 40 characters.", param=f"metadata[{key}]"
            )
        if len(value) > 500:
            raise StripeError(
                400, "Metadata values can have a maximum length of 500 characters.", param=f"metadata[{key}]"
            )
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise StripeError(400, "Metadata can have a maximum of 50 keys.", param="metadata")
    return merged


def format_amount(amount: int, currency: str, exponent: int) -> str:
    """``$12.34`` for usd, ``12.34 eur`` otherwise, as Stripe words amounts in messages."""
    major, minor = divmod(amount, 10**exponent) if exponent else (amount, 0)
    number = f"{major}.{minor:0{exponent}d}" if exponent else str(major)
    return f"${number}" if currency == "usd" else f"{number} {currency}"
