"""Runs a handler as its function: with only the environment and the grants its spec gives it.

The cloud gives each function its own environment (``ServiceFunction``) and its own role; tests run every
handler in one process. ``Functions.invoke(name, event)`` makes one process behave like the cloud for one
invocation:

- ``os.environ`` holds only what ``infra.local.provision.function_environment`` gives the function, the
  local-only additions the local stack makes (``STRIPE_API_BASE`` for functions holding the Stripe key)
  and the runtime's variables (region, credentials, the moto endpoint); everything else the test set is
  removed for the call and put back afterwards.
- Each function has its own world of module caches: every ``lru_cache`` of the functions' packages and
  the kernel (settings, clients, adapters, services) is swapped for the function's own copy while it
  runs, so nothing one function built from its environment serves another, and each stays warm between
  its invocations while others run in between (as separate execution environments do).
- The function's botocore session (the kernel's clients are built on it) carries the grants guard (``infra.local.grants``): a call to a table,
  index, queue, bus, state machine or secret its spec does not grant is refused, and ``invoke`` raises
  the refusal even when the handler swallowed it (a 500, a batch item failure). The guard checks only
  while the function runs: the test's own set-up between invocations may use the same cached clients.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from infra.local.grants import Grants, Guard, UngrantedAccess, install
from infra.local.provision import function_environment
from infra.resources import CONTEXTS, FunctionSpec, function
from shop_kernel.wiring import Container

# Variables the Lambda runtime (or the machine running moto) provides, not the function's spec.
RUNTIME_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "MOTO_PORT",
    "PATH",
    "HOME",
    "TMPDIR",
    "TZ",
    "LANG",
    # Tests publish no EMF lines (the local stack prints them); not a resource, not a grant.
    "POWERTOOLS_METRICS_DISABLED",
)
# Packages whose module caches belong to a function's execution environment: the functions' own, and
# the kernel's (its cached clients).
FUNCTION_PACKAGES = frozenset((*CONTEXTS, "pricing", "shop_kernel"))
_LOADER: Any = None


def local_additions(spec: FunctionSpec, environ: Mapping[str, str]) -> dict[str, str]:
    """What the local stack adds to a function's environment: the Stripe stand-in's URL for functions
    that hold the Stripe key (``infra.local.stripe_wiring``), the carrier stand-in's for functions that
    hold a carrier account, when the test started one."""
    additions = {}
    if "stripe-api-key" in spec.secrets and environ.get("STRIPE_API_BASE"):
        additions["STRIPE_API_BASE"] = environ["STRIPE_API_BASE"]
    # Functions that talk to carriers reach the local carrier stand-in (``infra.local.carrier_wiring``).
    if "nova-poshta-api" in spec.secrets and environ.get("CARRIER_STANDIN_URL"):
        additions["CARRIER_STANDIN_URL"] = environ["CARRIER_STANDIN_URL"]
    return additions


# The type ``functools.lru_cache`` (and ``functools.cache``) wraps a function in: a type check is cheap
# where probing every module attribute for ``cache_clear`` is not (it runs before every invocation).
_LRU_WRAPPER = type(functools.lru_cache(maxsize=1)(lambda: None))


def _cached_functions() -> list[tuple[Any, str, Any]]:
    """(module, attribute, cache) for every module-level ``lru_cache`` and wiring container
    (``shop_kernel.wiring.Container``) of the packages."""
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".", 1)[0] not in FUNCTION_PACKAGES:
            continue
        for attribute, value in list(vars(module).items()):
            if type(value) is _LRU_WRAPPER or isinstance(value, Container):
                found.append((module, attribute, value))
    return found


def _original(cached: Any) -> Any:
    return getattr(cached, "_harness_original", cached)


def _empty(cached: Any) -> None:
    if isinstance(cached, Container):
        cached._built = dict(cached._overrides)
    else:
        cached.cache_clear()


def _copy(cached: Any) -> Any:
    """An empty cache around the same function, or a container with nothing built (what a new execution
    environment starts with)."""
    if isinstance(cached, Container):
        container = cached.fresh()
        container._harness_original = cached  # type: ignore[attr-defined]
        return container
    parameters = cached.cache_parameters()
    fresh = functools.lru_cache(maxsize=parameters["maxsize"], typed=parameters["typed"])(cached.__wrapped__)
    functools.update_wrapper(fresh, cached.__wrapped__)
    fresh._harness_original = cached  # type: ignore[attr-defined]
    return fresh


def forget_function_state() -> None:
    """Puts the modules' own caches back, empty, and forgets the kernel's clients: no test leaves a
    function's world behind."""
    from shop_kernel import aws

    for module, attribute, cached in _cached_functions():
        original = _original(cached)
        setattr(module, attribute, original)
        _empty(original)
    aws.reset_clients()


