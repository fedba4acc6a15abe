"""The portal dashboard's recent activity in the customer's words: "Sent to you", "Now
paid", "Payment of 425.57 USD received", never the staff log's "Status changed"."""

from django import template

from solabooks.activity.models import Activity, Verb
from solabooks.documents.models import State
from solabooks.documents.overdue import customer_state_words
from solabooks.documents.templatetags.money import money

register = template.Library()

FIXED = {
    Verb.SENT: "Sent to you",
    Verb.VOIDED: "Cancelled",
    Verb.QUOTE_ACCEPTED: "Accepted",
    Verb.QUOTE_DECLINED: "Declined",
    Verb.RECEIPT_ISSUED: "Receipt issued",
    Verb.CREDIT_NOTE_ISSUED: "Credit note issued",
}


@register.filter
def customer_event(item: Activity) -> str:
    """One line of the customer's recent activity (the row's document is loaded)."""
    details = item.details or {}
    if item.verb == Verb.STATE_CHANGED:
        target = details.get("to", "")
        # Marked as sent by staff: for the customer it was sent to them, like a send.
        if target == State.SENT:
            return FIXED[Verb.SENT]
        if target not in State.values:
            return item.get_verb_display()
        return f"Now {customer_state_words(item.document.kind, target).lower()}"
    if item.verb == Verb.PAYMENT_RECORDED:
        amount = details.get("amount")
        if amount:
            currency = item.document.currency
            return f"Payment of {money(amount, currency)} {currency} received"
        return "Payment received"
    return FIXED.get(item.verb, item.get_verb_display())
