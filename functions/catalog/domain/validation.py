"""Turns pydantic errors and product-type rules into ``ValidationFailed`` with one entry per field.

Attribute values are checked against the product type: unknown attributes, values of the wrong type,
enum values that are not options and missing required attributes are each reported at their path
(``attributes.colour``, ``variants.0.attributes.size``), prefixed with where the input came from.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from catalog.domain.models import AttributeDefinition, AttributeKind, ProductContent, ProductType
from shop_kernel.errors import FieldError, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def join(*parts: object) -> str:
    """``join("body", "variants", 0)`` -> ``body.variants.0``; an empty prefix is left out."""
    return ".".join(str(part) for part in parts if part != "")


def field_errors(exc: ValidationError, prefix: str = "body") -> list[FieldError]:
    errors = []
    for err in exc.errors():
        path = join(prefix, *err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field: remove it"
        errors.append(FieldError(field=path, message=message, code=err["type"]))
    return errors


def parse(model: type[M], data: Any, prefix: str = "body") -> M:
    """``model.model_validate(data)``, with errors reported as a 422 naming each field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("one or more fields are not valid", errors=field_errors(exc, prefix)) from exc


def _value_problem(definition: AttributeDefinition, value: Any) -> str | None:
    kind = definition.kind
    if kind == AttributeKind.BOOLEAN and not isinstance(value, bool):
        return "must be true or false"
    if kind == AttributeKind.NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "must be a number" + (f" (in {definition.unit})" if definition.unit else "")
    if kind == AttributeKind.TEXT and not isinstance(value, str):
        return "must be text"
    if kind == AttributeKind.ENUM and (not isinstance(value, str) or definition.option(value) is None):
        allowed = ", ".join(o.code for o in definition.options)
        return f"must be one of: {allowed}"
    return None


def _check_values(
    values: dict[str, Any], product_type: ProductType, *, variant: bool, path: str
) -> list[FieldError]:
    errors = []
    for code, value in values.items():
        definition = product_type.definition(code)
        field = f"{path}.{code}"
        if definition is None:
            errors.append(
                FieldError(
                    field=field, message=f"{product_type.id} has no attribute {code!r}", code="unknown"
                )
            )
        elif definition.variant != variant:
            where = "each variant" if definition.variant else "the product"
            errors.append(FieldError(field=field, message=f"set {code!r} on {where}", code="misplaced"))
        elif problem := _value_problem(definition, value):
            errors.append(FieldError(field=field, message=problem, code="wrong_type"))
    for definition in product_type.attributes:
        if definition.required and definition.variant == variant and definition.code not in values:
            errors.append(
                FieldError(
                    field=f"{path}.{definition.code}",
                    message="required by the product type",
                    code="required_by_type",
                )
            )
    return errors


def attribute_errors(
    content: ProductContent, product_type: ProductType, prefix: str = "body"
) -> list[FieldError]:
    errors = _check_values(content.attributes, product_type, variant=False, path=join(prefix, "attributes"))
    for index, variant in enumerate(content.variants):
        errors += _check_values(
            variant.attributes, product_type, variant=True, path=join(prefix, "variants", index, "attributes")
        )
    return errors
