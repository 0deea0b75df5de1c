"""The catalog handler's answers as a storefront on another origin sees them (local stage CORS).

Real route, real handler, moto tables: a public read is cacheable for 30 s with an ETag and a 304,
readable by a localhost storefront; an admin read and an error are private and carry the request id.
"""

from __future__ import annotations

from typing import Any

STOREFRONT = "http://localhost:5173"


def test_a_public_product_read_is_cacheable_revalidatable_and_readable_cross_origin(call, published) -> None:
    # GIVEN a published product and a storefront dev server on localhost
    path = f"/catalog/products/{published['id']}"
    # WHEN the storefront reads it
    first = call("GET", path, headers={"Origin": STOREFRONT, "Accept-Language": "uk"})
    # THEN the answer is public for 30 s, validated by an ETag, and readable by the storefront
    assert first.status == 200
    assert first.headers["Cache-Control"] == "public, max-age=30"
    assert first.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert {"Accept-Language", "Origin"} <= {v.strip() for v in first.headers["Vary"].split(",")}
    assert first.headers["X-Request-Id"]
    # WHEN it revalidates with the ETag it holds
    again = call(
        "GET", path, headers={"Origin": STOREFRONT, "Accept-Language": "uk", "If-None-Match": first.etag}
    )
    # THEN 304 without a body
    assert (again.status, again.body) == (304, "")
    assert again.etag == first.etag
    # AND another language is another representation, with another ETag
    english = call("GET", path, headers={"Accept-Language": "en", "If-None-Match": first.etag})
    assert english.status == 200
    assert english.etag != first.etag


def test_admin_reads_and_errors_are_private_and_name_the_request(call, published: dict[str, Any]) -> None:
    # GIVEN a merchandiser's read and a storefront's read of a missing product
    admin = call("GET", f"/admin/catalog/products/{published['id']}", headers={"If-None-Match": "*"})
    missing = call("GET", "/catalog/products/prod_missing", headers={"Origin": STOREFRONT})
    # THEN neither may be cached, and the problem names the request its header names
    assert (admin.status, admin.headers["Cache-Control"]) == (200, "private, no-store")
    assert missing.status == 404
    assert missing.headers["Cache-Control"] == "private, no-store"
    assert missing.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert missing.body["request_id"] == missing.headers["X-Request-Id"]
