"""The signed-in customer's pages: scoped to them, read-only, paged, recorded, and a fixed
number of queries whatever the number of documents."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.documents.models import Document, Payment
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, update_document
from solabooks.portal.services import enable_portal_access
from tests.factories import CustomerFactory, make_document

from .conftest import DASHBOARD

pytestmark = pytest.mark.django_db

BASE = "/finance/customer-portal"


def doc_url(document, suffix: str = "") -> str:
    return f"{BASE}/documents/{document.pk}/{suffix}"


def pay(invoice, amount=None, **kwargs):
    return record_payment(
        organization=invoice.organization,
        customer=invoice.customer,
        actor=Actor.system(),
        date=timezone.localdate(),
        amount=amount or invoice.total,
        method="bank_transfer",
        allocations=[(invoice, amount or invoice.total)],
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _fake_pdf(monkeypatch):
    """PDF rendering belongs to the pdf app (tested there); here only the bytes matter."""
    import solabooks.pdf.services as pdf

    monkeypatch.setattr(
        pdf, "document_pdf", lambda *, document: b"%PDF-1.7 " + document.number.encode()
    )


# --- Dashboard -----------------------------------------------------------------------------


def test_dashboard_shows_open_and_overdue_balance_per_currency(portal, customer):
    today = timezone.localdate()
    overdue = make_document(
        customer=customer,
        state="sent",
        issue_date=today - datetime.timedelta(days=60),
        due_date=today - datetime.timedelta(days=30),
    )
    make_document(customer=customer, state="sent")  # open, not yet due
    make_document(customer=customer, state="sent", currency="EUR")
    make_document(customer=customer)  # a draft: never shown to the customer
    page = portal.get(DASHBOARD).content.decode()
    assert "Open balance (USD)" in page and "660.00 USD" in page
    assert f"{overdue.total:.2f} USD overdue" in page
    assert "Open balance (EUR)" in page and "330.00 EUR" in page


def test_dashboard_recent_activity_is_about_the_customers_documents_only(
    portal, customer, other_customer, owner
):
    invoice = make_document(customer=customer, state="sent")
    pay(invoice)
    make_document(customer=other_customer, state="sent")
    staff = Actor(type="staff", user=owner, label=owner.email, ip="10.1.2.3")
    draft = make_document(customer=customer, actor=staff)
    page = portal.get(DASHBOARD).content.decode()
    assert "Payment of 330.00 USD received" in page and invoice.number in page
    assert draft.number not in page
    assert owner.email not in page and "10.1.2.3" not in page  # nothing about the staff


def test_dashboard_recent_activity_speaks_the_customers_words(portal, customer):
    """Not the staff log's "Status changed": what happened, as the customer sees it."""
    from solabooks.documents.services import transition_document
    from solabooks.sharing.services import send_document

    order = make_document(customer=customer, kind="sales_order")
    send_document(document=order, actor=Actor.system())
    transition_document(document=order, action="fulfil", actor=Actor.system())
    quote = make_document(customer=customer, kind="quote")
    transition_document(document=quote, action="mark_sent", actor=Actor.system())
    transition_document(document=quote, action="mark_accepted", actor=Actor.system())
    big = make_document(
        customer=customer, state="sent", lines=[LineInput("Fit-out", Decimal("1"), Decimal("1150"))]
    )
    pay(big)
    page = portal.get(DASHBOARD).content.decode()
    assert "Payment of 1,150.00 USD received" in page
    assert "Status changed" not in page
    assert "Sent to you" in page
    assert "Now fulfilled" in page
    assert "Now accepted" in page


def test_a_reassigned_documents_history_leaves_with_it(portal, customer, other_customer):
    from solabooks.documents.services import reassign_document, transition_document

    invoice = make_document(customer=customer)
    transition_document(document=invoice, action="mark_sent", actor=Actor.system())
    reassign_document(document=invoice, new_customer=other_customer, actor=Actor.system())
    page = portal.get(DASHBOARD).content.decode()
    assert invoice.number not in page
    assert portal.get(doc_url(invoice)).status_code == 404


