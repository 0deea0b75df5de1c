"""The wiring container: built once, overridden at one place, fresh per execution environment."""

from __future__ import annotations

import pytest

from shop_kernel.clock import SystemClock
from shop_kernel.events import EventBridgePublisher
from shop_kernel.settings import ServiceSettings
from shop_kernel.wiring import Container, ContextContainer, provided


class Clock:
    pass


class Store:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


class ShopContainer(Container):
    @provided
    def clock(self) -> Clock:
        return Clock()

    @provided
    def store(self) -> Store:
        return Store(self.clock())


class WiderContainer(ShopContainer):
    @provided
    def label(self) -> str:
        return f"store with {type(self.store().clock).__name__}"


def test_a_provider_is_built_once_and_shared_by_what_depends_on_it() -> None:
    # GIVEN a container
    container = ShopContainer()
    # WHEN the store and the clock are asked for twice
    store = container.store()
    # THEN each is built once and the store holds the clock the container gives
    assert container.store() is store
    assert store.clock is container.clock()
    assert container.built() == {"store", "clock"}


def test_an_override_replaces_a_part_for_everything_built_from_it() -> None:
    # GIVEN a container with the clock overridden before anything was built
    fake = Clock()
    container = ShopContainer(clock=fake)
    # WHEN the store is built
    # THEN it is built from the override
    assert container.store().clock is fake


def test_overriding_a_part_already_built_from_is_refused() -> None:
    # GIVEN a container that built its clock (and a store from it)
    container = ShopContainer()
    container.store()
    # WHEN a test tries to swap the clock afterwards
    # THEN it is told to override a fresh container: the store would keep the old clock
    with pytest.raises(RuntimeError, match="clock already built"):
        container.override(clock=Clock())


def test_an_unknown_override_is_refused() -> None:
    with pytest.raises(TypeError, match="provides no stroe"):
        ShopContainer(stroe=object())


def test_a_fresh_container_keeps_the_overrides_and_builds_again() -> None:
    # GIVEN a warm container with one override
    fake = Clock()
    container = WiderContainer(clock=fake)
    warm_store = container.store()
    # WHEN a new execution environment starts
    fresh = container.fresh()
    # THEN it builds its own parts from the same overrides, and subclasses inherit providers
    assert fresh.store() is not warm_store
    assert fresh.clock() is fake
    assert fresh.label() == "store with Clock"
    assert WiderContainer.providers() == {"clock", "store", "label"}


class BusSettings(ServiceSettings):
    orders_table_name: str = "orders"


class OrdersContainer(ContextContainer):
    @provided
    def settings(self) -> BusSettings:
        return BusSettings(event_bus_name="shop-test")


class Unsettled(ContextContainer):
    pass


def test_a_context_container_builds_the_shared_leaves_on_its_own_settings() -> None:
    # GIVEN a context's container that declares only its settings, with the events client overridden
    events = object()
    container = OrdersContainer(events_client=events)
    # WHEN its publisher and clock are asked for
    publisher = container.publisher()
    # THEN the publisher sends to that client on the settings' bus, and the clock is the system's
    assert isinstance(publisher, EventBridgePublisher)
    assert (publisher._client, publisher._bus_name) == (events, "shop-test")
    assert isinstance(container.clock(), SystemClock)
    assert {"settings", "dynamodb_client", "clock", "publisher"} <= OrdersContainer.providers()


def test_a_context_container_without_settings_says_so() -> None:
    # GIVEN a container that forgot its settings
    # WHEN its publisher is built
    # THEN the error names the container, not an attribute deep in the publisher
    with pytest.raises(NotImplementedError, match="Unsettled declares no settings"):
        Unsettled(events_client=object()).publisher()
