"""Credit notes: the document that cancels an invoice the customer already has.

Voiding a sent invoice issues one in the same transaction (`services.transition_document`,
when the table's void row says so: `states.issues_credit_note`). It is a copy of the
invoice's lines, customer and currency under the business's own credit-note sequence
(CN-0001…), dated the business's today and pointing back to the invoice
(`source_document`), so the customer's books can cancel the invoice against it. It is never
made any other way: the staff form and the API refuse the kind, and `create_document`
refuses one that credits no invoice of the same customer.
"""

from django.db import transaction

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError

from .lines import line_inputs_of
from .models import Document, Kind, State
from .selectors import credit_note_of
from .services import create_document, lock_document


def cancels_sentence(invoice: Document) -> str:
    date = invoice.issue_date
    return f"This credit note cancels invoice {invoice.number} of {date.day} {date:%B %Y}."


@transaction.atomic
def issue_credit_note(*, invoice: Document, actor: Actor) -> Document:
    """Issue the credit note of a voided invoice. transition_document calls it with the
    invoice row locked, so concurrent voids queue and only the first gets here; the
    check below (and the database's one_credit_note_per_invoice) keep it to one anyway."""
    invoice = lock_document(invoice)
    if invoice.kind != Kind.INVOICE or invoice.state != State.VOID:
        raise DomainError("Only a voided invoice is cancelled by a credit note.")
    existing = credit_note_of(invoice)
    if existing is not None:
        raise DomainError(f"{invoice.number} has already been credited by {existing.number}.")
    credit_note = create_document(
        organization=invoice.organization,
        kind=Kind.CREDIT_NOTE,
        customer=invoice.customer,
        actor=actor,
        lines=line_inputs_of(invoice),
        currency=invoice.currency,
        notes=cancels_sentence(invoice),
        source_document=invoice,
    )
    record_activity(
        organization=invoice.organization,
        document=credit_note,
        verb=Verb.CREDIT_NOTE_ISSUED,
        actor=actor,
        details={"invoice": invoice.number, "invoice_id": invoice.pk},
    )
    record_activity(
        organization=invoice.organization,
        document=invoice,
        verb=Verb.CREDIT_NOTE_ISSUED,
        actor=actor,
        details={"credit_note": credit_note.number, "credit_note_id": credit_note.pk},
    )
    return credit_note
