"""The API describes itself: OpenAPI JSON and a Swagger UI with bundled assets."""

import json


def test_openapi_document_lists_storefront_and_admin_routes(call):
    reply = call("GET", "/catalog/openapi.json")
    assert reply.status == 200
    paths = reply.body["paths"]
    assert "/catalog/products/{product_id}" in paths
    assert "/admin/catalog/products/{product_id}" in paths
    assert "patch" in paths["/admin/catalog/products/{product_id}"]
    assert "CreateProduct" in reply.body["components"]["schemas"]


def test_swagger_ui_is_served_without_a_cdn(call):
    reply = call("GET", "/catalog/docs")
    assert reply.status == 200
    assert "SwaggerUIBundle" in reply.body
    assert "cdn.jsdelivr" not in reply.body
    assert "unpkg.com" not in reply.body


def test_unknown_routes_are_problem_404s(call):
    reply = call("GET", "/catalog/nothing-here")
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_every_operation_answers_as_its_document_says(call, served_documents):
    """Each of the 30 operations once with success, and the refusals a client must handle, all checked."""
    from tests.conformance import DocumentedAnswers
    from tests.integration.catalog.conftest import CATEGORIES, LAPTOP_TYPE, product_body

    answers = DocumentedAnswers(served_documents["catalog"].document)

    def api(method, path, body=None, status=200, **kwargs):
        reply = answers.check(method, path, call(method, path, body, **kwargs))
        assert reply.status == status, (method, path, reply.body)
        return reply

    # GIVEN a merchandiser builds a small catalog: a product type, a brand, categories
    api("POST", "/admin/catalog/product-types", LAPTOP_TYPE, 201)
    api(
        "PATCH",
        "/admin/catalog/product-types/laptop",
        {"name": {"en": "Laptop", "uk": "Ноутбук"}},
        200,
        headers={"If-Match": '"1"', "X-Correlation-Id": "import-run-7"},
    )
    api("GET", "/admin/catalog/product-types/laptop")
    api("GET", "/admin/catalog/product-types")
    api("POST", "/admin/catalog/brands", {"id": "acme", "name": "Acme"}, 201)
    api(
        "PATCH",
        "/admin/catalog/brands/acme",
        {"logo_url": "https://cdn.example.com/a.svg"},
        200,
        headers={"If-Match": '"1"'},
    )
    api("GET", "/admin/catalog/brands/acme")
    api("GET", "/admin/catalog/brands")
    for category in CATEGORIES:
        api("POST", "/admin/catalog/categories", category, 201)
    api(
        "PATCH",
        "/admin/catalog/categories/phones",
        {"description": {"en": "Smart phones"}},
        200,
        headers={"If-Match": '"1"'},
    )
    api(
        "POST", "/admin/catalog/categories/phones/move", {"parent_id": None}, 200, headers={"If-Match": '"2"'}
    )
    api("GET", "/admin/catalog/categories/phones")
    api("GET", "/admin/catalog/categories")
    # AND a product, edited, published, imported and exported
    created = api("POST", "/admin/catalog/products", product_body(1), 201)
    path = f"/admin/catalog/products/{created.body['id']}"
    api("PATCH", path, {"description": {"en": "Lighter."}}, 200, headers={"If-Match": '"1"'})
    api("POST", f"{path}/publish", status=200, headers={"If-Match": '"2"'})
    api("GET", path)
    api("GET", "/admin/catalog/products", query={"status": "published"})
    line = json.dumps({**product_body(2), "status": "published"}) + "\n"
    api("POST", "/admin/catalog/imports", line, headers={"Content-Type": "application/x-ndjson"})
    for fmt in ("jsonl", "csv"):
        api("GET", "/admin/catalog/exports", query={"format": fmt, "limit": "1"})
    api("GET", f"/admin/catalog/products/{created.body['id']}/history")
    api("GET", f"/admin/catalog/products/{created.body['id']}/versions/2")
    # WHEN a shopper reads the storefront in both locales
    for locale in ("en", "uk"):
        api("GET", "/catalog/categories", query={"locale": locale})
        api("GET", "/catalog/categories/laptops", headers={"Accept-Language": locale})
        api("GET", "/catalog/brands", query={"locale": locale})
        api("GET", "/catalog/product-types/laptop", query={"locale": locale})
        api("GET", f"/catalog/products/{created.body['id']}", query={"locale": locale})
        api("GET", "/catalog/categories/electronics/products", query={"locale": locale, "limit": "1"})
    api("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "en"})
    api("POST", f"{path}/archive", status=200, headers={"If-Match": '"3"'})
    # AND the refusals clients must handle happen
    api("GET", f"/catalog/products/{created.body['id']}", status=404)
    api("PATCH", path, {"description": {"en": "x"}}, 428)
    api("PATCH", path, {"description": {"en": "x"}}, 412, headers={"If-Match": '"1"'})
    api("POST", f"{path}/archive", status=409, headers={"If-Match": '"4"'})
    api("POST", "/admin/catalog/brands", {"id": "acme", "name": "Acme"}, 409)
    api("GET", "/admin/catalog/brands", status=401, groups=None)
    api("GET", "/admin/catalog/brands", status=403, groups="customers")
    api("GET", "/catalog/brands", status=422, query={"locale": "fr"})
    api("GET", "/admin/catalog/widgets/x/history", status=422)
    api("PATCH", path, "{not json", 400, headers={"If-Match": '"4"', "Content-Type": "application/json"})
    # THEN every operation's success was seen and matched its schema
    operations = {op.name for op in answers.operations()}
    succeeded = {name for name, status in answers.checked_statuses if status < 300}
    assert operations - succeeded == set()
    assert {404, 409, 412, 428, 401, 403, 422, 400} <= {status for _, status in answers.checked_statuses}
