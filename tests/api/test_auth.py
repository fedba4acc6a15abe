"""Who may call the API: organization keys (hashed, revocable) and staff sessions."""

import pytest
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.tenancy.models import ApiKey
from solabooks.tenancy.services import revoke_api_key
from tests.conftest import signed_in
from tests.factories import UserFactory

from .conftest import API, key_client, owner_actor

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "error": {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided or are not valid.",
        "fields": {},
    }
}


def test_a_key_reads_its_business(api, customer):
    response = api.get(f"{API}/customers/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [customer.pk]


def test_the_key_is_stored_only_as_its_hash(key):
    stored = ApiKey.objects.get(pk=key.api_key.pk)
    assert key.raw not in {stored.key_hash, stored.prefix, stored.name}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer sb_not_a_real_key",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
    ],
    ids=["missing", "wrong", "empty", "basic", "other-scheme"],
)
def test_missing_or_wrong_credentials_get_one_401(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"{API}/customers/")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_gets_the_same_401(key, owner):
    revoke_api_key(api_key=key.api_key, actor=owner_actor(owner))
    response = key_client(key.raw).get(f"{API}/customers/")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_no_key_costs_the_same_lookup_as_a_wrong_key(db):
    """Comparable time: a request without credentials does the hashed lookup too."""

    def key_lookups(client) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/customers/").status_code == 401
        return sum("tenancy_apikey" in q["sql"] for q in queries.captured_queries)

    wrong = key_client("sb_wrong")
    assert key_lookups(APIClient()) == key_lookups(wrong) == 1


def test_last_used_at_is_recorded(key, api):
    assert key.api_key.last_used_at is None
    api.get(f"{API}/customers/")
    key.api_key.refresh_from_db()
    assert key.api_key.last_used_at is not None


def test_changes_are_recorded_as_api_calls_of_the_key(api, key, org):
    response = api.post(f"{API}/customers/", {"name": "New", "email": "n@new.test"}, format="json")
    assert response.status_code == 201
    label = f"key sb_{key.api_key.prefix}"
    created = Activity.objects.for_org(org).get(verb=Verb.CUSTOMER_CREATED)
    assert (created.actor_type, created.actor_label) == (ActorType.API_KEY, label)
    call = Activity.objects.for_org(org).get(verb=Verb.API_CALL)
    assert (call.actor_type, call.actor_label) == (ActorType.API_KEY, label)
    assert call.details == {"method": "POST", "path": f"{API}/customers/", "status": 201}
    assert key.raw not in str(call.details)


def test_reads_and_refusals_are_not_recorded_as_api_calls(api, org):
    api.get(f"{API}/customers/")
    api.post(f"{API}/customers/", {"name": ""}, format="json")
    assert not Activity.objects.for_org(org).filter(verb=Verb.API_CALL).exists()


def test_a_staff_session_works_for_its_current_business(owner, customer, foreign_customer):
    client = signed_in(owner)
    assert client.get(f"{API}/customers/{customer.pk}/").status_code == 200
    assert client.get(f"{API}/customers/{foreign_customer.pk}/").status_code == 404


def test_a_session_write_needs_the_csrf_token(owner, org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    body = {"name": "Via session", "email": "s@session.test"}
    refused = client.post(f"{API}/customers/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    token = _get_new_csrf_string()  # what the staff pages put in the csrftoken cookie
    client.cookies["csrftoken"] = token
    accepted = client.post(f"{API}/customers/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
    created = Activity.objects.for_org(org).get(verb=Verb.CUSTOMER_CREATED)
    assert (created.actor_type, created.actor_label) == (ActorType.STAFF, owner.email)


def test_a_signed_in_user_without_a_business_is_refused(db):
    client = signed_in(UserFactory())
    response = client.get(f"{API}/customers/")
    assert response.status_code == 403
    assert set(response.json()["error"]) == {"code", "message", "fields"}
