"""SPEC 3, checked exhaustively through the services: every state of every kind against
every action, payments moving invoice states, rounding in currencies with 0 and 3 decimals,
receipts, conversion and re-assignment."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError, InvalidTransition
from solabooks.documents.models import STATES_BY_KIND, Document
from solabooks.documents.payments import issue_receipt_for_payment, record_payment
from solabooks.documents.services import (
    LineInput,
    convert_quote,
    reassign_document,
    transition_document,
)
from solabooks.documents.states import TRANSITIONS, available_actions
from tests.confirming import CONFIRMED
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()

# SPEC 3, written out: (kind, from state, action) -> to state. Everything else is refused.
SPEC_TRANSITIONS = {
    ("invoice", "draft", "mark_sent"): "sent",
    ("invoice", "draft", "void"): "void",
    ("invoice", "sent", "void"): "void",
    ("quote", "draft", "mark_sent"): "sent",
    ("quote", "sent", "mark_accepted"): "accepted",
    ("quote", "sent", "mark_declined"): "declined",
    ("quote", "sent", "mark_expired"): "expired",
    ("sales_order", "draft", "confirm"): "confirmed",
    ("sales_order", "confirmed", "fulfil"): "fulfilled",
    ("sales_order", "draft", "cancel"): "cancelled",
    ("sales_order", "confirmed", "cancel"): "cancelled",
}
ALL_ACTIONS = sorted({a for actions in TRANSITIONS.values() for a in actions} | {"pay", ""})
CASES = [
    (kind.value, state.value, action)
    for kind, states in STATES_BY_KIND.items()
    for state, action in itertools.product(states, ALL_ACTIONS)
]


def test_spec_3_states_per_kind():
    assert {k.value: [s.value for s in v] for k, v in STATES_BY_KIND.items()} == {
        "invoice": ["draft", "sent", "partially_paid", "paid", "void"],
        "quote": ["draft", "sent", "accepted", "declined", "expired"],
        "sales_order": ["draft", "confirmed", "fulfilled", "cancelled"],
        "receipt": ["issued"],
        "credit_note": ["issued"],
    }


@pytest.mark.parametrize("kind,state,action", CASES, ids=["-".join(c) or "none" for c in CASES])
def test_every_transition_is_allowed_or_refused_as_spec_3_says(customer, kind, state, action):
    document = make_document(customer=customer, kind=kind, state=state)
    before = Activity.objects.filter(document=document).count()
    expected = SPEC_TRANSITIONS.get((kind, state, action))
    offered = dict(available_actions(document))
    if expected is None:
        assert action not in offered
        with pytest.raises(InvalidTransition) as refused:
            transition_document(document=document, action=action, actor=SYSTEM)
        assert refused.value.message  # a sentence for the user, not a code
        document.refresh_from_db()
        assert document.state == state
        assert Activity.objects.filter(document=document).count() == before
    else:
        assert action in offered
        changed = transition_document(document=document, action=action, actor=SYSTEM)
        assert changed.state == expected
        assert Document.objects.get(pk=document.pk).state == expected
        verb = TRANSITIONS[kind][action].verb
        latest = Activity.objects.filter(document=document, verb=verb).latest("pk")
        assert latest.details == {"from": state, "to": expected}
        # Voiding a sent invoice also issues its credit note (a draft's void none).
        credited = changed.derived_documents.filter(kind="credit_note").count()
        assert credited == (1 if (kind, state, action) == ("invoice", "sent", "void") else 0)


def test_refusals_name_the_document_and_its_state(customer):
    invoice = make_document(customer=customer, state="paid")
    with pytest.raises(InvalidTransition, match=r"INV-0001 is paid; it cannot be moved to void"):
        transition_document(document=invoice, action="void", actor=SYSTEM)


def test_the_page_turns_a_refused_transition_into_a_message(owner_client, customer):
    invoice = make_document(customer=customer, state="paid")
    response = owner_client.post(
        reverse("document-transition", args=[invoice.pk]),
        {"action": "void", **CONFIRMED},
        follow=True,
    )
    assert response.status_code == 200
    assert "cannot be moved to void" in response.content.decode()


# Payments ---------------------------------------------------------------------------------


def invoice_of(customer, *prices, currency=None, state="sent"):
    lines = [LineInput(f"Item {i}", Decimal("1"), Decimal(p)) for i, p in enumerate(prices)]
    return make_document(customer=customer, lines=lines, state=state, currency=currency)


def pay(customer, amount, *allocations, currency=None, receipt=False):
    return record_payment(
        organization=customer.organization,
        customer=customer,
        actor=SYSTEM,
        date=datetime.date(2025, 3, 1),
        amount=Decimal(amount),
        method="bank_transfer",
        allocations=[(invoice, Decimal(a)) for invoice, a in allocations],
        currency=currency,
        issue_receipt=receipt,
    )


def test_invoice_states_and_balances_follow_payments(customer):
    invoice = invoice_of(customer, "100.00")
    pay(customer, "30", (invoice, "30"))
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid, invoice.balance_due) == (
        "partially_paid",
        Decimal("30"),
        Decimal("70"),
    )
    pay(customer, "70", (invoice, "70"))
    invoice.refresh_from_db()
    assert (invoice.state, invoice.balance_due) == ("paid", Decimal("0"))
    with pytest.raises(DomainError, match="not an open invoice"):
        pay(customer, "1", (invoice, "1"))
    with pytest.raises(InvalidTransition):
        transition_document(document=invoice, action="void", actor=SYSTEM)


def test_over_allocation_is_refused_and_writes_nothing(customer):
    first, second = invoice_of(customer, "50"), invoice_of(customer, "50")
    payments_before = customer.payments.count()
    with pytest.raises(DomainError, match="more than the 50.00 still due"):
        pay(customer, "200", (first, "10"), (second, "50.01"))
    with pytest.raises(DomainError, match="add up to more than the payment"):
        pay(customer, "59.99", (first, "10"), (second, "50"))
    with pytest.raises(DomainError, match="listed twice"):
        pay(customer, "100", (first, "10"), (first, "10"))
    assert customer.payments.count() == payments_before
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert (invoice.state, invoice.amount_paid) == ("sent", Decimal("0"))


def test_a_voided_invoice_takes_no_payment(customer):
    invoice = invoice_of(customer, "50")
    transition_document(document=invoice, action="void", actor=SYSTEM)
    with pytest.raises(DomainError, match="not an open invoice"):
        pay(customer, "10", (invoice, "10"))


def test_a_receipt_is_issued_once_from_a_payment(customer):
    first, second = invoice_of(customer, "40"), invoice_of(customer, "60")
    payment = pay(customer, "150", (first, "40"), (second, "60"), receipt=True)
    receipt = payment.receipt
    assert (receipt.kind, receipt.state, receipt.number) == ("receipt", "issued", "RCT-0001")
    assert receipt.total == Decimal("150")
    assert [line.description for line in receipt.lines.all()] == [
        f"Payment towards {first.number}",
        f"Payment towards {second.number}",
        "Payment on account",
    ]
    with pytest.raises(DomainError, match="already been issued"):
        issue_receipt_for_payment(payment=payment, actor=SYSTEM)
    with pytest.raises(InvalidTransition):
        transition_document(document=receipt, action="void", actor=SYSTEM)


# Rounding in currencies with 0 and 3 decimals -------------------------------------------


@pytest.mark.parametrize(
    "currency,quantity,price,tax,subtotal,tax_total,total",
    [
        # 3 × 333.5 = 1000.5 → 1001 yen; 8% of 1001 = 80.08 → 80.
        ("JPY", "3", "333.5", "8", "1001", "80", "1081"),
        ("JPY", "1", "0.4", "0", "0", "0", "0"),
        # 2 × 1.2345 is not allowed (3 places max); 2 × 1.234 = 2.468 BHD; 10% = 0.2468 → 0.247.
        ("BHD", "2", "1.234", "10", "2.468", "0.247", "2.715"),
        ("BHD", "0.333", "1.001", "0", "0.333", "0", "0.333"),
        ("USD", "3", "0.335", "10", "1.01", "0.10", "1.11"),
    ],
)
def test_totals_round_to_the_currency_minor_unit(
    customer, currency, quantity, price, tax, subtotal, tax_total, total
):
    document = make_document(
        customer=customer,
        currency=currency,
        lines=[LineInput("Item", Decimal(quantity), Decimal(price), Decimal(tax))],
    )
    document.refresh_from_db()
    assert (document.subtotal, document.tax_total, document.total) == (
        Decimal(subtotal),
        Decimal(tax_total),
        Decimal(total),
    )
    assert all(isinstance(v, Decimal) for v in (document.subtotal, document.total))


def test_jpy_and_bhd_print_with_their_own_decimals(owner_client, org):
    yen = CustomerFactory(organization=org, currency="JPY")
    dinar = CustomerFactory(organization=org, currency="BHD")
    jpy = make_document(customer=yen, lines=[LineInput("Item", Decimal("1"), Decimal("1234"))])
    bhd = make_document(customer=dinar, lines=[LineInput("Item", Decimal("1"), Decimal("1.5"))])
    jpy_page = owner_client.get(reverse("document-detail", args=[jpy.pk])).content.decode()
    bhd_page = owner_client.get(reverse("document-detail", args=[bhd.pk])).content.decode()
    assert "1,234 JPY" in jpy_page and "1,234.00" not in jpy_page
    assert "1.500 BHD" in bhd_page


@pytest.mark.parametrize(
    "currency,amount,message",
    [
        ("JPY", "100.5", "JPY amounts are whole numbers"),
        ("BHD", "1.2345", "BHD amounts have at most 3 decimal places"),
        ("USD", "10.005", "USD amounts have at most 2 decimal places"),
    ],
)
def test_payments_must_be_exact_amounts_of_their_currency(org, currency, amount, message):
    customer = CustomerFactory(organization=org, currency=currency)
    invoice = invoice_of(customer, "1000")
    with pytest.raises(DomainError, match=message):
        pay(customer, amount)
    with pytest.raises(DomainError, match=message):
        pay(customer, "500", (invoice, amount))
    assert not customer.payments.exists()


def test_jpy_and_bhd_payments_settle_invoices_exactly(org):
    yen = CustomerFactory(organization=org, currency="JPY")
    invoice = invoice_of(yen, "1000")
    pay(yen, "1000", (invoice, "1000"))
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    dinar = CustomerFactory(organization=org, currency="BHD")
    invoice = invoice_of(dinar, "10.125")
    pay(dinar, "10.124", (invoice, "10.124"))
    invoice.refresh_from_db()
    assert (invoice.state, invoice.balance_due) == ("partially_paid", Decimal("0.001"))


def test_the_payment_page_refuses_a_fractional_yen(owner_client, org):
    yen = CustomerFactory(organization=org, currency="JPY")
    invoice = invoice_of(yen, "1000")
    response = owner_client.post(
        reverse("payment-create"),
        {
            "customer": yen.pk,
            "date": "2025-03-01",
            "amount": "100.5",
            "currency": "JPY",
            "method": "cash",
            f"allocation_{invoice.pk}": "0.5",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["amount"] == ["JPY amounts are whole numbers, without decimals."]
    assert errors[f"allocation_{invoice.pk}"] == [
        "JPY amounts are whole numbers, without decimals."
    ]
    assert not yen.payments.exists()


# Conversion and re-assignment -------------------------------------------------------------


def test_only_an_accepted_quote_converts_once_per_kind(customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    with pytest.raises(InvalidTransition, match="accepted"):
        convert_quote(quote=quote, to_kind="invoice", actor=SYSTEM)
    transition_document(document=quote, action="mark_accepted", actor=SYSTEM)
    order = convert_quote(quote=quote, to_kind="sales_order", actor=SYSTEM)
    invoice = convert_quote(quote=quote, to_kind="invoice", actor=SYSTEM)
    assert (order.number, order.state, invoice.number, invoice.state) == (
        "SO-0001",
        "draft",
        "INV-0001",
        "draft",
    )
    assert invoice.total == quote.total and invoice.source_document_id == quote.pk
    with pytest.raises(DomainError, match="already been converted"):
        convert_quote(quote=quote, to_kind="invoice", actor=SYSTEM)
    with pytest.raises(DomainError):
        convert_quote(quote=quote, to_kind="receipt", actor=SYSTEM)
    invoice_doc = make_document(customer=customer)
    with pytest.raises(DomainError, match="Only quotes"):
        convert_quote(quote=invoice_doc, to_kind="sales_order", actor=SYSTEM)


def test_reassigning_records_activity_and_is_refused_when_it_must_be(customer, other_customer):
    invoice = make_document(customer=customer, state="sent")
    reassign_document(document=invoice, new_customer=other_customer, actor=SYSTEM)
    row = Activity.objects.filter(document=invoice, verb=Verb.REASSIGNED).get()
    assert row.details["from_customer_id"] == customer.pk
    assert row.details["to_customer_id"] == other_customer.pk
    with pytest.raises(DomainError, match="already belongs"):
        reassign_document(document=invoice, new_customer=other_customer, actor=SYSTEM)
    pay(other_customer, "10", (invoice, "10"))
    with pytest.raises(DomainError, match="payments"):
        reassign_document(document=invoice, new_customer=customer, actor=SYSTEM)


# The business's own date ------------------------------------------------------------------


def test_dates_default_to_the_business_time_zone(owner_client, org, customer):
    org.time_zone = "Pacific/Kiritimati"  # UTC+14: already tomorrow
    org.save()
    with time_machine.travel(datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)):
        document = make_document(customer=customer)
        form = owner_client.get(reverse("document-create", args=["invoice"])).context["form"]
    assert document.issue_date == datetime.date(2025, 3, 2)
    assert form.initial["issue_date"] == datetime.date(2025, 3, 2)


def test_activity_times_show_in_the_business_time_zone(owner_client, org, customer):
    org.time_zone = "Europe/London"
    org.save()
    with time_machine.travel(datetime.datetime(2025, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        document = make_document(customer=customer)
    html = owner_client.get(reverse("document-detail", args=[document.pk])).content.decode()
    assert "1 Jul 2025, 13:00 BST" in html


def test_a_zero_is_never_printed_with_a_sign():
    from solabooks.core.money import round_money

    for currency in ("USD", "JPY", "BHD"):
        assert not round_money(Decimal("-0.0001"), currency).is_signed()
