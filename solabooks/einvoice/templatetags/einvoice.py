"""{% einvoice_status document lines membership as einvoice %}: the staff document page's
E-invoice panel (einvoice/_einvoice_panel.html): whether the PDF carries the e-invoice, and
if not, each missing field with a link to the page where it is filled in."""

from dataclasses import dataclass, field

from django import template
from django.urls import reverse

from solabooks.documents.models import Document
from solabooks.tenancy.permissions import can

from ..readiness import EINVOICE_KINDS, missing_for_einvoice

register = template.Library()

BUSINESS, CUSTOMER, LINES, OTHER = "business", "customer", "lines", "other"


@dataclass(frozen=True)
class Problem:
    area: str
    # The sentence after its area's prefix ("VAT identifier."), or the whole of it (OTHER).
    text: str
    url: str = ""


@dataclass(frozen=True)
class EinvoiceStatus:
    applies: bool
    problems: list[Problem] = field(default_factory=list)

    @property
    def included(self) -> bool:
        return self.applies and not self.problems


def _problem(sentence: str, document: Document, membership) -> Problem:
    """Which page fixes the sentence, from readiness.py's prefixes (tests/einvoice checks
    each one it writes)."""
    customer_prefix = f"Customer {document.customer.name}: "
    if sentence.startswith("Business settings: "):
        url = ""
        if membership is not None and can(membership, "manage_settings"):
            url = reverse("organization-settings") + "#invoicing-details"
        return Problem(BUSINESS, sentence.removeprefix("Business settings: "), url)
    if sentence.startswith(customer_prefix):
        url = reverse("customer-edit", args=[document.customer_id])
        return Problem(CUSTOMER, sentence.removeprefix(customer_prefix), url)
    if sentence.startswith("Lines: "):
        url = reverse("document-edit", args=[document.pk]) if document.is_editable else ""
        return Problem(LINES, sentence.removeprefix("Lines: "), url)
    return Problem(OTHER, sentence)


@register.simple_tag
def einvoice_status(document: Document, lines, membership=None) -> EinvoiceStatus:
    if document.kind not in EINVOICE_KINDS:
        return EinvoiceStatus(applies=False)
    missing = missing_for_einvoice(document, list(lines))
    return EinvoiceStatus(
        applies=True, problems=[_problem(sentence, document, membership) for sentence in missing]
    )
