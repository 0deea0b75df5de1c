"""Field-level diff, category tree rules and localisation, without AWS."""

from __future__ import annotations

import pytest

from catalog.domain.categories import check_move, descendants, rebase, tree
from catalog.domain.history import AUDIT_FIELDS, diff
from catalog.domain.models import Category
from catalog.domain.views import facet_value, localised
from shop_kernel.errors import ValidationFailed

AUDIT = {"version": 1, "created_at": "t", "updated_at": "t", "updated_by": "u"}


def cat(cid, *ancestors):
    return Category.model_validate(
        {
            "id": cid,
            "parent_id": ancestors[-1] if ancestors else None,
            "ancestors": list(ancestors),
            "name": {"en": cid.title(), "uk": f"{cid}-uk"},
            "seo": {"slug": {"en": cid}},
            **AUDIT,
        }
    )


CATEGORIES = [cat("a"), cat("b", "a"), cat("c", "a", "b"), cat("d", "a", "b", "c"), cat("z")]


def test_diff_names_nested_fields_and_keys_lists_by_identity():
    old = {
        "name": {"en": "A"},
        "variants": [{"sku": "S1", "prices": [{"amount": 1, "currency": "EUR"}]}],
        "version": 1,
    }
    new = {
        "name": {"en": "B", "uk": "Б"},
        "variants": [
            {"sku": "S1", "prices": [{"amount": 2, "currency": "EUR"}]},
            {"sku": "S2", "prices": []},
        ],
        "version": 2,
    }
    assert diff(old, new, ignore=AUDIT_FIELDS) == [
        {"field": "name.en", "old": "A", "new": "B"},
        {"field": "name.uk", "old": None, "new": "Б"},
        {"field": "variants[S1].prices[retail/EUR].amount", "old": 1, "new": 2},
        {"field": "variants[S2]", "old": None, "new": {"sku": "S2", "prices": []}},
    ]
    assert diff(old, old) == []
    assert diff(None, {"a": 1}) == [{"field": "a", "old": None, "new": 1}]


def test_moves_into_the_own_subtree_are_cycles():
    a, b, c, d, z = CATEGORIES
    for target in (a, b, d):
        with pytest.raises(ValidationFailed) as cycle:
            check_move(a, target, CATEGORIES)
        assert cycle.value.errors[0].field == "body.parent_id"
    check_move(c, z, CATEGORIES)  # moving sideways is fine


def test_moves_respect_the_depth_limit():
    _a, b, _c, _d, _z = CATEGORIES
    deep = cat("e", "z", "y", "x", "w")
    with pytest.raises(ValidationFailed, match="levels deep"):
        check_move(b, deep, CATEGORIES)


def test_rebase_keeps_the_path_below_the_moved_category():
    _a, b, _c, d, _z = CATEGORIES
    assert [x.id for x in descendants("b", CATEGORIES)] == ["c", "d"]
    assert rebase(d, b, ["z"]) == ["z", "b", "c"]
    assert rebase(b, b, ["z"]) == ["z"]


def test_tree_nests_children_under_parents():
    nodes = tree(CATEGORIES, lambda c: {"id": c.id})
    assert [n["id"] for n in nodes] == ["a", "z"]
    assert nodes[0]["children"][0]["children"][0]["children"][0]["id"] == "d"


def test_localised_documents_fall_back_to_english():
    doc = {
        "name": {"en": "Laptop", "uk": "Ноутбук"},
        "seo": {"title": {"en": "Only English"}},
        "attributes": [{"label": {"en": "Size"}, "value": 14}],
        "price": {"amount": 1, "currency": "EUR"},
    }
    assert localised(doc, "uk") == {
        "name": "Ноутбук",
        "seo": {"title": "Only English"},
        "attributes": [{"label": "Size", "value": 14}],
        "price": {"amount": 1, "currency": "EUR"},
    }
    assert localised(doc, "en")["name"] == "Laptop"


def test_facet_values_are_canonical_strings():
    assert [facet_value(v) for v in (True, False, 16, 16.0, 15.6, "black")] == [
        "true",
        "false",
        "16",
        "16",
        "15.6",
        "black",
    ]
