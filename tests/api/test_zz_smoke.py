import pytest
pytestmark = pytest.mark.django_db

from tests.api.conftest import API
from tests.factories import make_document

def test_smoke(api, customer, org):
    r = api.get(f"{API}/customers/")
    print(r.status_code, r.json())
    r = api.post(f"{API}/customers/", {"name": "X", "email": "x@y.test"}, format="json")
    print(r.status_code, r.json())
    doc = make_document(customer=customer)
    r = api.get(f"{API}/documents/{doc.pk}/")
    print(r.status_code, r.json())
    r = api.post(f"{API}/documents/{doc.pk}/send", {"expires_in": "PT48H"}, format="json")
    print(r.status_code, r.json())
    r = api.get(f"{API}/documents/{doc.pk}/activity/")
    print(r.status_code, r.json())
    r = api.post(f"{API}/documents/", {"kind": "invoice", "customer": customer.pk, "lines": [{"description": "a", "quantity": "1", "unit_price": "2"}]}, format="json")
    print(r.status_code, r.json())
    r = api.post(f"{API}/documents/", {"kind": "invoice", "customer": 99999, "lines": [{"description": "", "quantity": "x", "unit_price": "2"}]}, format="json")
    print(r.status_code, r.json())
    r = api.get(f"{API}/nope")
    print(r.status_code, r.content)
    r = api.get(f"/finance/api/docs/")
    print(r.status_code, len(r.content))