def _session() -> Any:
    """A botocore session sharing one model loader, so a new session does not parse the models again."""
    global _LOADER
    session = botocore.session.get_session()
    if _LOADER is None:
        _LOADER = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _LOADER)
    return session


@dataclass
class _World:
    """One function's execution environment in this process: its session (with the guard) and its own
    copy of every module cache (settings, clients, adapters, services)."""

    session: Any
    guard: Guard
    caches: dict[Any, Any] = field(default_factory=dict)  # original cached function -> this world's

    def enter(self) -> None:
        """Points every module's cached functions at this world's copies (made empty on first use)."""
        from shop_kernel import aws

        for module, attribute, cached in _cached_functions():
            original = _original(cached)
            if original not in self.caches:
                self.caches[original] = _copy(original)
            setattr(module, attribute, self.caches[original])
        aws._session = self.session

    def forget(self) -> None:
        for cached in self.caches.values():
            _empty(cached)


class Functions:
    """Invokes handlers as the functions of ``stage`` (see the module docstring)."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._worlds: dict[str, _World] = {}
        self._overrides: dict[str, dict[str, str]] = {}

    def override(self, name: str, **variables: str) -> None:
        """Sets variables of function ``name`` as an operator would (a changed payment window): they must
        be settings the function reads, and its next invocation starts cold with them."""
        self._overrides.setdefault(name, {}).update(variables)
        self._worlds.pop(name, None)

    def environment(self, name: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole ``os.environ`` function ``name`` runs with."""
        environ = os.environ if environ is None else environ
        spec = function(name)
        runtime = {key: environ[key] for key in RUNTIME_VARIABLES if key in environ}
        own = {**function_environment(self.stage, spec), **local_additions(spec, environ)}
        return {**runtime, **own, **self._overrides.get(name, {})}

    def guard(self, name: str) -> Guard:
        return self._world(name).guard

    def _world(self, name: str) -> _World:
        if name not in self._worlds:
            session = _session()
            guard = install(session, Grants.of(function(name), self.stage))
            guard.active = False
            self._worlds[name] = _World(session, guard)
        return self._worlds[name]

    def invoke(self, name: str, event: Any, context: Any = None) -> Any:
        """Function ``name``'s handler (its spec's ``handler``) called with ``event``, as that function."""
        module, _, attribute = function(name).handler.rpartition(".")
        handler = getattr(importlib.import_module(module), attribute)
        return self.run(name, handler, event, context)

    def run(self, name: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)`` as function ``name`` (a handler, or code a handler runs).

        To reach the function's own cached adapters, look them up inside the call
        (``lambda: adapters.store()``): a cached function taken beforehand is another world's copy."""
        with self.acting_as(name) as guard:
            refused = len(guard.refusals)
            result = call(*args, **kwargs)
        if len(guard.refusals) > refused:
            raise guard.refusals[refused]
        return result

    @contextmanager
    def acting_as(self, name: str) -> Iterator[Guard]:
        """Function ``name``'s environment, caches and guard while the block runs; then what was before
        (so a function may run inside another's call, as another execution environment would: a test
        landing a webhook while the sweeper is between its read and its write)."""
        from shop_kernel import aws

        environment = self.environment(name)
        world = self._world(name)
        saved = dict(os.environ)
        # Inside another function's call: that function's world is put back afterwards. At the top level
        # the last function's world stays (its clients are the ones the test's set-up may reuse).
        inside = next((w for w in self._worlds.values() if w.guard.active), None)
        caches = _cached_functions() if inside is not None else []
        session = aws._session
        os.environ.clear()
        os.environ.update(environment)
        try:
            if not any(aws._session is w.session for w in self._worlds.values()):
                # Something reset the kernel's clients (aws.reset_clients, an adapters.reset()) since a
                # function last ran: the test changed what functions are built from; all start cold.
                for other in self._worlds.values():
                    other.forget()
            world.enter()
            world.guard.active = True
            yield world.guard
        finally:
            world.guard.active = False
            os.environ.clear()
            os.environ.update(saved)
            if inside is not None:
                for module, attribute, cached in caches:
                    setattr(module, attribute, cached)
                aws._session = session
                inside.guard.active = True  # the function this one ran inside goes on


__all__ = ["Functions", "UngrantedAccess", "forget_function_state"]
