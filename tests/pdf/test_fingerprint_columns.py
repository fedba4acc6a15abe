"""A link's cached PDF costs no query for its fingerprint: the link's one query reads every
column pdf_fingerprint names (FINGERPRINT_COLUMNS). A column added to the fingerprint but
not to the link's query would cost a query per column on every download (16 did, for a
while: the cached PDF fell from 0.57x to 0.09x of the bare endpoint)."""

import pytest

from solabooks.activity.services import Actor
from solabooks.pdf.services import pdf_cache_path, pdf_fingerprint
from solabooks.sharing.selectors import find_document_link
from solabooks.sharing.services import issue_link
from tests.factories import make_document, make_einvoice_ready

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("einvoice", [False, True], ids=["plain", "einvoice"])
def test_a_links_document_has_every_column_the_fingerprint_reads(
    org, customer, django_assert_num_queries, einvoice
):
    if einvoice:
        make_einvoice_ready(organization=org, customers=[customer])
    invoice = make_document(customer=customer, state="sent")
    token = issue_link(document=invoice, actor=Actor.system()).raw_token
    access = find_document_link(raw_token=token, prefix="i")
    with django_assert_num_queries(0):
        lean = (pdf_fingerprint(access.document), pdf_cache_path(access.document))
    invoice.refresh_from_db()
    assert lean == (pdf_fingerprint(invoice), pdf_cache_path(invoice))
