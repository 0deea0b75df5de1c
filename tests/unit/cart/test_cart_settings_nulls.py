"""PATCH /cart settings: null keeps a value, except the pickup store, where null means delivery."""

from __future__ import annotations

from cart.domain.models import CartSettingsBody


def test_null_currency_destination_or_shipping_method_leaves_them_as_they_are() -> None:
    # GIVEN a client that sends every field, nulls included (the document shows them as nullable)
    body = CartSettingsBody.model_validate(
        {"currency": None, "destination_country": None, "shipping_method": "standard"}
    )
    # WHEN the change is read THEN only the method changes: a cart never loses its currency or destination
    assert body.model_dump(exclude_unset=True) == {"shipping_method": "standard"}


def test_null_pickup_store_means_delivery() -> None:
    body = CartSettingsBody.model_validate({"pickup_location_id": None})
    assert body.model_dump(exclude_unset=True) == {"pickup_location_id": None}