# --- Lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "states"),
    [
        ("invoices", "invoice", ["sent", "paid", "void"]),
        ("quotes", "quote", ["sent", "accepted", "declined"]),
        ("orders", "sales_order", ["confirmed", "fulfilled", "cancelled"]),
    ],
)
def test_lists_show_the_customers_non_draft_documents_with_a_status_filter(
    portal, customer, other_customer, url, kind, states
):
    mine = {state: make_document(customer=customer, kind=kind, state=state) for state in states}
    draft = make_document(customer=customer, kind=kind)
    theirs = make_document(customer=other_customer, kind=kind, state=states[0])
    page = portal.get(f"{BASE}/{url}/").content.decode()
    for document in mine.values():
        assert document.number in page
    assert draft.number not in page
    assert f'href="{doc_url(theirs)}"' not in page
    filtered = portal.get(f"{BASE}/{url}/", {"status": states[1]}).content.decode()
    assert mine[states[1]].number in filtered
    assert mine[states[0]].number not in filtered
    # Draft is not a status a customer can ask for; junk falls back to all.
    for junk in ["draft", "x" * 5000, "' OR 1=1 --"]:
        response = portal.get(f"{BASE}/{url}/", {"status": junk})
        assert response.status_code == 200
        assert draft.number not in response.content.decode()


def make_many_invoices(customer, count: int, start: int = 1000) -> None:
    """Sent invoices straight into the table: only the list's cost matters here."""
    today = timezone.localdate()
    Document.objects.bulk_create(
        [
            Document(
                organization=customer.organization,
                customer=customer,
                kind="invoice",
                number=f"INV-{start + n:05d}",
                sequence=start + n,
                state="sent",
                issue_date=today,
                due_date=today - datetime.timedelta(days=n % 3),
                currency="USD",
                subtotal=Decimal("100"),
                total=Decimal("100"),
            )
            for n in range(count)
        ]
    )


def test_lists_page_by_25(portal, customer):
    make_many_invoices(customer, 60)
    first = portal.get(f"{BASE}/invoices/").content.decode()
    assert first.count(f'href="{BASE}/documents/') == 25
    assert "Page 1 of 3" in first
    last = portal.get(f"{BASE}/invoices/", {"page": 3}).content.decode()
    assert last.count(f'href="{BASE}/documents/') == 10
    for junk in ["abc", "0", "-4", "99999", "9" * 5000]:
        assert portal.get(f"{BASE}/invoices/", {"page": junk}).status_code == 200


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) <= 8, [q["sql"] for q in queries]
    return len(queries)


@pytest.mark.parametrize("url", ["", "invoices/", "invoices/?status=sent&page=2", "payments/"])
def test_lists_and_dashboard_cost_a_fixed_number_of_queries(portal, customer, url):
    make_many_invoices(customer, 30, start=1000)
    for invoice in Document.objects.for_customer(customer)[:5]:
        pay(invoice, issue_receipt=True)
    few = count_queries(portal, f"{BASE}/{url}")
    make_many_invoices(customer, 500, start=5000)
    for invoice in Document.objects.for_customer(customer).filter(state="sent")[:20]:
        pay(invoice, issue_receipt=True)
    many = count_queries(portal, f"{BASE}/{url}")
    assert few == many, (few, many)


def test_payments_list_and_detail(portal, customer, other_customer):
    invoice = make_document(customer=customer, state="sent")
    payment = pay(invoice, issue_receipt=True, reference="BANK-77")
    theirs = pay(make_document(customer=other_customer, state="sent"), reference="THEIRS-1")
    page = portal.get(f"{BASE}/payments/").content.decode()
    assert "BANK-77" in page and "THEIRS-1" not in page
    assert payment.receipt.number in page
    detail = portal.get(f"{BASE}/payments/{payment.pk}/").content.decode()
    assert invoice.number in detail and "BANK-77" in detail
    assert portal.get(f"{BASE}/payments/{theirs.pk}/").status_code == 404
    assert (
        portal.get(f"{BASE}/payments/", {"method": "card"}).content.decode().count("BANK-77") == 0
    )
    viewed = Activity.objects.for_customer(customer).get(verb=Verb.VIEWED, document=None)
    assert viewed.details["payment_id"] == payment.pk and viewed.actor_type == "portal"
    # The receipt opens as a document of theirs.
    assert portal.get(doc_url(payment.receipt)).status_code == 200


# --- Details, PDFs, activity ---------------------------------------------------------------


