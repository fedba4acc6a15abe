"""Staff and API access to acceptance records, the decline reason, and "verify a file"."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from solabooks.activity.services import Actor
from solabooks.documents.acceptance import acceptance_file
from solabooks.documents.models import AcceptanceRecord
from solabooks.documents.quote_decisions import decide_quote
from tests.api.conftest import API, key_client, make_key
from tests.factories import make_document

pytestmark = pytest.mark.django_db

CUSTOMER = Actor(
    type="link", label="link #7", ip="203.0.113.9", user_agent="UA/1", extra={"link_id": 7}
)


def accepted_quote(customer, name: str = "Jane Baker"):
    quote = make_document(customer=customer, kind="quote", state="sent")
    decide_quote(
        document=quote,
        decision="accept",
        signer_name=name,
        reason="",
        seen_version=quote.content_version,
        actor=CUSTOMER,
    )
    return quote, AcceptanceRecord.objects.get(document=quote)


@pytest.fixture
def accepted(customer):
    return accepted_quote(customer)


@pytest.fixture
def foreign_accepted(foreign_customer):
    return accepted_quote(foreign_customer, name="Rival Signer")


def test_the_quote_page_shows_the_record_and_its_downloads(accepted, owner_client):
    quote, record = accepted
    page = owner_client.get(f"/finance/document/{quote.pk}/").content.decode()
    assert "Acceptance record" in page and "Jane Baker" in page
    assert record.pdf_sha256 in page
    assert "secure link #7" in page
    pdf = owner_client.get(f"/finance/document/{quote.pk}/acceptance.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == acceptance_file(record, "pdf")
    assert "attachment" in pdf["Content-Disposition"]
    certificate = owner_client.get(f"/finance/document/{quote.pk}/acceptance-certificate.pdf")
    assert certificate.content == acceptance_file(record, "certificate")


def test_a_declined_quote_shows_the_reason(customer, owner_client):
    quote = make_document(customer=customer, kind="quote", state="sent")
    decide_quote(
        document=quote,
        decision="decline",
        signer_name="",
        reason="Too expensive for us this year",
        seen_version=quote.content_version,
        actor=CUSTOMER,
    )
    page = owner_client.get(f"/finance/document/{quote.pk}/").content.decode()
    assert "Declined" in page and "Too expensive for us this year" in page


def test_other_businesses_cannot_reach_a_record(
    accepted, other_client, foreign_accepted, owner_client
):
    quote, _ = accepted
    for name in ("acceptance.pdf", "acceptance-certificate.pdf"):
        assert other_client.get(f"/finance/document/{quote.pk}/{name}").status_code == 404
    # And a quote without a record is a 404 too.
    open_quote = make_document(customer=quote.customer, kind="quote", state="sent")
    url = f"/finance/document/{open_quote.pk}/acceptance.pdf"
    assert owner_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(accepted, client):
    quote, _ = accepted
    response = client.get(f"/finance/document/{quote.pk}/acceptance.pdf")
    assert response.status_code == 302 and not response.content.startswith(b"%PDF")


def test_verify_a_file_matches_only_this_business(accepted, foreign_accepted, owner_client):
    quote, record = accepted
    _, foreign = foreign_accepted

    def verify(data: bytes):
        upload = SimpleUploadedFile("x.pdf", data, content_type="application/pdf")
        return owner_client.post("/finance/quotes/verify/", {"file": upload})

    assert owner_client.get("/finance/quotes/verify/").status_code == 200
    match = verify(acceptance_file(record, "pdf")).content.decode()
    assert "Match" in match and quote.number in match and record.pdf_sha256 in match
    changed = acceptance_file(record, "pdf") + b"\n"
    assert "No match" in verify(changed).content.decode()
    # Another business's accepted PDF is no match here, and nothing of it is revealed.
    other = verify(acceptance_file(foreign, "pdf")).content.decode()
    assert "No match" in other and "Rival Signer" not in other
    assert foreign.document.number not in other or foreign.document.number == quote.number
    assert foreign.pdf_sha256 not in other


def test_verify_refuses_an_oversized_file(owner_client, settings):
    from solabooks.documents import acceptance

    big = b"x" * (acceptance.MAX_VERIFY_BYTES + 1)
    upload = SimpleUploadedFile("big.pdf", big, content_type="application/pdf")
    response = owner_client.post("/finance/quotes/verify/", {"file": upload})
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert owner_client.post("/finance/quotes/verify/", {}).status_code == 400


def test_quote_terms_page_is_the_owners(owner_client, manager_client, org):
    assert manager_client.get("/finance/settings/quote-terms/").status_code == 403
    response = owner_client.post("/finance/settings/quote-terms/", {"text": "Net 30."})
    assert response.status_code == 302
    page = owner_client.get("/finance/settings/quote-terms/").content.decode()
    assert "Net 30." in page
    owner_client.post("/finance/settings/quote-terms/", {"text": ""})
    assert "Cleared" in owner_client.get("/finance/settings/quote-terms/").content.decode()


# --- API ---------------------------------------------------------------------------------


def test_api_acceptance_metadata_and_files(accepted, org, owner):
    quote, record = accepted
    api = key_client(make_key(org, owner).raw)
    answer = api.get(f"{API}/documents/{quote.pk}/acceptance")
    assert answer.status_code == 200
    data = answer.json()
    assert data["pdf_sha256"] == record.pdf_sha256
    assert data["signer_name"] == "Jane Baker" and data["channel"] == "link"
    assert data["content_version"] == quote.content_version
    assert data["ip"] == "203.0.113.9"
    pdf = api.get(f"{API}/documents/{quote.pk}/acceptance/pdf")
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.content).hexdigest() == record.pdf_sha256
    certificate = api.get(f"{API}/documents/{quote.pk}/acceptance/certificate")
    assert certificate.content == acceptance_file(record, "certificate")


def test_api_other_businesses_and_missing_records_are_404(
    accepted, foreign_accepted, org, owner, customer
):
    api = key_client(make_key(org, owner).raw)
    foreign_quote, _ = foreign_accepted
    open_quote = make_document(customer=customer, kind="quote", state="sent")
    for pk in (foreign_quote.pk, open_quote.pk, 999999):
        for suffix in ("", "/pdf", "/certificate"):
            response = api.get(f"{API}/documents/{pk}/acceptance{suffix}")
            assert response.status_code == 404, (pk, suffix)
            assert not response.content.startswith(b"%PDF")


def test_the_schema_documents_the_acceptance_endpoints():
    from solabooks.api.schema import openapi_schema

    schema = openapi_schema()
    paths = schema["paths"]
    assert "/finance/api/v1/documents/{id}/acceptance" in paths
    operation = paths["/finance/api/v1/documents/{id}/acceptance"]["get"]
    assert operation["operationId"] == "documents_acceptance"
    assert "404" in operation["responses"]
    assert "pdf_sha256" in str(schema["components"]["schemas"])
