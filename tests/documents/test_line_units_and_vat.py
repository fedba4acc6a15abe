"""The editor's per-line unit, VAT category and exemption reason: the category follows the
rate unless staff choose exempt, reverse charge or not subject; each wrong combination is a
sentence beside the field; an edit shows the stored choice back; the printed document shows
the unit after the quantity, a VAT breakdown and how to pay."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from solabooks.documents.lines import tax_breakdown
from solabooks.documents.models import Document
from solabooks.documents.services import LineInput
from solabooks.pdf import services as pdf_services
from tests.documents.helpers import LINE, document_post
from tests.factories import make_document, make_einvoice_ready

pytestmark = pytest.mark.django_db

EXEMPT = {
    "description": "Training",
    "quantity": "1",
    "unit_price": "300",
    "tax_rate": "0",
    "tax_category": "E",
    "tax_exemption_reason": "Article 132(1)(i) Directive 2006/112/EC",
}


def create(client, customer, lines):
    return client.post(
        reverse("document-create", args=["invoice"]), document_post(customer=customer, lines=lines)
    )


def test_the_editor_offers_unit_category_and_reason(owner_client, customer):
    html = owner_client.get(reverse("document-create", args=["invoice"])).content.decode()
    assert 'name="lines-0-unit_code"' in html and '<option value="HUR">Hour</option>' in html
    assert '<option value="C62" selected>Unit</option>' in html
    assert 'name="lines-0-tax_category"' in html
    assert '<option value="" selected>By rate</option>' in html
    assert 'name="lines-0-tax_exemption_reason"' in html
    # The "Add line" template has them too.
    assert 'name="lines-__prefix__-tax_category"' in html


def test_the_category_follows_the_rate_unless_chosen(owner_client, org, customer):
    lines = [
        {**LINE, "unit_code": "HUR"},
        {"description": "Postage", "quantity": "1", "unit_price": "5", "tax_rate": "0"},
        EXEMPT,
        {**LINE, "description": "Abroad", "tax_rate": "0", "tax_category": "AE"},
    ]
    assert create(owner_client, customer, lines).status_code == 302
    saved = Document.objects.for_org(org).get().lines.all()
    assert [line.tax_category for line in saved] == ["S", "Z", "E", "AE"]
    assert [line.unit_code for line in saved] == ["HUR", "C62", "C62", "C62"]
    assert saved[2].tax_exemption_reason == EXEMPT["tax_exemption_reason"]


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        ({**EXEMPT, "tax_exemption_reason": ""}, "tax_exemption_reason", "Say why"),
        ({**EXEMPT, "tax_rate": "7"}, "tax_rate", "taxed at 0%"),
        ({**LINE, "tax_rate": "0", "tax_category": "S"}, "tax_rate", "above 0%"),
        ({**LINE, "tax_exemption_reason": "Because"}, "tax_exemption_reason", "Only exempt"),
        ({**LINE, "unit_code": "FOO"}, "unit_code", "Choose a unit"),
        ({**LINE, "tax_category": "XX"}, "tax_category", "Choose a VAT category"),
        ({**EXEMPT, "tax_exemption_reason": "x" * 201}, "tax_exemption_reason", "at most 200"),
    ],
)
def test_a_wrong_combination_is_an_error_beside_its_field(
    owner_client, org, customer, line, field, says
):
    response = create(owner_client, customer, [line])
    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert field in form.errors, form.errors
    assert says in " ".join(form.errors[field])
    assert not Document.objects.for_org(org).exists()


def test_exempt_lines_of_one_document_share_one_reason(owner_client, org, customer):
    other = {**EXEMPT, "tax_exemption_reason": "Another reason"}
    response = create(owner_client, customer, [EXEMPT, other])
    assert response.status_code == 200
    assert "share one exemption reason" in response.content.decode()
    assert not Document.objects.for_org(org).exists()


def test_an_edit_shows_the_stored_choices_and_keeps_them(owner_client, customer):
    document = make_document(
        customer=customer,
        lines=[
            LineInput("Design", Decimal("3"), Decimal("100"), Decimal("20"), unit_code="HUR"),
            LineInput("Course", Decimal("1"), Decimal("50"), Decimal("0"), "E", "Art. 132"),
        ],
    )
    url = reverse("document-edit", args=[document.pk])
    formset = owner_client.get(url).context["formset"]
    assert [f.initial["tax_category"] for f in formset.initial_forms] == ["", "E"]  # "" = by rate
    assert [f.initial["unit_code"] for f in formset.initial_forms] == ["HUR", "C62"]
    # Only the rate changes: the line stays "by rate" and becomes zero rated, valid.
    lines = [
        {"description": "Design", "quantity": "3", "unit_price": "100", "tax_rate": "0",
         "unit_code": "HUR", "tax_category": ""},
        {"description": "Course", "quantity": "1", "unit_price": "50", "tax_rate": "0",
         "tax_category": "E", "tax_exemption_reason": "Art. 132"},
    ]  # fmt: skip
    response = owner_client.post(url, document_post(lines=lines, issue_date="2025-03-01"))
    assert response.status_code == 302
    assert [line.tax_category for line in document.lines.all()] == ["Z", "E"]


# --- The printed document ----------------------------------------------------------------


def body_html(document) -> str:
    document = Document.objects.select_related("organization", "customer").get(pk=document.pk)
    return render_to_string(
        "documents/_document_body.html",
        {"document": document, "organization": document.organization, "lines": document.lines.all()},
    )  # fmt: skip


def test_addresses_ids_and_references_are_printed(org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    html = body_html(make_document(customer=customer))
    assert "Hauptstraße 1<br>10115 Berlin<br>Germany" in html
    assert "Acme Trading GmbH" in html  # the legal name differs from "Acme Ltd"
    assert "VAT ID DE136695976" in html and "Registration no. <bdi>HRB 12345</bdi>" in html
    assert "1 rue de Rivoli<br>75001 Paris<br>France" in html
    assert "VAT ID FR40303265045" in html
    assert "Your reference: <bdi>PO-4711</bdi>" in html


def test_the_legal_name_is_not_repeated_when_it_is_the_name(org, customer):
    type(org).objects.filter(pk=org.pk).update(legal_name=org.name)
    html = body_html(make_document(customer=customer))
    assert html.count("Acme Ltd") == 1


def test_a_unit_follows_the_quantity_except_a_plain_count(customer):
    document = make_document(
        customer=customer,
        lines=[
            LineInput("Design", Decimal("3"), Decimal("100"), Decimal("20"), unit_code="HUR"),
            LineInput("Cable", Decimal("2"), Decimal("5"), Decimal("20")),
        ],
    )
    html = body_html(document)
    assert 'data-label="Qty">3 h</td>' in html
    assert 'data-label="Qty">2</td>' in html


def test_one_standard_rate_prints_no_breakdown(customer):
    assert "VAT breakdown" not in body_html(make_document(customer=customer))


def test_rates_and_categories_print_a_breakdown_that_adds_up(customer):
    document = make_document(
        customer=customer,
        lines=[
            LineInput("A", Decimal("3"), Decimal("33.33"), Decimal("20")),
            LineInput("B", Decimal("1"), Decimal("10.01"), Decimal("7")),
            LineInput("C", Decimal("1"), Decimal("50"), Decimal("0"), "E", "Art. 132"),
        ],
    )
    html = body_html(document)
    assert "VAT breakdown" in html
    assert "Exempt" in html and "Art. 132" in html and "Standard rate" in html
    groups = tax_breakdown(document.lines.all(), document.currency)
    assert sum(group.tax for group in groups) == document.tax_total
    for group in groups:
        assert f"{group.tax:.2f}" in html


def test_a_zero_rated_document_prints_its_category(customer):
    html = body_html(
        make_document(customer=customer, lines=[LineInput("A", Decimal("1"), Decimal("5"))])
    )
    assert "VAT breakdown" in html and "Zero rated" in html


def test_an_invoice_with_an_iban_says_how_to_pay(org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    invoice = make_document(customer=customer)
    assert (
        'Pay by bank transfer to IBAN <span class="nowrap">DE89 3704 0044 0532 0130 00</span> '
        f"(BIC DEUTDEFF), reference {invoice.number}." in body_html(invoice)
    )
    quote = make_document(customer=customer, kind="quote")
    assert "Pay by bank transfer" not in body_html(quote)
    type(org).objects.filter(pk=org.pk).update(iban="", bic="")
    assert "Pay by bank transfer" not in body_html(invoice)


def test_the_pdf_template_version_moved_with_the_template():
    # Cached PDFs printed before addresses, units and the breakdown are rendered anew.
    assert pdf_services.TEMPLATE_VERSION >= 5
