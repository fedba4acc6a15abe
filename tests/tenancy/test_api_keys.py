import hashlib

import pytest
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from solabooks.api.authentication import APIKeyAuthentication
from solabooks.tenancy.models import ApiKey
from tests.confirming import CONFIRMED

pytestmark = pytest.mark.django_db


def create(client, name: str = "Accounting sync"):
    return client.post(reverse("api-key-list"), {"name": name})


def authenticate(raw_key: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return APIKeyAuthentication().authenticate(Request(request))


def test_new_key_is_shown_once_and_stored_hashed(owner_client, org, owner):
    response = create(owner_client)
    assert response.status_code == 200
    raw_key = response.context["new_key"].raw_key
    assert raw_key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(organization=org)
    prefix, secret = raw_key.removeprefix("sb_").split("_", 1)
    assert raw_key.startswith("sb_") and key.prefix == prefix and len(secret) >= 43
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert key.created_by == owner
    # Nowhere in the row, and never again on the page.
    assert all(secret not in str(getattr(key, f.attname)) for f in ApiKey._meta.fields)
    html = owner_client.get(reverse("api-key-list")).content.decode()
    assert secret not in html
    assert f"sb_{key.prefix}_" in html and "Accounting sync" in html


def test_the_key_works_until_revoked(owner_client, org):
    raw_key = create(owner_client).context["new_key"].raw_key
    _, key = authenticate(raw_key)
    assert key.organization == org
    response = owner_client.post(reverse("api-key-revoke", args=[key.pk]), CONFIRMED, follow=True)
    assert "revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(AuthenticationFailed):
        authenticate(raw_key)


def test_revoking_twice_keeps_the_first_time(owner_client):
    key = create(owner_client).context["new_key"].api_key
    owner_client.post(reverse("api-key-revoke", args=[key.pk]), CONFIRMED)
    key.refresh_from_db()
    first = key.revoked_at
    owner_client.post(reverse("api-key-revoke", args=[key.pk]), CONFIRMED)
    key.refresh_from_db()
    assert key.revoked_at == first


def test_each_key_is_different(owner_client):
    first = create(owner_client, "one").context["new_key"].raw_key
    second = create(owner_client, "two").context["new_key"].raw_key
    assert first != second


@pytest.mark.parametrize("name", ["", "   ", "x" * 10_000])
def test_bad_key_names_are_form_errors(owner_client, org, name):
    response = create(owner_client, name)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["new_key"] is None
    assert not ApiKey.objects.filter(organization=org).exists()


def test_keys_of_another_business_are_invisible_and_404(owner_client, other_client):
    theirs = create(other_client, "Their secret integration").context["new_key"].api_key
    assert (
        "Their secret integration" not in owner_client.get(reverse("api-key-list")).content.decode()
    )
    assert owner_client.post(reverse("api-key-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("client_fixture", ["manager_client", "accountant_client"])
def test_managers_and_accountants_cannot_create_or_revoke(request, owner_client, client_fixture):
    key = create(owner_client).context["new_key"].api_key
    client = request.getfixturevalue(client_fixture)
    assert create(client).status_code == 403
    assert client.post(reverse("api-key-revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_key_list_query_count_is_fixed(owner_client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    create(owner_client)
    owner_client.get(reverse("api-key-list"))
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse("api-key-list"))
    for i in range(10):
        create(owner_client, f"key {i}")
    with CaptureQueriesContext(connection) as many:
        owner_client.get(reverse("api-key-list"))
    assert len(many) == len(few)
