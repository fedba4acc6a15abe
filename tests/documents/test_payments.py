"""Recording payments: allocation to a customer's open invoices, receipts, and every way
the input can be wrong."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.documents import selectors
from solabooks.documents.models import Document, Payment, PaymentAllocation
from solabooks.documents.payments import record_payment
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db


def payment_post(customer, **fields) -> dict:
    data = {
        "customer": str(getattr(customer, "pk", customer)),
        "date": "2025-03-10",
        "amount": "330.00",
        "currency": "USD",
        "method": "bank_transfer",
        "reference": "TX-1",
    }
    data.update(fields)
    return data


def assert_no_payment(org) -> None:
    assert not Payment.objects.for_org(org).exists()
    assert not PaymentAllocation.objects.exists()
    assert not Document.objects.for_org(org).filter(amount_paid__gt=0).exists()


def test_choose_a_customer_first(owner_client, customer, foreign_customer):
    response = owner_client.get(reverse("payment-create"))
    html = response.content.decode()
    assert response.context["form"] is None
    assert "Jane&#x27;s Bakery" in html and "Elsewhere Co" not in html


def test_preselected_customer_lists_their_open_invoices_with_balances(
    owner_client, customer, other_customer
):
    sent = make_document(customer=customer, state="sent")
    make_document(customer=customer, state="void")
    make_document(customer=customer, state="paid")
    make_document(customer=other_customer, state="sent")
    make_document(customer=customer, kind="quote", state="sent")
    response = owner_client.get(reverse("payment-create"), {"customer": customer.pk})
    form = response.context["form"]
    assert [invoice for invoice, _ in form.allocation_rows] == [sent]
    html = response.content.decode()
    assert f'name="allocation_{sent.pk}"' in html
    assert "330.00 USD" in html


@pytest.mark.parametrize("value", ["foreign", "abc", "99999999", ""])
def test_preselecting_a_customer_not_ours_shows_no_payment_form(
    owner_client, foreign_customer, value
):
    make_document(customer=foreign_customer, state="sent")
    posted = foreign_customer.pk if value == "foreign" else value
    response = owner_client.get(reverse("payment-create"), {"customer": posted})
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "Elsewhere Co" not in response.content.decode()


def test_record_a_payment_allocated_to_two_invoices_with_a_receipt(
    owner_client, org, owner, customer
):
    first = make_document(customer=customer, state="sent")
    second = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"),
        payment_post(
            customer,
            amount="500",
            issue_receipt="on",
            **{f"allocation_{first.pk}": "330", f"allocation_{second.pk}": "100"},
        ),
    )
    payment = Payment.objects.for_org(org).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payment-detail", args=[payment.pk])
    assert (payment.amount, payment.date, payment.method) == (
        Decimal("500.00"), datetime.date(2025, 3, 10), "bank_transfer"
    )  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.amount_paid) == ("paid", Decimal("330"))
    assert (second.state, second.balance_due) == ("partially_paid", Decimal("230"))
    receipt = Document.objects.for_org(org).get(kind="receipt")
    assert receipt.payment == payment and receipt.number == "RCT-0001"
    assert receipt.total == Decimal("500.00")  # 430 allocated + 70 on account
    assert Activity.objects.filter(
        document=first, verb=Verb.PAYMENT_RECORDED, actor_user=owner
    ).exists()


def test_a_payment_on_account_without_allocations(owner_client, org, customer):
    response = owner_client.post(reverse("payment-create"), payment_post(customer, amount="50"))
    assert response.status_code == 302
    assert Payment.objects.for_org(org).get().allocations.count() == 0


def test_empty_and_zero_allocations_are_ignored(owner_client, org, customer):
    invoice = make_document(customer=customer, state="sent")
    other = make_document(customer=customer, state="sent")
    owner_client.post(
        reverse("payment-create"),
        payment_post(customer, **{f"allocation_{invoice.pk}": "", f"allocation_{other.pk}": "0"}),
    )
    assert Payment.objects.for_org(org).get().allocations.count() == 0


@pytest.mark.parametrize(
    "amount,message",
    [
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("ten", "Enter a number"),
        ("NaN", "Enter a number"),
        ("1e30", "digits"),
        ("", "required"),
        ("1" * 10_000, "at most 100 characters"),
    ],
)
def test_bad_amounts(owner_client, org, customer, amount, message):
    response = owner_client.post(reverse("payment-create"), payment_post(customer, amount=amount))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors["amount"])
    assert_no_payment(org)


def test_an_amount_that_rounds_to_nothing_is_refused(owner_client, org, customer):
    """0.001 USD is not an amount of money: refused beside the field, never rounded away."""
    response = owner_client.post(reverse("payment-create"), payment_post(customer, amount="0.001"))
    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [
        "USD amounts have at most 2 decimal places."
    ]
    assert_no_payment(org)


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"date": "2025-13-01"}, "date"),
        ({"date": ""}, "date"),
        ({"method": "bitcoin"}, "method"),
        ({"currency": "ZZZ"}, "currency"),
        ({"reference": "r" * 10_000}, "reference"),
    ],
)
def test_bad_fields(owner_client, org, customer, fields, field):
    response = owner_client.post(reverse("payment-create"), payment_post(customer, **fields))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert_no_payment(org)


def test_over_allocating_an_invoice_is_refused_next_to_it(owner_client, org, customer):
    invoice = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"),
        payment_post(customer, amount="1000", **{f"allocation_{invoice.pk}": "330.01"}),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors[f"allocation_{invoice.pk}"]
    assert "Only 330.00 USD is still due on INV-0001." in errors
    assert_no_payment(org)


def test_allocating_more_than_the_payment_is_refused(owner_client, org, customer):
    invoice = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"),
        payment_post(customer, amount="100", **{f"allocation_{invoice.pk}": "200"}),
    )
    assert "add up to more than the payment" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert_no_payment(org)


@pytest.mark.parametrize("value", ["-10", "abc", "1e30"])
def test_bad_allocation_amounts(owner_client, org, customer, value):
    invoice = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"), payment_post(customer, **{f"allocation_{invoice.pk}": value})
    )
    assert response.status_code == 200
    assert f"allocation_{invoice.pk}" in response.context["form"].errors
    assert_no_payment(org)


def test_allocating_to_another_customer_invoice_is_refused(
    owner_client, org, customer, other_customer
):
    theirs = make_document(customer=other_customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"), payment_post(customer, **{f"allocation_{theirs.pk}": "10"})
    )
    assert response.status_code == 200
    assert "only be allocated to this customer's open invoices" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert_no_payment(org)


def test_allocating_to_another_business_invoice_is_refused(
    owner_client, org, customer, foreign_customer
):
    theirs = make_document(customer=foreign_customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"), payment_post(customer, **{f"allocation_{theirs.pk}": "10"})
    )
    assert response.status_code == 200
    assert "only be allocated to this customer's open invoices" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert_no_payment(org)
    theirs.refresh_from_db()
    assert theirs.amount_paid == 0


def test_a_payment_for_another_business_customer_is_refused(owner_client, org, foreign_customer):
    response = owner_client.post(reverse("payment-create"), payment_post(foreign_customer))
    assert response.status_code == 200
    assert response.context["chooser"].errors["customer"] == ["Choose one of your customers."]
    assert not Payment.objects.exists()


def test_a_payment_in_another_currency_than_the_invoice_is_refused(owner_client, org, customer):
    invoice = make_document(customer=customer, state="sent")
    response = owner_client.post(
        reverse("payment-create"),
        payment_post(customer, currency="EUR", **{f"allocation_{invoice.pk}": "10"}),
    )
    assert response.status_code == 200
    assert "INV-0001 is in USD, not EUR." in " ".join(response.context["form"].non_field_errors())
    assert_no_payment(org)


def test_an_invoice_paid_meanwhile_is_refused_by_the_service(
    owner_client, org, customer, monkeypatch
):
    """The form checks the balance it read; the service checks again under the row lock."""
    invoice = make_document(customer=customer, state="sent")
    real = selectors.payable_invoices

    def read_then_paid_elsewhere(*, customer):
        rows = list(real(customer=customer))
        Document.objects.filter(pk=invoice.pk).update(
            amount_paid=Decimal("300"), state="partially_paid"
        )
        return rows

    monkeypatch.setattr(selectors, "payable_invoices", read_then_paid_elsewhere)
    response = owner_client.post(
        reverse("payment-create"), payment_post(customer, **{f"allocation_{invoice.pk}": "330"})
    )
    assert response.status_code == 200
    assert "more than the 30.00 still due" in " ".join(response.context["form"].non_field_errors())
    assert not Payment.objects.exists()


@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_records_payments(request, who, org, customer):
    response = request.getfixturevalue(who).post(reverse("payment-create"), payment_post(customer))
    assert response.status_code == 302
    assert Payment.objects.for_org(org).count() == 1


def _payment(customer, amount="100", allocations=()):
    return record_payment(
        organization=customer.organization,
        customer=customer,
        actor=Actor.system(),
        date=datetime.date(2025, 3, 1),
        amount=Decimal(amount),
        method="cash",
        allocations=list(allocations),
    )


def test_detail_shows_allocations_and_issues_a_receipt_once(owner_client, org, customer):
    invoice = make_document(customer=customer, state="sent")
    payment = _payment(customer, allocations=[(invoice, Decimal("100"))])
    url = reverse("payment-detail", args=[payment.pk])
    html = owner_client.get(url).content.decode()
    assert "INV-0001" in html and "Issue a receipt" in html
    response = owner_client.post(url)
    receipt = Document.objects.for_org(org).get(kind="receipt")
    assert response["Location"] == reverse("document-detail", args=[receipt.pk])
    assert receipt.payment == payment
    html = owner_client.get(url).content.decode()
    assert "Issue a receipt" not in html and receipt.number in html
    response = owner_client.post(url, follow=True)
    assert "already been issued" in response.content.decode()
    assert Document.objects.for_org(org).filter(kind="receipt").count() == 1


def test_list_filters_by_customer(owner_client, customer, other_customer, foreign_customer):
    _payment(customer, amount="111")
    _payment(other_customer, amount="222")
    _payment(foreign_customer, amount="333")
    html = owner_client.get(reverse("payment-list")).content.decode()
    assert "111.00" in html and "222.00" in html and "333.00" not in html
    html = owner_client.get(
        reverse("payment-list"), {"customer": other_customer.pk}
    ).content.decode()
    assert "222.00" in html and "111.00" not in html
    response = owner_client.get(reverse("payment-list"), {"customer": foreign_customer.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of your customers" in html and "333.00" not in html and "111.00" not in html


def test_list_pages_25_at_a_time(owner_client, customer):
    for _ in range(26):
        _payment(customer)
    response = owner_client.get(reverse("payment-list"), {"page": "2"})
    assert len(response.context["page"].object_list) == 1


def _bulk_payments(customers, count):
    organization = customers[0].organization
    Payment.objects.bulk_create(
        Payment(
            organization=organization,
            customer=customers[i % len(customers)],
            date=datetime.date(2025, 1, 1),
            amount=Decimal("10"),
            currency="USD",
            method="cash",
        )
        for i in range(count)
    )


def test_list_query_count_does_not_grow_with_rows(owner_client, org):
    customers = CustomerFactory.create_batch(5, organization=org)
    for customer in customers:  # some with allocations and receipts
        invoice = make_document(customer=customer, state="sent")
        _payment(customer, allocations=[(invoice, Decimal("10"))])
    url = reverse("payment-list")
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url)
    _bulk_payments(customers, 495)
    with CaptureQueriesContext(connection) as many:
        owner_client.get(url)
    assert len(few) == len(many)


def test_payment_detail_query_count_does_not_grow_with_allocations(owner_client, customer):
    invoices = [make_document(customer=customer, state="sent") for _ in range(6)]
    small = _payment(customer, allocations=[(invoices[0], Decimal("10"))])
    large = _payment(customer, amount="500", allocations=[(i, Decimal("10")) for i in invoices[1:]])
    owner_client.get(reverse("payment-detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse("payment-detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        owner_client.get(reverse("payment-detail", args=[large.pk]))
    assert len(few) == len(many)
