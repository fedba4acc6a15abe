"""One error shape, the right status codes, and the limits: body size, page size, rate."""

import pytest
from django.core.exceptions import RequestDataTooBig

from solabooks.activity.models import Activity, Verb
from solabooks.api.errors import exception_handler
from tests.factories import CustomerFactory, make_document

from .conftest import API

pytestmark = pytest.mark.django_db


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_a_400_lists_every_invalid_field_by_path(api):
    response = api.post(
        f"{API}/documents/",
        {
            "kind": "receipt",
            "customer": 10**30,
            "lines": [{"description": "ok", "quantity": "1", "unit_price": "1"}, {"quantity": "x"}],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert set(fields) == {
        "kind",
        "customer",
        "lines.1.description",
        "lines.1.quantity",
        "lines.1.unit_price",
    }


def test_a_rule_of_the_product_is_a_400_with_its_message(api, customer):
    document = make_document(customer=customer)
    response = api.post(f"{API}/documents/{document.pk}/actions/fulfil")
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid_transition"
    assert "fulfil" in body["message"]


def test_unknown_paths_are_json_404s(api):
    for path in (f"{API}/nothing-here", f"{API}/customers/abc/", "/finance/api/v2/"):
        response = api.get(path)
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"
        assert response["Content-Type"] == "application/json"


def test_an_unsupported_method_is_a_405_with_allow(api, customer):
    response = api.delete(f"{API}/customers/{customer.pk}/")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT", "PATCH"}


def test_a_body_that_is_not_json_is_a_415(api):
    response = api.post(
        f"{API}/customers/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_a_400(api):
    response = api.post(f"{API}/customers/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_a_body_over_the_limit_is_a_413_before_it_is_read(api, settings):
    settings.SOLABOOKS_API_MAX_BODY_BYTES = 1000
    big = '{"name": "' + "x" * 2000 + '", "email": "a@b.test"}'
    response = api.post(f"{API}/customers/", big, content_type="application/json")
    assert response.status_code == 413
    assert error(response)["code"] == "payload_too_large"


def test_the_default_limit_refuses_megabytes(api):
    big = '{"notes": "' + "x" * (1024 * 1024 + 1) + '"}'
    response = api.post(f"{API}/customers/", big, content_type="application/json")
    assert response.status_code == 413


def test_django_request_too_big_is_a_413_not_a_500():
    """DRF streams JSON past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (our Content-Length check is
    the real limit), but should anything read request.body, Django's refusal is a 413 too."""
    response = exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413
    assert response.data["error"]["code"] == "payload_too_large"


def test_page_size_is_capped_at_200(api, org):
    CustomerFactory.create_batch(205, organization=org)
    response = api.get(f"{API}/customers/?page_size=1000")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], len(body["results"])) == (205, 200)
    assert len(api.get(f"{API}/customers/").json()["results"]) == 50


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "page_size=-1", "page_size=", "page=1&page=2"]
)
def test_bad_paging_is_a_400(api, query):
    response = api.get(f"{API}/customers/?{query}")
    assert response.status_code == 400


def test_a_page_past_the_end_is_a_404(api):
    assert api.get(f"{API}/customers/?page=99").status_code == 404


def test_too_many_requests_get_429_with_retry_after(api, settings, org):
    settings.SOLABOOKS_API_RATE_LIMIT = (3, 60)
    statuses = [api.get(f"{API}/customers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get(f"{API}/customers/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error(response)["code"] == "throttled"


def test_the_rate_limit_is_per_key(api, other_api, settings):
    settings.SOLABOOKS_API_RATE_LIMIT = (1, 60)
    assert api.get(f"{API}/customers/").status_code == 200
    assert api.get(f"{API}/customers/").status_code == 429
    assert other_api.get(f"{API}/customers/").status_code == 200


def test_a_throttled_write_changes_nothing(api, settings, org):
    settings.SOLABOOKS_API_RATE_LIMIT = (1, 60)
    api.get(f"{API}/customers/")
    response = api.post(f"{API}/customers/", {"name": "N", "email": "n@n.test"}, format="json")
    assert response.status_code == 429
    assert not Activity.objects.for_org(org).filter(verb=Verb.CUSTOMER_CREATED).exists()


def test_text_longer_than_the_schema_max_length_is_refused_even_when_padded(api, customer):
    """The schema's maxLength counts the string as sent; DRF trims before it checks the
    length, so a padded 201-character name passed (schemathesis found it)."""
    name = "\u00a0" + "x" * 200
    response = api.post(f"{API}/customers/", {"name": name, "email": "a@b.test"}, format="json")
    assert set(error(response)["fields"]) == {"name"}
    email = " " + "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 56 + ".test"
    assert len(email) == 255
    response = api.post(f"{API}/customers/", {"name": "Padded", "email": email}, format="json")
    assert set(error(response)["fields"]) == {"email"}
    assert api.get(f"{API}/customers/", {"q": " " + "x" * 100}).status_code == 400
    # Padding inside the limit is still trimmed, as before.
    response = api.post(
        f"{API}/customers/", {"name": " Café ", "email": " c@d.test "}, format="json"
    )
    assert (response.status_code, response.json()["name"]) == (201, "Café")
