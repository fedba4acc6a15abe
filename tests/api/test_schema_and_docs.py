"""The OpenAPI schema is generated from the code and documents every status code an
operation can answer; the reference page is rendered on the server, with no outside assets."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from solabooks.api.schema import openapi_schema

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/finance/api/schema/"
DOCS_URL = "/finance/api/docs/"


def operations():
    for path, item in openapi_schema()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def api_routes() -> set[str]:
    """Every route under /finance/api/v1/ in the URLconf, as the schema spells paths."""
    routes = set()

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                routes.add("/" + prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    return {
        re.sub(r"<(?:int:|str:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else "{" + m[1] + "}", r)
        for r in routes
        if r.startswith("/finance/api/v1/")
    }


def test_the_schema_is_served_as_json(client):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["openapi"].startswith("3.")


def test_every_endpoint_is_in_the_schema():
    assert set(openapi_schema()["paths"]) == api_routes()


def test_every_operation_documents_its_errors():
    for path, method, operation in operations():
        codes = set(operation["responses"])
        assert {"401", "403", "429"} <= codes, (method, path)
        assert codes & {"200", "201", "202", "204"}, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "put", "patch"):
            assert "413" in codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= codes, (method, path)
        for code, response in operation["responses"].items():
            if code >= "400":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
        assert operation.get("summary"), (method, path)
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_every_operation_needs_a_key_or_a_session():
    schemes = openapi_schema()["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    for path, method, operation in operations():
        assert operation["security"] == [{"apiKey": []}, {"staffSession": []}], (method, path)


def test_send_documents_the_24_hour_override():
    send = openapi_schema()["paths"]["/finance/api/v1/documents/{id}/send"]["post"]
    assert "202" in send["responses"]
    assert "24 hours" in send["description"]
    body = openapi_schema()["components"]["schemas"]["SendOut"]["properties"]
    assert "expiry_overridden" in body
    link = openapi_schema()["components"]["schemas"]["LinkOut"]["properties"]
    assert not {"token", "token_hash"} & set(link)


def test_the_reference_page_lists_every_operation_without_outside_assets(client):
    response = client.get(DOCS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for _path, _method, operation in operations():
        assert operation["operationId"] in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no outside assets"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    assert f'<style nonce="{nonce}">' in html
    assert "expiry_overridden" in html
