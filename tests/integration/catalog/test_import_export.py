"""Bulk import and export over the admin API, and the command-line tools driving it."""

from __future__ import annotations

import json

import pytest

from catalog.domain.codecs import encode_csv
from tests.conftest import build_api_event
from tests.integration.catalog.conftest import product_body


def _jsonl(*rows) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _import(call, text, content_type="application/x-ndjson"):
    return call("POST", "/admin/catalog/imports", text, headers={"Content-Type": content_type})


def test_import_reports_each_row_and_skips_only_the_bad_ones(reference):
    # GIVEN a file with two good products and two bad ones
    bad_price = product_body(3)
    bad_price["variants"][0]["prices"][0]["amount"] = -5
    text = (
        _jsonl(
            {**product_body(1), "status": "published"},
            bad_price,
            product_body(2),
            {**product_body(4), "category_id": "nowhere"},
        )
        + "{not json\n"
    )
    # WHEN it is imported
    reply = _import(reference, text)
    # THEN the report has one result per row, with lines and fields for the failures
    assert reply.status == 200
    report = reply.body
    assert (report["rows"], report["created"], report["failed"]) == (5, 2, 3)
    outcomes = {r["line"]: r["outcome"] for r in report["results"]}
    assert outcomes == {1: "created", 2: "failed", 3: "created", 4: "failed", 5: "failed"}
    by_line = {r["line"]: r for r in report["results"]}
    assert by_line[2]["errors"][0]["field"] == "variants.0.prices.0.amount"
    assert by_line[4]["errors"][0]["field"] == "category_id"
    # AND only the good rows exist; the published one is on the storefront
    assert reference("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "en"}).status == 200
    drafts = reference("GET", "/admin/catalog/products", query={"status": "draft"}).body["items"]
    assert [p["code"] for p in drafts] == ["LAP-0002"]


def test_reimporting_the_same_file_changes_nothing(reference):
    # GIVEN a file imported once
    text = _jsonl(*({**product_body(n), "status": "published"} for n in range(1, 4)))
    assert _import(reference, text).body["created"] == 3
    # WHEN it is imported again
    again = _import(reference, text).body
    # THEN every row is unchanged and no version was added
    assert (again["unchanged"], again["created"], again["updated"]) == (3, 0, 0)
    assert {r["version"] for r in again["results"]} == {1}
    # AND a changed row updates only that product
    changed = _jsonl({**product_body(1), "status": "published", "name": {"en": "Renamed"}})
    assert _import(reference, changed).body["results"][0] == {
        "line": 1,
        "code": "LAP-0001",
        "outcome": "updated",
        "product_id": again["results"][0]["product_id"],
        "version": 2,
    }


def test_duplicate_slugs_and_codes_in_a_file_are_row_errors(reference):
    text = _jsonl(product_body(1), product_body(1), product_body(2, seo={"slug": {"en": "acme-book-1"}}))
    report = _import(reference, text).body
    assert [r["outcome"] for r in report["results"]] == ["created", "failed", "failed"]
    assert report["results"][1]["errors"][0]["field"] == "code"
    assert report["results"][2]["errors"][0]["field"] == "seo.slug.en"


def test_csv_import_groups_variants_by_code_and_converts_attribute_text(reference):
    # GIVEN a CSV export of two products (as the export tool writes it)
    documents = [{**product_body(n), "status": "published"} for n in (1, 2)]
    text = encode_csv(documents)
    # WHEN it is imported
    report = _import(reference, text, "text/csv").body
    # THEN both products are created with both variants and typed attributes
    assert (report["created"], report["failed"]) == (2, 0), report
    product = reference("GET", f"/admin/catalog/products/{report['results'][0]['product_id']}").body
    assert [v["sku"] for v in product["variants"]] == ["LAP-0001-BLK", "LAP-0001-SLV"]
    assert product["attributes"] == {"screen_size": 14, "touch": False}
    # AND a float price in CSV is reported on its own line
    broken = text.replace("99901", "999.01")
    errors = _import(reference, broken, "text/csv").body["results"][0]["errors"]
    assert errors[0]["field"] == "variants.0.prices.0.amount"
    assert errors[0]["line"] == 2


def test_import_limits_and_media_types(reference):
    too_many = _jsonl(*({"code": f"X-{n}"} for n in range(501)))
    assert _import(reference, too_many).status == 413
    assert _import(reference, "a,b\n", "application/xml").status == 415
    assert _import(reference, "\n\n").status == 422
    assert (
        reference(
            "POST", "/admin/catalog/imports", "x", groups="customers", headers={"Content-Type": "text/csv"}
        ).status
        == 403
    )


def test_export_pages_through_products_in_import_format(reference):
    # GIVEN three published products
    _import(reference, _jsonl(*({**product_body(n), "status": "published"} for n in range(1, 4))))
    # WHEN they are exported two per page
    first = reference("GET", "/admin/catalog/exports", query={"limit": "2"})
    rest = reference(
        "GET", "/admin/catalog/exports", query={"limit": "2", "cursor": first.headers["X-Next-Cursor"]}
    )
    # THEN the pages hold every product once, in the importer's shape
    rows = [json.loads(line) for line in (first.body + rest.body).splitlines()]
    assert sorted(r["code"] for r in rows) == ["LAP-0001", "LAP-0002", "LAP-0003"]
    assert "id" not in rows[0]
    assert rows[0]["status"] == "published"
    assert "X-Next-Cursor" not in rest.headers
    # AND re-importing the export changes nothing
    assert _import(reference, first.body + rest.body).body["unchanged"] == 3
    csv_page = reference("GET", "/admin/catalog/exports", query={"format": "csv"})
    assert csv_page.headers["Content-Type"] == "text/csv"
    assert _import(reference, csv_page.body, "text/csv").body["unchanged"] == 3


class HandlerClient:
    """The tools' AdminClient, answering from the handler instead of the network."""

    def __init__(self, context, functions):
        self._functions, self._context = functions, context

    def request(self, method, path, body=None, content_type="application/json"):
        route, _, query = path.partition("?")
        from urllib.parse import parse_qs

        params = {k: v[-1] for k, v in parse_qs(query).items()}
        event = build_api_event(
            method,
            route,
            body.decode() if body else None,
            query=params,
            headers={"Content-Type": content_type},
        )
        response = self._functions.invoke("catalog-api", event, self._context)
        headers = {
            **response.get("headers", {}),
            **{k: v[-1] for k, v in response.get("multiValueHeaders", {}).items()},
        }
        return response["statusCode"], headers, (response.get("body") or "").encode()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_cli_tools_import_in_chunks_with_progress_and_export_back(
    reference, lambda_context, tmp_path, capsys, suffix, functions
):
    from catalog.tools import export_products, import_products

    # GIVEN a file of five products, written in the tools' format
    documents = [{**product_body(n), "status": "published"} for n in range(1, 6)]
    source = tmp_path / f"products{suffix}"
    source.write_text(encode_csv(documents) if suffix == ".csv" else _jsonl(*documents))
    client = HandlerClient(lambda_context, functions)
    # WHEN it is imported two products per request
    totals = import_products.run(source, client, chunk_size=2)
    # THEN every product is created and stderr shows the progress bar reaching the end
    assert totals == {"rows": 5, "created": 5, "updated": 0, "unchanged": 0, "failed": 0}
    assert "5/5 products" in capsys.readouterr().err
    # AND the export reads them back, and importing that export changes nothing
    exported = export_products.fetch(client, "published", page_size=2)
    assert sorted(r["code"] for r in exported) == [f"LAP-{n:04d}" for n in range(1, 6)]
    assert import_products.run(source, client, chunk_size=3)["unchanged"] == 5


def test_cli_maps_failed_rows_to_file_lines(reference, lambda_context, tmp_path, capsys, functions):
    from catalog.tools import import_products

    source = tmp_path / "products.jsonl"
    bad = {**product_body(3), "brand_id": "nobody"}
    source.write_text(_jsonl(product_body(1), product_body(2)) + "\n" + _jsonl(bad))
    totals = import_products.run(source, HandlerClient(lambda_context, functions), chunk_size=2)
    assert totals["failed"] == 1
    assert "line 4 (LAP-0003): brand_id: no such brand" in capsys.readouterr().err
