"""Inputs the API fuzz suite found: PATCH /cart settings with nulls, a code made of spaces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cart.domain import changes
from cart.domain.models import CartSettingsBody
from shop_kernel.errors import ValidationFailed


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


def test_a_code_of_spaces_is_refused_naming_the_field() -> None:
    # GIVEN any cart WHEN a code of only spaces is added THEN it is a 422 on body.code before any look-up
    with pytest.raises(ValidationFailed) as refused:
        changes.add_code(object(), "promo_codes", "   ", datetime.now(UTC), object())  # type: ignore[arg-type]
    assert [(e.field, e.code) for e in refused.value.errors] == [("body.code", "blank_code")]
