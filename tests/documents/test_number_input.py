"""Numbers typed on the staff pages: the document editor's lines and the payment page.

Only ASCII digits with at most one decimal point (and a minus sign, which each field's own
rule then judges) are numbers; anything Python's Decimal() would also read ("1_000", "١٢",
"１２", "1e3", "NaN"…) is a form error on that field, never a 500, never stored.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.documents.models import Document, DocumentLine, Payment, PaymentAllocation
from tests.documents.helpers import LINE, document_post
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db

NOT_NUMBERS = [
    "1_000",
    "١٢",  # Arabic-Indic digits: Decimal() reads 12
    "１２",  # full-width digits
    "1e3",
    "1E-2",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1,000",
    "+12",
    "--1",
    "1.2.3",
    "12..5",
    ".",
    "-",
    "−12",  # U+2212 MINUS SIGN
    "\u00a012",  # no-break space
    "12\x003",
]
TOO_LONG = ["0" * 200 + "1", "1" + "0" * 100_000]
GRAMMAR_ERROR = "Enter a number using the digits 0-9"
LINE_FIELDS = ["quantity", "unit_price", "tax_rate"]


def create_invoice(client, customer, line: dict):
    return client.post(
        reverse("document-create", args=["invoice"]),
        document_post(customer=customer, lines=[line]),
    )


def field_errors(response, form_name: str, field: str, index: int | None = None) -> list[str]:
    form = response.context[form_name]
    if index is not None:
        form = form.forms[index]
    return form.errors.get(field, [])


@pytest.mark.parametrize("field", LINE_FIELDS)
@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_line_number_that_is_not_plain_is_a_form_error(owner_client, org, customer, field, value):
    response = create_invoice(owner_client, customer, {**LINE, field: value})
    assert response.status_code == 200
    errors = field_errors(response, "formset", field, 0)
    assert any(GRAMMAR_ERROR in e for e in errors), errors
    assert GRAMMAR_ERROR in response.content.decode()
    assert not Document.objects.for_org(org).exists()
    assert not DocumentLine.objects.exists()


@pytest.mark.parametrize("value", ["1_000", "١٢", "1e3", "NaN"])
def test_editing_a_document_refuses_them_too(owner_client, customer, value):
    document = make_document(customer=customer)
    response = owner_client.post(
        reverse("document-edit", args=[document.pk]),
        document_post(lines=[{**LINE, "unit_price": value}], due_date="2025-03-31"),
    )
    assert response.status_code == 200
    assert any(GRAMMAR_ERROR in e for e in field_errors(response, "formset", "unit_price", 0))
    document.refresh_from_db()
    assert document.content_version == 1
    assert document.lines.get().unit_price == Decimal("150.000")


@pytest.mark.parametrize(
    ("quantity", "unit_price", "tax_rate", "total"),
    [
        ("12.50", "2", "0", "25.00"),
        ("0.5", "10", "0", "5.00"),
        (".5", "10.", "10", "5.50"),  # ".5" and "10." are plain numbers too
        (" 2 ", "\t3.25\n", " 0 ", "6.50"),  # surrounding whitespace is stripped
        ("007", "1.000", "0", "7.00"),
    ],
)
def test_plain_numbers_make_the_line(owner_client, org, customer, quantity, unit_price, tax_rate,
                                     total):  # fmt: skip
    line = {**LINE, "quantity": quantity, "unit_price": unit_price, "tax_rate": tax_rate}
    response = create_invoice(owner_client, customer, line)
    assert response.status_code == 302, response.context["formset"].errors
    assert Document.objects.for_org(org).get().total == Decimal(total)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "-3", "The quantity must be greater than zero."),
        ("quantity", "-0.5", "The quantity must be greater than zero."),
        ("unit_price", "-3.25", "The unit price cannot be negative."),
        ("tax_rate", "-1", "A tax rate is a percentage from 0 to 100."),
    ],
)
def test_a_negative_number_gets_the_field_own_rule(owner_client, customer, field, value, message):
    """A minus sign is part of the grammar; whether a field takes negatives is its own rule,
    as before (none of the line fields does)."""
    response = create_invoice(owner_client, customer, {**LINE, field: value})
    assert field_errors(response, "formset", field, 0) == [message]


@pytest.mark.parametrize("value", TOO_LONG)
def test_a_very_long_number_is_a_form_error(owner_client, org, customer, value):
    # Leading zeros add no digits, so max_digits alone would let a megabyte of them through.
    for field in LINE_FIELDS:
        response = create_invoice(owner_client, customer, {**LINE, field: value})
        assert field_errors(response, "formset", field, 0) == [
            "Enter a number of at most 100 characters."
        ]
    response = owner_client.post(reverse("payment-create"), payment_post(customer, amount=value))
    assert field_errors(response, "form", "amount") == ["Enter a number of at most 100 characters."]
    assert not Document.objects.for_org(org).exists()
    assert_no_payment(org)


# --- The payment page --------------------------------------------------------------------


def payment_post(customer, **fields) -> dict:
    return {
        "customer": str(customer.pk),
        "date": "2025-03-10",
        "amount": "330.00",
        "currency": customer.currency,
        "method": "bank_transfer",
        "reference": "",
        **fields,
    }


def assert_no_payment(org) -> None:
    assert not Payment.objects.for_org(org).exists()
    assert not PaymentAllocation.objects.exists()
    assert not Document.objects.for_org(org).filter(amount_paid__gt=0).exists()


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_payment_amount_that_is_not_plain_is_a_form_error(owner_client, org, customer, value):
    response = owner_client.post(reverse("payment-create"), payment_post(customer, amount=value))
    assert response.status_code == 200
    assert any(GRAMMAR_ERROR in e for e in field_errors(response, "form", "amount"))
    assert GRAMMAR_ERROR in response.content.decode()
    assert_no_payment(org)


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_an_allocation_that_is_not_plain_is_a_form_error(owner_client, org, customer, value):
    invoice = make_document(customer=customer, state="sent")
    field = f"allocation_{invoice.pk}"
    response = owner_client.post(
        reverse("payment-create"), payment_post(customer, **{field: value})
    )
    assert response.status_code == 200
    assert any(GRAMMAR_ERROR in e for e in field_errors(response, "form", field))
    assert_no_payment(org)


@pytest.mark.parametrize(
    ("currency", "amount", "allocated", "paid"),
    [
        ("USD", "12.50", "12.5", "12.50"),
        ("USD", " 0.5 ", ".5", "0.50"),
        ("USD", "12.", "12.", "12"),
        ("JPY", "330", "330.", "330"),
        ("BHD", "1.234", "1.234", "1.234"),
    ],
)
def test_plain_amounts_record_the_payment(owner_client, org, currency, amount, allocated, paid):
    customer = CustomerFactory(organization=org, currency=currency)
    invoice = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"),
        payment_post(customer, amount=amount, **{f"allocation_{invoice.pk}": allocated}),
    )
    assert response.status_code == 302, response.context["form"].errors
    payment = Payment.objects.for_org(org).get()
    assert payment.amount == Decimal(paid) and payment.currency == currency
    assert payment.allocations.get().amount == Decimal(paid)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-5", "Enter an amount greater than zero."),
        ("allocation", "-5", "Enter an amount greater than zero."),
    ],
)
def test_a_negative_payment_amount_gets_the_field_own_rule(owner_client, org, customer, field,
                                                           value, message):  # fmt: skip
    invoice = make_document(customer=customer, state="sent")
    name = f"allocation_{invoice.pk}" if field == "allocation" else "amount"
    response = owner_client.post(reverse("payment-create"), payment_post(customer, **{name: value}))
    assert field_errors(response, "form", name) == [message]
    assert_no_payment(org)
