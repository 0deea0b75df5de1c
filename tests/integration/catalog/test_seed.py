"""The demo seed, through a real HTTP server in front of the catalog handler."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import build_api_event


@pytest.fixture
def api_url(catalog_stack, lambda_context, functions):
    class Gateway(BaseHTTPRequestHandler):
        def _serve(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            # The local authorizer's job, reduced to "a bearer token means a merchandiser".
            groups = "merchandisers" if self.headers.get("Authorization") else None
            event = build_api_event(
                self.command,
                url.path,
                body,
                groups=groups,
                query={k: v for k, v in parse_qs(url.query).items()},
                headers={"Content-Type": self.headers.get("Content-Type", "")},
            )
            response = functions.invoke("catalog-api", event, lambda_context)
            payload = (response.get("body") or "").encode()
            self.send_response(response["statusCode"])
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve  # noqa: N815 - http.server dispatches on these names

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_seed_builds_the_demo_catalog_and_a_second_run_changes_nothing(api_url, call):
    from infra.local.seed_catalog import demo_product, seed

    # WHEN the demo catalog is seeded (fewer products than the default 240: moto's transactions are slow)
    first = seed(api_url, "local-token", products=30)
    # THEN the products exist, published, across a three-level tree, in both locales
    assert first["created"] == 30 + 2  # and the two gift cards, imported with them (seeded_products)
    assert first["failed"] == 0
    assert (first["product_types"], first["brands"], first["categories"]) == (5, 6, 12)
    top = call("GET", "/catalog/categories/electronics/products", query={"limit": "20", "locale": "uk"})
    assert len(top.body["items"]) == 20
    assert top.body["next_cursor"]
    sample = demo_product(7)
    by_slug = call("GET", f"/catalog/products/by-slug/{sample['seo']['slug']['uk']}", query={"locale": "uk"})
    assert by_slug.status == 200
    assert by_slug.body["name"] == sample["name"]["uk"]
    assert {p["currency"] for v in by_slug.body["variants"] for p in v["prices"]} >= {"EUR", "UAH"}
    tree = call("GET", "/catalog/categories", query={"locale": "uk"}).body["items"]
    computers = next(c for c in tree[0]["children"] if c["id"] == "computers")
    assert [c["name"] for c in computers["children"]] == ["Ноутбуки", "Ультрабуки"]
    # AND both gift cards: the physical one ships, the e-certificate is delivered electronically
    for slug, fulfilment in (("gift-card", "shipped"), ("e-gift-certificate", "digital")):
        card = call("GET", f"/catalog/products/by-slug/{slug}", query={"locale": "en"})
        assert card.status == 200, card.body
        values = {a["code"]: a["value"] for a in card.body["attributes"]}
        assert (values["gift_certificate"], values["fulfilment"]) == (True, fulfilment)
    # WHEN it is seeded again THEN nothing changes
    second = seed(api_url, "local-token", products=30)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 30 + 2)


def test_all_240_demo_products_are_valid_unique_and_deterministic():
    from catalog.domain.commands import ImportRow
    from infra.local.seed_catalog import demo_product

    # GIVEN the default demo catalog
    rows = [ImportRow.model_validate(demo_product(n)) for n in range(1, 241)]
    # THEN codes, SKUs and per-locale slugs are unique, every product is published in en and uk
    assert len({r.code for r in rows}) == 240
    assert len({v.sku for r in rows for v in r.variants}) == sum(len(r.variants) for r in rows)
    for locale in ("en", "uk"):
        assert len({getattr(r.seo.slug, locale) for r in rows}) == 240
    assert all(r.status == "published" and r.name.uk and r.description for r in rows)
    assert {p.currency for r in rows for v in r.variants for p in v.prices} == {"EUR", "UAH"}
    # AND the same number always gives the same product
    assert json.dumps(demo_product(42)) == json.dumps(demo_product(42))
