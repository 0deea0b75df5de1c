"""One wiring mechanism for every function: a container of providers, each built once.

A context declares what its functions are built from as a ``Container`` subclass whose providers are
methods marked ``@provided``; the first call builds the value, later calls return the same one. A
handler module uses one module-level instance (``container = CartContainer()``), so a warm invocation
reuses the clients, adapters and services the cold one built, and looks it up through the module
(``wiring.container.service()``) so a replaced instance is seen.

There is nothing to reset. A test that needs other parts builds a container with them, at one visible
place: ``CartContainer(store=fake)`` (or ``container.override(store=fake)`` before the first use), and
puts it where the handler looks. A new execution environment is a new instance: ``container.fresh()``
gives one of the same class with the same overrides, and nothing built.

SDK clients stay cached leaves (``shop_kernel.aws.client``): a container asks for them, never makes a
session of its own, so building a second container costs no cold start.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Self, TypeVar, cast

T = TypeVar("T")
_PROVIDED = "__provided__"


def provided(method: Callable[[Any], T]) -> Callable[[Any], T]:
    """Marks a container method as a provider: built at its first call, the same value afterwards."""
    name = method.__name__

    @functools.wraps(method)
    def get(self: Container) -> T:
        built = self._built
        if name not in built:
            built[name] = method(self)
        return cast(T, built[name])

    setattr(get, _PROVIDED, True)
    return get


class Container:
    """Providers of one function's parts (see the module docstring)."""

    def __init__(self, **overrides: Any) -> None:
        self._overrides: dict[str, Any] = {}
        self._built: dict[str, Any] = {}
        self.override(**overrides)

    @classmethod
    def providers(cls) -> frozenset[str]:
        return frozenset(
            name
            for klass in cls.__mro__
            for name, value in vars(klass).items()
            if getattr(value, _PROVIDED, False)
        )

    def override(self, **values: Any) -> Self:
        """Replaces providers' values (a test's fake store). Only names the class provides, and only
        before the provider was built: swapping a part others were already built from would leave
        them holding the old one."""
        unknown = set(values) - self.providers()
        if unknown:
            raise TypeError(f"{type(self).__name__} provides no {', '.join(sorted(unknown))}")
        built = set(values) & set(self._built) - set(self._overrides)
        if built:
            raise RuntimeError(f"{', '.join(sorted(built))} already built; override a fresh container")
        self._overrides.update(values)
        self._built.update(values)
        return self

    def fresh(self) -> Self:
        """A container of the same class and overrides with nothing built (a new execution environment)."""
        return type(self)(**self._overrides)

    def built(self) -> frozenset[str]:
        """The providers built so far (tests: what a cold start made)."""
        return frozenset(self._built)


__all__ = ["Container", "provided"]
