"""Domain models and product-type validation, without AWS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalog.domain.commands import CreateProduct, ImportRow
from catalog.domain.models import ProductContent, ProductType, ProductTypeContent, VariantPrice
from catalog.domain.validation import attribute_errors, parse
from shop_kernel.errors import ValidationFailed

AUDIT = {
    "version": 1,
    "created_at": "2026-01-01T00:00:00.000Z",
    "updated_at": "2026-01-01T00:00:00.000Z",
    "updated_by": "u",
}
TYPE = ProductType.model_validate(
    {
        "id": "tee",
        "name": {"en": "T-shirt"},
        **AUDIT,
        "attributes": [
            {"code": "weight", "label": {"en": "Weight"}, "kind": "number", "unit": "g", "required": True},
            {"code": "organic", "label": {"en": "Organic"}, "kind": "boolean"},
            {
                "code": "size",
                "label": {"en": "Size"},
                "kind": "enum",
                "variant": True,
                "options": [{"code": "s", "label": {"en": "S"}}, {"code": "m", "label": {"en": "M"}}],
            },
        ],
    }
)


def content(**overrides):
    base = {
        "product_type_id": "tee",
        "category_id": "tees",
        "name": {"en": "Tee"},
        "attributes": {"weight": 180},
        "seo": {"slug": {"en": "tee"}},
        "variants": [
            {"sku": "T-S", "attributes": {"size": "s"}, "prices": [{"amount": 1500, "currency": "EUR"}]}
        ],
    }
    return ProductContent.model_validate({**base, **overrides})


def test_prices_are_non_negative_integers_in_known_currencies():
    assert VariantPrice(amount=0, currency="UAH").price_list == "retail"
    for bad in (
        {"amount": -1, "currency": "EUR"},
        {"amount": 1.5, "currency": "EUR"},
        {"amount": 100, "currency": "XYZ"},
        {"amount": "100", "currency": "EUR"},
    ):
        with pytest.raises(ValidationError):
            VariantPrice.model_validate(bad)


def test_default_locale_is_required_and_unknown_locales_are_refused():
    with pytest.raises(ValidationError) as missing:
        content(name={"uk": "Футболка"})
    assert missing.value.errors()[0]["loc"] == ("name", "en")
    with pytest.raises(ValidationError):
        content(name={"en": "Tee", "fr": "Tee"})


def test_duplicate_skus_and_duplicate_price_lists_are_refused():
    variant = {"sku": "T-S", "prices": [{"amount": 1, "currency": "EUR"}]}
    with pytest.raises(ValidationError, match="SKUs must be unique"):
        content(variants=[variant, variant])
    with pytest.raises(ValidationError, match="one price per"):
        content(variants=[{"sku": "T-S", "prices": [{"amount": 1, "currency": "EUR"}] * 2}])


def test_attribute_values_must_match_the_product_type():
    # GIVEN values of the wrong kinds, unknown attributes and misplaced variant attributes
    wrong = content(
        attributes={"weight": "heavy", "organic": "yes", "colour": "red", "size": "s"},
        variants=[
            {
                "sku": "T-S",
                "attributes": {"size": "xl", "weight": 1},
                "prices": [{"amount": 1, "currency": "EUR"}],
            }
        ],
    )
    # WHEN validated THEN each problem is named by its path
    fields = {e.field: e.code for e in attribute_errors(wrong, TYPE)}
    assert fields == {
        "body.attributes.weight": "wrong_type",
        "body.attributes.organic": "wrong_type",
        "body.attributes.colour": "unknown",
        "body.attributes.size": "misplaced",
        "body.variants.0.attributes.size": "wrong_type",
        "body.variants.0.attributes.weight": "misplaced",
    }


def test_required_attributes_and_valid_products():
    assert [e.field for e in attribute_errors(content(attributes={}), TYPE)] == ["body.attributes.weight"]
    assert attribute_errors(content(attributes={"weight": 180.5, "organic": True}), TYPE) == []


def test_product_type_definitions_are_consistent():
    with pytest.raises(ValidationError, match="needs at least one option"):
        ProductTypeContent.model_validate(
            {"name": {"en": "X"}, "attributes": [{"code": "c", "label": {"en": "C"}, "kind": "enum"}]}
        )
    with pytest.raises(ValidationError, match="only number attributes have a unit"):
        ProductTypeContent.model_validate(
            {
                "name": {"en": "X"},
                "attributes": [{"code": "c", "label": {"en": "C"}, "kind": "text", "unit": "kg"}],
            }
        )
    with pytest.raises(ValidationError, match="unique"):
        ProductTypeContent.model_validate(
            {"name": {"en": "X"}, "attributes": [{"code": "c", "label": {"en": "C"}, "kind": "text"}] * 2}
        )


def test_parse_reports_fields_with_a_prefix():
    with pytest.raises(ValidationFailed) as failed:
        parse(CreateProduct, {"code": "bad code!", "extra": 1}, prefix="body")
    fields = {e.field for e in failed.value.errors}
    assert {"body.code", "body.extra"} <= fields
    assert ImportRow.model_validate({**content().model_dump(), "code": "T-1"}).status == "draft"
