import pytest

from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def test_repro(api, customer):
    r = api.post(
        f"{API}/customers/{customer.pk}/portal-access/enable", {"email": "0@0.com"}, format="json"
    )
    print(r.status_code, r.content[:300])
