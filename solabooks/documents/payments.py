"""Payments: recording one (allocated to a customer's open invoices, or on account) and
issuing its receipt. One transaction each, with its Activity; an invoice's state follows
its amounts through the state machine (states.py)."""

import datetime
from decimal import Decimal

from django.db import transaction

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO, format_money, minor_unit_error, round_money

from . import states
from .models import (
    Document,
    Kind,
    Payment,
    PaymentAllocation,
)
from .services import (
    MAX_AMOUNT,
    LineInput,
    check_customer_belongs,
    create_document,
    lock_document,
)


@transaction.atomic
def record_payment(
    *,
    organization,
    customer,
    actor: Actor,
    date: datetime.date,
    amount: Decimal,
    method: str,
    reference: str = "",
    allocations: list[tuple[Document, Decimal]],
    currency: str | None = None,
    issue_receipt: bool = False,
) -> Payment:
    check_customer_belongs(organization, customer)
    currency = currency or customer.currency
    if problem := minor_unit_error(amount, currency):
        raise DomainError(problem)
    if amount <= 0:
        raise DomainError("A payment amount must be greater than zero.")
    if amount >= MAX_AMOUNT:
        raise DomainError("The payment amount is too large.")
    seen = set()
    locked = []
    for invoice, allocated in allocations:
        if invoice.pk in seen:
            raise DomainError(f"{invoice.number} is listed twice.")
        seen.add(invoice.pk)
        invoice = lock_document(invoice)
        if problem := minor_unit_error(allocated, currency):
            raise DomainError(problem)
        if invoice.organization_id != organization.pk or invoice.customer_id != customer.pk:
            raise DomainError("Payments can only be allocated to this customer's invoices.")
        states.check(invoice, "pay")
        if invoice.currency != currency:
            raise DomainError(f"{invoice.number} is in {invoice.currency}, not {currency}.")
        if allocated <= 0:
            raise DomainError("Allocated amounts must be greater than zero.")
        if allocated > invoice.balance_due:
            raise DomainError(
                f"{allocated} is more than the {round_money(invoice.balance_due, currency)} still due "
                f"on {invoice.number}."
            )
        locked.append((invoice, allocated))
    if sum((a for _, a in locked), ZERO) > amount:
        raise DomainError("The allocations add up to more than the payment.")
    payment = Payment(
        organization=organization,
        customer=customer,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference.strip(),
        created_by=actor.saved_user,
    )
    payment.full_clean()
    payment.save()
    for invoice, allocated in locked:
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=allocated)
        invoice.amount_paid += allocated
        states.apply(
            invoice,
            "pay",
            actor=actor,
            details={
                "payment_id": payment.pk,
                # As every amount is written: the currency's minor unit ("12.50", not "12.5").
                "amount": format_money(allocated, currency),
                "method": method,
            },
            fields=("amount_paid",),
        )
    if not locked:
        # A payment on account (nothing allocated yet) is still a change the business sees.
        record_activity(
            organization=organization,
            customer=customer,
            verb=Verb.PAYMENT_RECORDED,
            actor=actor,
            details={
                "payment_id": payment.pk,
                "amount": format_money(amount, currency),
                "method": method,
            },
        )
    if issue_receipt:
        issue_receipt_for_payment(payment=payment, actor=actor)
    return payment


@transaction.atomic
def issue_receipt_for_payment(*, payment: Payment, actor: Actor) -> Document:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if Document.objects.filter(payment=payment).exists():
        raise DomainError("A receipt has already been issued for this payment.")
    allocations = list(payment.allocations.select_related("invoice"))
    if allocations:
        lines = [
            LineInput(f"Payment towards {a.invoice.number}", Decimal("1"), a.amount)
            for a in allocations
        ]
        unallocated = payment.amount - sum((a.amount for a in allocations), ZERO)
        if unallocated > 0:
            lines.append(LineInput("Payment on account", Decimal("1"), unallocated))
    else:
        lines = [LineInput("Payment on account", Decimal("1"), payment.amount)]
    method_label = payment.get_method_display()
    receipt = create_document(
        organization=payment.organization,
        kind=Kind.RECEIPT,
        customer=payment.customer,
        actor=actor,
        lines=lines,
        issue_date=payment.date,
        currency=payment.currency,
        notes=f"Paid by {method_label}"
        + (f", reference {payment.reference}" if payment.reference else ""),
        payment=payment,
    )
    record_activity(
        organization=payment.organization,
        document=receipt,
        verb=Verb.RECEIPT_ISSUED,
        actor=actor,
        details={"payment_id": payment.pk},
    )
    return receipt
