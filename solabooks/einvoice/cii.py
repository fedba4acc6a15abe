"""The structured data of an invoice: UN/CEFACT Cross Industry Invoice (D16B), Factur-X
profile EN 16931 — the XML a Factur-X PDF carries as `factur-x.xml`.

Built from what the document already stores: the same lines, the same VAT breakdown
(documents.lines.tax_breakdown) and the same totals the PDF prints, so the two agree to
the cent. Element order follows the D16B schema (it is significant in XML Schema).
Amounts are written with the currency's minor unit (two decimals, none for JPY), never as
floats; quantities and unit prices keep their own decimals, which the standard allows.
"""

import re
from decimal import Decimal

from lxml import etree

from solabooks.core.money import format_money
from solabooks.documents.lines import tax_breakdown
from solabooks.documents.models import Document, Kind

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

# BT-24: the EN 16931 core, which Factur-X calls its "EN 16931" profile.
SPECIFICATION = "urn:cen.eu:en16931:2017"
# UNTDID 1001 document types.
TYPE_CODES = {Kind.INVOICE: "380", Kind.CREDIT_NOTE: "381"}
# UNTDID 4461: 58 is a SEPA credit transfer (an IBAN), 30 any other credit transfer.
SEPA_CREDIT_TRANSFER = "58"
# The XMP metadata of a Factur-X PDF (einvoice.pdfa).
FACTURX_CONFORMANCE = "EN 16931"
FACTURX_VERSION = "1.0"


# What XML 1.0 cannot carry at all: control characters other than tab, newline and
# carriage return, lone surrogates, U+FFFE and U+FFFF. People paste them into descriptions,
# names and notes (a word processor's line break is a vertical tab); the database keeps
# them and the PDF prints around them, so the XML writes a space for each rather than fail.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_IN_XML.sub(" ", text)


def _decimal_text(value: Decimal) -> str:
    """A quantity, price or rate as plain digits: 2, 0.333, 5.5 (never 2E+1)."""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in {"-0", "0"} else text


