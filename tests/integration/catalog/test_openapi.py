"""The API describes itself: OpenAPI JSON and a Swagger UI with bundled assets."""


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
