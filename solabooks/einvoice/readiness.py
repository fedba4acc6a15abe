"""Whether an invoice can carry structured data (EN 16931), and if not, exactly why.

The product never produces an invalid e-invoice quietly: a document that lacks what the
standard needs is sent as a plain PDF, and `missing_for_einvoice` names each missing or
conflicting field so the staff page can say what to fill in. The checks here mirror the
EN 16931 business rules the data could break (their ids are in the comments); everything
else is guaranteed by how cii.py builds the XML.
"""

from solabooks.core.money import CURRENCY_MINOR_UNITS
from solabooks.documents.models import Document, Kind, TaxCategory

# Kinds that are e-invoices: an invoice (UNTDID 1001 code 380) and a credit note (381).
EINVOICE_KINDS = (Kind.INVOICE, Kind.CREDIT_NOTE)
# EN 16931 amounts have at most two decimals (BR-DEC-*): BHD, KWD and OMR have three.
MAX_AMOUNT_DECIMALS = 2


def missing_for_einvoice(document: Document, lines=None) -> list[str]:
    """What stops this document from carrying an EN 16931 e-invoice, one sentence each
    ([] when it can). `lines`: the document's lines when the caller has them already."""
    if document.kind not in EINVOICE_KINDS:
        return ["Only invoices and credit notes carry e-invoice data."]
    organization, customer = document.organization, document.customer
    lines = list(document.lines.all()) if lines is None else lines
    categories = {line.tax_category for line in lines}
    problems = []
    if CURRENCY_MINOR_UNITS.get(document.currency, 2) > MAX_AMOUNT_DECIMALS:
        problems.append(
            f"{document.currency} amounts have three decimals; e-invoices allow two at most."
        )

    business = "Business settings"
    # BR-06 seller name, BR-08/BR-09 seller postal address with its country.
    if not organization.legal_name.strip():
        problems.append(f"{business}: legal name.")
    if not organization.country:
        problems.append(f"{business}: country.")
    if not organization.city.strip():
        problems.append(f"{business}: city.")
    if not organization.postcode.strip():
        problems.append(f"{business}: postcode.")
    if not organization.address.strip():
        problems.append(f"{business}: street address.")
    only_not_subject = categories == {TaxCategory.NOT_SUBJECT}
    if only_not_subject:
        # BR-O-02: no VAT identifiers on a not-subject invoice, so BR-CO-26 needs the
        # business's registration id to identify the seller.
        if not organization.registration_id.strip():
            problems.append(
                f"{business}: legal registration identifier (needed on invoices without VAT)."
            )
    elif not organization.vat_id.strip():
        # BR-S-02, BR-Z-02, BR-E-02, BR-AE-02: every VAT category needs the seller's VAT id.
        problems.append(f"{business}: VAT identifier.")

    who = f"Customer {customer.name}"
    # BR-07 buyer name (always there), BR-10/BR-11 buyer postal address with its country.
    if not customer.country:
        problems.append(f"{who}: country.")
    if TaxCategory.REVERSE_CHARGE in categories and not customer.vat_id.strip():
        # BR-AE-02: reverse charge names both VAT identifiers.
        problems.append(f"{who}: VAT identifier (needed for reverse charge).")

    if TaxCategory.NOT_SUBJECT in categories and not only_not_subject:
        # BR-O-11..14: an invoice with a not-subject line has only not-subject lines.
        problems.append(
            "Lines: a line not subject to VAT cannot share an invoice with taxed lines; "
            "invoice them separately."
        )
    return problems