class _Builder:
    def __init__(self, document: Document, lines: list) -> None:
        self.document = document
        self.lines = lines
        self.currency = document.currency

    # Small helpers: every element is in the ram: namespace unless said otherwise.
    @staticmethod
    def sub(parent, name: str, text: str | None = None, ns: str = RAM, **attrs):
        element = etree.SubElement(parent, f"{{{ns}}}{name}", **attrs)
        if text is not None:
            element.text = xml_text(text)
        return element

    def amount(self, parent, name: str, value: Decimal, *, with_currency: bool = False):
        attrs = {"currencyID": self.currency} if with_currency else {}
        return self.sub(parent, name, format_money(value, self.currency), **attrs)

    def date(self, parent, name: str, value, ns: str = UDT):
        wrapper = self.sub(parent, name)
        self.sub(wrapper, "DateTimeString", value.strftime("%Y%m%d"), ns=ns, format="102")

    def build(self) -> bytes:
        root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
        context = self.sub(root, "ExchangedDocumentContext", ns=RSM)
        guideline = self.sub(context, "GuidelineSpecifiedDocumentContextParameter")
        self.sub(guideline, "ID", SPECIFICATION)
        self.exchanged_document(self.sub(root, "ExchangedDocument", ns=RSM))
        transaction = self.sub(root, "SupplyChainTradeTransaction", ns=RSM)
        for position, line in enumerate(self.lines, start=1):
            self.line_item(transaction, position, line)
        self.agreement(self.sub(transaction, "ApplicableHeaderTradeAgreement"))
        self.sub(transaction, "ApplicableHeaderTradeDelivery")
        self.settlement(self.sub(transaction, "ApplicableHeaderTradeSettlement"))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def exchanged_document(self, parent) -> None:
        document = self.document
        self.sub(parent, "ID", document.number)  # BT-1
        self.sub(parent, "TypeCode", TYPE_CODES[document.kind])  # BT-3
        self.date(parent, "IssueDateTime", document.issue_date)  # BT-2
        for text in (document.notes, document.terms):  # BT-22
            if text.strip():
                note = self.sub(parent, "IncludedNote")
                self.sub(note, "Content", text.strip())

    def line_item(self, parent, position: int, line) -> None:
        item = self.sub(parent, "IncludedSupplyChainTradeLineItem")
        self.sub(self.sub(item, "AssociatedDocumentLineDocument"), "LineID", str(position))
        self.sub(self.sub(item, "SpecifiedTradeProduct"), "Name", line.description)  # BT-153
        agreement = self.sub(item, "SpecifiedLineTradeAgreement")
        price = self.sub(agreement, "NetPriceProductTradePrice")
        self.sub(price, "ChargeAmount", _decimal_text(line.unit_price))  # BT-146
        delivery = self.sub(item, "SpecifiedLineTradeDelivery")
        self.sub(
            delivery, "BilledQuantity", _decimal_text(line.quantity), unitCode=line.unit_code
        )  # BT-129, BT-130
        settlement = self.sub(item, "SpecifiedLineTradeSettlement")
        tax = self.sub(settlement, "ApplicableTradeTax")
        self.sub(tax, "TypeCode", "VAT")
        self.sub(tax, "CategoryCode", line.tax_category)  # BT-151
        if line.tax_category != "O":  # BR-O-05: a not-subject line has no rate
            self.sub(tax, "RateApplicablePercent", _decimal_text(line.tax_rate))  # BT-152
        summation = self.sub(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        self.amount(summation, "LineTotalAmount", line.line_subtotal)  # BT-131

    def party(self, parent, name: str, *, legal_name, trading_name, registration_id,
              street, postcode, city, country, email, vat_id) -> None:  # fmt: skip
        party = self.sub(parent, name)
        self.sub(party, "Name", legal_name)
        if registration_id or trading_name:
            legal = self.sub(party, "SpecifiedLegalOrganization")
            if registration_id:
                self.sub(legal, "ID", registration_id)  # BT-30 / BT-47
            if trading_name:
                self.sub(legal, "TradingBusinessName", trading_name)  # BT-28 / BT-45
        address = self.sub(party, "PostalTradeAddress")
        if postcode:
            self.sub(address, "PostcodeCode", postcode)
        street_lines = [part.strip() for part in street.splitlines() if part.strip()]
        # Three address lines in the standard; anything beyond joins the third.
        for tag, text in zip(
            ("LineOne", "LineTwo", "LineThree"),
            [*street_lines[:2], ", ".join(street_lines[2:])],
            strict=False,
        ):
            if text:
                self.sub(address, tag, text)
        if city:
            self.sub(address, "CityName", city)
        self.sub(address, "CountryID", country)
        if email:  # BT-34 / BT-49, an email address as the electronic address
            self.sub(self.sub(party, "URIUniversalCommunication"), "URIID", email, schemeID="EM")
        if vat_id:
            registration = self.sub(party, "SpecifiedTaxRegistration")
            self.sub(registration, "ID", vat_id, schemeID="VA")  # BT-31 / BT-48

    def agreement(self, parent) -> None:
        organization, customer = self.document.organization, self.document.customer
        if customer.buyer_reference.strip():
            self.sub(parent, "BuyerReference", customer.buyer_reference.strip())  # BT-10
        # BR-O-02: an invoice not subject to VAT names no VAT identifier.
        with_vat_ids = any(line.tax_category != "O" for line in self.lines)
        legal_name = organization.legal_name.strip()
        self.party(
            parent,
            "SellerTradeParty",
            legal_name=legal_name,
            trading_name=organization.name if organization.name.strip() != legal_name else "",
            registration_id=organization.registration_id.strip(),
            street=organization.address,
            postcode=organization.postcode.strip(),
            city=organization.city.strip(),
            country=str(organization.country),
            email=organization.reply_to_email,
            vat_id=organization.vat_id.strip() if with_vat_ids else "",
        )
        self.party(
            parent,
            "BuyerTradeParty",
            legal_name=customer.name,
            trading_name="",
            registration_id="",
            street=customer.billing_address,
            postcode=customer.postcode.strip(),
            city=customer.city.strip(),
            country=str(customer.country),
            email=customer.email,
            vat_id=customer.vat_id.strip() if with_vat_ids else "",
        )

    def settlement(self, parent) -> None:
        document, organization = self.document, self.document.organization
        self.sub(parent, "PaymentReference", document.number)  # BT-83
        self.sub(parent, "InvoiceCurrencyCode", self.currency)  # BT-5
        if organization.iban.strip():
            means = self.sub(parent, "SpecifiedTradeSettlementPaymentMeans")  # BG-16
            self.sub(means, "TypeCode", SEPA_CREDIT_TRANSFER)
            account = self.sub(means, "PayeePartyCreditorFinancialAccount")
            self.sub(account, "IBANID", organization.iban.strip())  # BT-84
            if organization.bic.strip():
                bank = self.sub(means, "PayeeSpecifiedCreditorFinancialInstitution")
                self.sub(bank, "BICID", organization.bic.strip())  # BT-86
        for group in tax_breakdown(self.lines, self.currency):  # BG-23
            tax = self.sub(parent, "ApplicableTradeTax")
            self.amount(tax, "CalculatedAmount", group.tax)  # BT-117
            self.sub(tax, "TypeCode", "VAT")
            if group.exemption_reason:
                self.sub(tax, "ExemptionReason", group.exemption_reason)  # BT-120
            self.amount(tax, "BasisAmount", group.taxable_amount)  # BT-116
            self.sub(tax, "CategoryCode", group.category)  # BT-118
            if group.category != "O":
                self.sub(tax, "RateApplicablePercent", _decimal_text(group.rate))  # BT-119
        self.payment_terms(parent)
        summation = self.sub(parent, "SpecifiedTradeSettlementHeaderMonetarySummation")
        self.amount(summation, "LineTotalAmount", document.subtotal)  # BT-106
        self.amount(summation, "TaxBasisTotalAmount", document.subtotal)  # BT-109
        self.amount(summation, "TaxTotalAmount", document.tax_total, with_currency=True)
        self.amount(summation, "GrandTotalAmount", document.total)  # BT-112
        self.amount(summation, "TotalPrepaidAmount", document.amount_paid)  # BT-113
        self.amount(summation, "DuePayableAmount", document.balance_due)  # BT-115
        source = document.source_document
        if document.kind == Kind.CREDIT_NOTE and source is not None:  # BG-3, the invoice
            referenced = self.sub(parent, "InvoiceReferencedDocument")
            self.sub(referenced, "IssuerAssignedID", source.number)  # BT-25
            self.date(referenced, "FormattedIssueDateTime", source.issue_date, ns=QDT)

    def payment_terms(self, parent) -> None:
        document = self.document
        if document.kind == Kind.CREDIT_NOTE:
            source = document.source_document
            text = f"Credit for invoice {source.number}." if source else "Credit note."
            self.sub(self.sub(parent, "SpecifiedTradePaymentTerms"), "Description", text)
            return
        if document.due_date is None:
            return
        terms = self.sub(parent, "SpecifiedTradePaymentTerms")
        if document.balance_due > 0:
            self.sub(terms, "Description", f"Due by {document.due_date:%d %B %Y}.")  # BT-20
        self.date(terms, "DueDateDateTime", document.due_date)  # BT-9


def cii_xml(document: Document, lines: list | None = None) -> bytes:
    """The document's CII XML (UTF-8 bytes). The document must be ready
    (readiness.missing_for_einvoice is empty); `lines` when the caller has them."""
    lines = list(document.lines.all()) if lines is None else lines
    return _Builder(document, lines).build()
