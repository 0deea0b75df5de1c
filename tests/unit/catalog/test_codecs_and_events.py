"""File codecs, import value typing and the stream-to-event rules, without AWS."""

from __future__ import annotations

from catalog.domain.codecs import decode_csv, decode_jsonl, encode_csv, encode_jsonl
from catalog.domain.events import event_id, events_for_change, price_changes
from catalog.domain.imports import typed_values
from catalog.domain.models import ProductType

PRODUCT = {
    "code": "P-1",
    "status": "published",
    "product_type_id": "t",
    "category_id": "c",
    "name": {"en": "Name", "uk": "Назва"},
    "attributes": {"weight": 180, "organic": True},
    "variants": [
        {
            "sku": "P-1-S",
            "attributes": {"size": "s"},
            "prices": [{"amount": 100, "currency": "EUR", "price_list": "retail"}],
        },
        {
            "sku": "P-1-M",
            "attributes": {"size": "m"},
            "prices": [{"amount": 120, "currency": "EUR", "price_list": "retail"}],
            "media": [{"url": "https://x/m.jpg", "alt": {"en": "M"}}],
        },
    ],
    "media": [{"url": "https://x/1.jpg"}, {"url": "https://x/2.jpg"}],
    "seo": {"slug": {"en": "name", "uk": "nazva"}},
}


def test_jsonl_round_trip_and_unreadable_lines():
    rows = decode_jsonl(encode_jsonl([{**PRODUCT, "id": "prod_x", "version": 3}]) + "\n[1]\n{oops\n")
    assert rows[0].data == PRODUCT  # server fields are not exported
    assert [(r.line, r.error) for r in rows[1:]] == [
        (3, "each line must be a JSON object"),
        (4, "the line is not valid JSON"),
    ]


def test_csv_round_trip_groups_variant_lines_by_code():
    text = encode_csv([PRODUCT])
    (row,) = decode_csv(text)
    assert row.lines == (2, 3)
    assert row.text_values
    assert [v["sku"] for v in row.data["variants"]] == ["P-1-S", "P-1-M"]
    assert row.data["variants"][1]["media"] == [{"url": "https://x/m.jpg", "alt": {"en": "M"}}]
    assert row.data["media"] == PRODUCT["media"]
    assert row.data["attributes"] == {"weight": "180", "organic": "true"}  # text until typed


def test_csv_text_values_are_typed_by_the_product_type():
    product_type = ProductType.model_validate(
        {
            "id": "t",
            "name": {"en": "T"},
            "version": 1,
            "created_at": "t",
            "updated_at": "t",
            "updated_by": "u",
            "attributes": [
                {"code": "weight", "label": {"en": "W"}, "kind": "number"},
                {"code": "organic", "label": {"en": "O"}, "kind": "boolean"},
                {
                    "code": "size",
                    "label": {"en": "S"},
                    "kind": "enum",
                    "variant": True,
                    "options": [{"code": "s", "label": {"en": "S"}}],
                },
            ],
        }
    )
    (row,) = decode_csv(encode_csv([PRODUCT]))
    typed = typed_values(row.data, product_type)
    assert typed["attributes"] == {"weight": 180, "organic": True}
    assert typed["variants"][0]["attributes"] == {"size": "s"}
    assert typed_values({"attributes": {"weight": "15.6"}}, product_type)["attributes"] == {"weight": 15.6}
    assert typed_values({"attributes": {"weight": "heavy"}}, product_type)["attributes"] == {
        "weight": "heavy"
    }


def test_csv_lines_without_code_are_errors():
    rows = decode_csv("code,name.en\n,Nameless\n")
    assert rows[0].error == "code is required on every line"


def _item(status, version, amount=100, public=True):
    doc = {
        **PRODUCT,
        "id": "prod_1",
        "status": status,
        "version": version,
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    doc["variants"] = [{**PRODUCT["variants"][0], "prices": [{"amount": amount, "currency": "EUR"}]}]
    snapshot = {
        "id": "prod_1",
        "code": "P-1",
        "version": version,
        "name": PRODUCT["name"],
        "seo": PRODUCT["seo"],
        "category": {"id": "c", "path": ["c"]},
        "product_type_id": "t",
        "attributes": [],
        "variants": doc["variants"],
        "media": [],
        "updated_at": doc["updated_at"],
        "brand": None,
        "description": None,
        "published_at": None,
    }
    return {"status": status, "version": version, "doc": doc, "public": snapshot if public else None}


def test_event_rules():
    draft, live = _item("draft", 1, public=False), _item("published", 2)
    assert events_for_change(None, draft) == []
    assert [e.detail_type for e in events_for_change(draft, live)] == ["ProductPublished"]
    cheaper = _item("published", 3, amount=90)
    assert [e.detail_type for e in events_for_change(live, cheaper)] == ["ProductUpdated", "PriceChanged"]
    archived = _item("archived", 4, public=False)
    (gone,) = events_for_change(cheaper, archived)
    assert gone.detail_type == "ProductArchived"
    assert gone.metadata.event_id == event_id("prod_1", 4, "ProductArchived")
    assert events_for_change(archived, _item("archived", 5, public=False)) == []


def test_price_changes_list_each_sku_price_list_and_currency():
    old = {"variants": [{"sku": "A", "prices": [{"amount": 1, "currency": "EUR"}]}]}
    new = {
        "variants": [
            {"sku": "A", "prices": [{"amount": 2, "currency": "EUR"}, {"amount": 5, "currency": "UAH"}]}
        ]
    }
    changes = [c.model_dump() for c in price_changes(old, new)]
    assert changes == [
        {"sku": "A", "price_list": "retail", "currency": "EUR", "old_amount": 1, "new_amount": 2},
        {"sku": "A", "price_list": "retail", "currency": "UAH", "old_amount": None, "new_amount": 5},
    ]


def test_a_carriage_return_inside_a_csv_line_ends_the_line_instead_of_failing() -> None:
    # GIVEN a spreadsheet saved with old Mac line ends in the middle of a line (found by the deep fuzz pass)
    # WHEN it is decoded THEN each part is a line of its own, reported, not an exception (was a 500)
    rows = decode_csv("code,name.en\rP-1,One\rP-2\r,Two\n")
    assert [(r.line, r.error) for r in rows] == [(2, None), (3, None), (4, "code is required on every line")]


def test_a_csv_file_python_cannot_read_is_a_422_on_the_body() -> None:
    import pytest

    from shop_kernel.errors import ValidationFailed

    # GIVEN a cell longer than any product field (the csv module's own limit)
    with pytest.raises(ValidationFailed) as refused:
        decode_csv("code,name.en\nP-1," + "x" * 200_000 + "\n")
    # THEN the body is named, as for any file that is not CSV
    assert [(e.field, e.code) for e in refused.value.errors] == [("body", "not_csv")]