def test_a_document_page_renders_the_shared_body_and_records_the_view(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    response = portal.get(
        doc_url(invoice), HTTP_USER_AGENT="Firefox/123", REMOTE_ADDR="198.51.100.61"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="document-sheet"' in page and invoice.number in page
    assert "Download PDF" in page and f'href="{doc_url(invoice, "pdf/")}"' in page
    assert "Accept" not in page
    viewed = Activity.objects.get(document=invoice, verb=Verb.VIEWED)
    assert viewed.actor_type == "portal" and viewed.actor_label == "jane@bakery.test"
    assert viewed.ip == "198.51.100.61" and viewed.user_agent == "Firefox/123"
    invoice.refresh_from_db()
    assert invoice.viewed_at is not None


def test_portal_pages_are_never_cached_or_framed(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    for url in [DASHBOARD, f"{BASE}/invoices/", doc_url(invoice), doc_url(invoice, "pdf/")]:
        response = portal.get(url)
        assert response["Cache-Control"] == "no-store"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


def test_download_pdf_is_recorded(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    response = portal.get(doc_url(invoice, "pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    download = Activity.objects.get(document=invoice, verb=Verb.PDF_DOWNLOADED)
    assert download.actor_type == "portal" and download.actor_label == "jane@bakery.test"


def test_the_portal_is_read_only(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    for url in [
        DASHBOARD,
        f"{BASE}/invoices/",
        f"{BASE}/payments/",
        doc_url(invoice),
        doc_url(invoice, "pdf/"),
    ]:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(portal, method)(url, {"comment": "hello"})
            assert response.status_code == 405, (method, url)


# --- Quotes --------------------------------------------------------------------------------


def decide(client, quote, decision="accept", **data):
    """Post what the page's form posts: `op` and the fields prefixed by the decision."""
    fields = {"version": quote.content_version, **data}
    payload = {"op": decision, **{f"{decision}-{name}": value for name, value in fields.items()}}
    return client.post(doc_url(quote, "decision/"), payload, follow=True)


def test_accept_a_sent_quote(portal, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    page = portal.get(doc_url(quote)).content.decode()
    assert "Accept quote" in page and "Decline quote" in page
    response = decide(portal, quote, signer_name="Jane Baker")
    assert "is accepted" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == "accepted"
    accepted = Activity.objects.get(document=quote, verb=Verb.QUOTE_ACCEPTED)
    assert accepted.actor_type == "portal" and accepted.details["signer_name"] == "Jane Baker"
    assert accepted.details["version"] == quote.content_version
    # Final: a second decision is refused, and no more buttons.
    response = decide(portal, quote, decision="decline")
    assert "the decision is final" in response.content.decode()
    assert "Accept quote" not in portal.get(doc_url(quote)).content.decode()


def test_the_portal_posts_the_same_decision_form_as_the_quote_link(portal, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    page = portal.get(doc_url(quote)).content.decode()
    for name in ("accept-signer_name", "decline-reason"):
        assert f'name="{name}"' in page
    for decision in ("accept", "decline"):
        assert f'name="op" value="{decision}"' in page
        assert f'name="{decision}-version" value="{quote.content_version}"' in page


def test_decline_a_sent_quote_with_a_reason(portal, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    decide(portal, quote, decision="decline", reason="Too expensive")
    quote.refresh_from_db()
    assert quote.state == "declined"
    assert (
        Activity.objects.get(document=quote, verb=Verb.QUOTE_DECLINED).details["reason"]
        == "Too expensive"
    )


def test_a_quote_decision_follows_the_same_rules_as_the_link(portal, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    assert "type your full name" in decide(portal, quote, signer_name="  ").content.decode()
    stale = quote.content_version
    update_document(
        document=quote,
        actor=Actor.system(),
        lines=[LineInput("Changed", Decimal("1"), Decimal("999"))],
        issue_date=quote.issue_date,
        valid_until=quote.valid_until,
    )
    response = portal.post(
        doc_url(quote, "decision/"),
        {"op": "accept", "accept-signer_name": "Jane", "accept-version": stale},
        follow=True,
    )
    assert "changed since you opened it" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == "sent"


@pytest.mark.parametrize(
    "data",
    [
        {"op": "approve", "approve-version": 1},
        {"op": "accept", "accept-version": "abc", "accept-signer_name": "J"},
        {"op": "accept", "accept-version": "9" * 50, "accept-signer_name": "J"},
        {"op": "accept", "accept-version": 1, "accept-signer_name": "J" * 201},
        {"op": "decline", "decline-version": 1, "decline-reason": "r" * 1001},
        # The portal's field names before the link and the portal shared one form.
        {"decision": "accept", "seen_version": 1, "signer_name": "J"},
        {},
    ],
)
def test_malformed_decisions_change_nothing(portal, customer, data):
    quote = make_document(customer=customer, kind="quote", state="sent")
    response = portal.post(doc_url(quote, "decision/"), data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "sent"


def test_an_invoice_cannot_be_decided(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    decide(portal, invoice, signer_name="Jane")
    invoice.refresh_from_db()
    assert invoice.state == "sent"


# --- Scoping: nothing of anyone else, by any id --------------------------------------------


@pytest.fixture
def strangers_rows(other_customer, foreign_customer):
    """Documents of every kind and payments of another customer of Acme and of Rival's."""
    rows = []
    for owner in (other_customer, foreign_customer):
        invoice = make_document(customer=owner, state="sent")
        payment = pay(invoice, issue_receipt=True)
        rows += [
            invoice,
            make_document(customer=owner, kind="quote", state="sent"),
            make_document(customer=owner, kind="sales_order", state="confirmed"),
            payment.receipt,
            payment,
        ]
    return rows


def test_every_portal_url_with_someone_elses_id_is_not_found(portal, customer, strangers_rows):
    for row in strangers_rows:
        if isinstance(row, Payment):
            assert portal.get(f"{BASE}/payments/{row.pk}/").status_code == 404
            continue
        assert portal.get(doc_url(row)).status_code == 404
        assert portal.get(doc_url(row, "pdf/")).status_code == 404
        response = portal.post(
            doc_url(row, "decision/"),
            {
                "op": "accept",
                "accept-signer_name": "Mallory",
                "accept-version": row.content_version,
            },
        )
        assert response.status_code == 404
        row.refresh_from_db()
        assert row.state != "accepted"
    # Nothing was recorded against their documents either.
    assert not Activity.objects.filter(
        actor_type="portal", document__in=[r for r in strangers_rows if isinstance(r, Document)]
    ).exists()


def test_own_drafts_and_made_up_ids_are_not_found(portal, customer):
    draft = make_document(customer=customer)
    assert portal.get(doc_url(draft)).status_code == 404
    assert portal.get(doc_url(draft, "pdf/")).status_code == 404
    for pk in [0, 999999, 2**63 - 1]:
        assert portal.get(f"{BASE}/documents/{pk}/").status_code == 404
        assert portal.get(f"{BASE}/payments/{pk}/").status_code == 404
    assert portal.get(f"{BASE}/documents/abc/").status_code == 404
    assert portal.get(f"{BASE}/documents/{'9' * 40}/").status_code == 404


def test_query_parameters_cannot_widen_the_scope(
    portal, customer, other_customer, foreign_customer
):
    theirs = make_document(customer=other_customer, state="sent")
    foreign = make_document(customer=foreign_customer, state="sent")
    for params in [
        {"customer": other_customer.pk},
        {"customer_id": other_customer.pk},
        {"organization": foreign_customer.organization_id},
        {"kind": "quote"},
    ]:
        page = portal.get(f"{BASE}/invoices/", params).content.decode()
        assert f'href="{doc_url(theirs)}"' not in page
        assert f'href="{doc_url(foreign)}"' not in page


def test_same_email_at_two_customers_of_one_business_sees_one_at_a_time(
    set_up, customer, org, staff_actor
):
    twin = CustomerFactory(organization=org, email="jane@bakery.test", name="Jane's Second Shop")
    client = set_up(customer)
    enable_portal_access(customer=twin, confirmed_email=twin.email, actor=staff_actor)
    mine = make_document(customer=customer, state="sent")
    twins = make_document(customer=twin, state="sent")
    # The session stays with the customer it entered as.
    assert client.get(doc_url(mine)).status_code == 200
    assert client.get(doc_url(twins)).status_code == 404
    client.post(f"{BASE}/choose/", {"access": twin.portal_access.pk})
    assert client.get(doc_url(twins)).status_code == 200
    assert client.get(doc_url(mine)).status_code == 404
