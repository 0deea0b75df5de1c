"""Settings: a resource name falls back to the local stack's only in the local stage."""

from __future__ import annotations

import pytest

from cart.settings import CartSettings
from catalog.settings import CatalogSettings
from checkout.settings import CheckoutSettings
from inventory.settings import InventorySettings
from search.settings import SearchSettings
from shop_kernel.settings import ServiceSettings, SettingsError

SETTINGS = (
    ServiceSettings,
    CartSettings,
    CatalogSettings,
    CheckoutSettings,
    InventorySettings,
    SearchSettings,
)


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s.__name__)
def test_in_the_local_stage_every_resource_name_defaults_to_the_local_stacks(
    settings: type[ServiceSettings],
) -> None:
    # GIVEN the local stage and no resource variables WHEN the settings are read
    read = settings.from_env({"STAGE": "local"})
    # THEN each local default applies (the names the local stack creates)
    assert settings.local_defaults()
    for name in settings.local_defaults():
        value = getattr(read, name)
        assert value.startswith(("shop-local", ".local/")), (name, value)


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s.__name__)
def test_outside_the_local_stage_a_missing_resource_variable_is_an_error_naming_it(
    settings: type[ServiceSettings],
) -> None:
    # GIVEN stage prod and no resource variables
    read = settings.from_env({"STAGE": "prod"})
    # WHEN any resource setting is read THEN it is an error naming the variable and the stage, never a name
    for name in settings.local_defaults():
        with pytest.raises(
            SettingsError, match=rf"{name.upper()} is not set for this function in stage 'prod'"
        ):
            getattr(read, name)


def test_outside_the_local_stage_given_variables_are_used_and_other_settings_keep_their_defaults() -> None:
    # GIVEN the checkout stream consumer's environment in prod: the bus and the inventory table only
    env = {"STAGE": "prod", "EVENT_BUS_NAME": "shop-prod", "INVENTORY_TABLE_NAME": "shop-prod-inventory-X1"}
    # WHEN its settings are read
    read = CheckoutSettings.from_env(env)
    # THEN what it was given is used, plain settings keep their defaults, and the orders table it was not
    # given is an error, not "shop-local-orders"
    assert (read.event_bus_name, read.inventory_table_name) == ("shop-prod", "shop-prod-inventory-X1")
    assert read.payment_window_minutes == 30
    with pytest.raises(SettingsError, match="ORDERS_TABLE_NAME"):
        _ = read.orders_table_name


def test_a_missing_stage_is_the_local_stage() -> None:
    # GIVEN no STAGE at all (a developer's shell) WHEN settings are read THEN the local names apply
    assert InventorySettings.from_env({}).inventory_table_name == "shop-local-inventory"
