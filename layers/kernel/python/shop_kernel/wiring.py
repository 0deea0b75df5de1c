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

A context's container derives from ``ContextContainer``, which holds the leaves every context is built
on (the DynamoDB, EventBridge and Secrets Manager clients, the clock, the bus publisher); the context
declares its own ``settings()`` and what it builds on them. A test overrides a leaf the same way as any
part: ``CheckoutContainer(clock=fixed)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from shop_kernel import aws

if TYPE_CHECKING:
    from shop_kernel.clock import Clock
    from shop_kernel.events import EventPublisher
    from shop_kernel.settings import ServiceSettings

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


class ContextContainer(Container):
    """The leaves every context's functions are built on. Each provider imports what it builds, so a
    function that never publishes loads no publisher."""

    def settings(self) -> ServiceSettings:
        """The context's settings: each context provides its own (``@provided``, ``XSettings.from_env()``)."""
        raise NotImplementedError(f"{type(self).__name__} declares no settings()")

    @provided
    def dynamodb_client(self) -> Any:
        return aws.client("dynamodb")

    @provided
    def events_client(self) -> Any:
        return aws.client("events")

    @provided
    def secrets_client(self) -> Any:
        return aws.client("secretsmanager")

    @provided
    def clock(self) -> Clock:
        from shop_kernel.clock import SystemClock

        return SystemClock()

    @provided
    def publisher(self) -> EventPublisher:
        """Domain events onto the stage's bus (``EVENT_BUS_NAME``)."""
        from shop_kernel.events import EventBridgePublisher

        return EventBridgePublisher(self.events_client(), self.settings().event_bus_name)


__all__ = ["Container", "ContextContainer", "provided"]
