from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from solabooks.core.money import CURRENCY_CHOICES
from solabooks.core.scoping import OrganizationScopedManager


class Kind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    QUOTE = "quote", "Quote"
    SALES_ORDER = "sales_order", "Sales order"
    RECEIPT = "receipt", "Receipt"
    # Issued when a sent invoice is voided, so the customer's books can cancel it.
    CREDIT_NOTE = "credit_note", "Credit note"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CONFIRMED = "confirmed", "Confirmed"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    ISSUED = "issued", "Issued"


# The states each kind can be in (Document.Meta: a database constraint holds every row to
# them). How a document moves between them is documents/states.py.
STATES_BY_KIND = {
    Kind.INVOICE: [State.DRAFT, State.SENT, State.PARTIALLY_PAID, State.PAID, State.VOID],
    Kind.QUOTE: [State.DRAFT, State.SENT, State.ACCEPTED, State.DECLINED, State.EXPIRED],
    Kind.SALES_ORDER: [State.DRAFT, State.CONFIRMED, State.FULFILLED, State.CANCELLED],
    Kind.RECEIPT: [State.ISSUED],
    Kind.CREDIT_NOTE: [State.ISSUED],
}
# An invoice in these states is open: it takes payments (states.TRANSITIONS: "pay") and
# counts in receivables. Defined here because an index below is limited to them.
OPEN_INVOICE_STATES = (State.SENT, State.PARTIALLY_PAID)


def _state_within_kind() -> Q:
    condition = Q()
    for kind, states in STATES_BY_KIND.items():
        condition |= Q(kind=kind, state__in=states)
    return condition


class NumberSequence(models.Model):
    """The next number per business and kind. Taken under a row lock, so no gaps or twins."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="one_sequence_per_kind")
        ]


class Document(models.Model):
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="documents"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    number = models.CharField(max_length=32)
    sequence = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    notes = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    subtotal = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    tax_total = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    total = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    amount_paid = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    # Bumped on every edit: quote decisions check it, PDFs are cached by it.
    content_version = models.PositiveIntegerField(default=1)
    viewed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    source_document = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_documents"
    )
    payment = models.OneToOneField(
        "documents.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-issue_date", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "sequence"], name="unique_number_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total")),
                name="paid_within_total",
            ),
            models.CheckConstraint(
                condition=_state_within_kind(), name="document_state_within_kind"
            ),
            # Voiding an invoice credits it once, however many voids race (the row lock
            # already queues them; this holds it at the bottom too).
            models.UniqueConstraint(
                fields=["source_document"],
                condition=Q(kind=Kind.CREDIT_NOTE),
                name="one_credit_note_per_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "state"]),
            # One customer's documents of a kind in list order (the portal's lists, the
            # customer page): a page reads only its rows, and with `state` included the
            # page count is an index-only scan, however many documents the business has.
            models.Index(
                fields=["organization", "customer", "kind", "-issue_date", "-sequence"],
                include=["state"],
                name="document_customer_list_idx",
            ),
            models.Index(fields=["organization", "kind", "-issue_date", "-sequence"]),
            # Open invoices only, with what the balances add up (receivables_by_currency):
            # the dashboards read these few rows from the index, not every invoice ever sent.
            models.Index(
                fields=["organization", "customer", "currency"],
                include=["due_date", "total", "amount_paid"],
                condition=Q(kind=Kind.INVOICE, state__in=OPEN_INVOICE_STATES),
                name="document_open_invoices_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance_due(self) -> Decimal:
        # A void invoice is owed by nobody (a sent one was cancelled by its credit note).
        return Decimal("0") if self.state == State.VOID else self.total - self.amount_paid

    @property
    def is_invoice(self) -> bool:
        return self.kind == Kind.INVOICE

    @property
    def is_quote(self) -> bool:
        return self.kind == Kind.QUOTE

    # The state rules live in states.py, which builds on this module: imported late.
    @property
    def is_editable(self) -> bool:
        from . import states

        return states.can(self, "edit")

    @property
    def is_dead(self) -> bool:
        from . import states

        return states.is_dead(self)


class TaxCategory(models.TextChoices):
    """VAT category of a line (UNTDID 5305, the subset EN 16931 invoices use)."""

    STANDARD = "S", "Standard rate"
    ZERO = "Z", "Zero rated"
    EXEMPT = "E", "Exempt"
    REVERSE_CHARGE = "AE", "Reverse charge"
    NOT_SUBJECT = "O", "Not subject to VAT"


class UnitCode(models.TextChoices):
    """Units of measure (UN/ECE Recommendation 20) a line can be counted in."""

    ONE = "C62", "Unit"
    HOUR = "HUR", "Hour"
    DAY = "DAY", "Day"
    MONTH = "MON", "Month"
    YEAR = "ANN", "Year"
    KILOGRAM = "KGM", "Kilogram"
    METRE = "MTR", "Metre"
    LITRE = "LTR", "Litre"
    SQUARE_METRE = "MTK", "Square metre"
    KILOMETRE = "KMT", "Kilometre"
    PACKAGE = "XPK", "Package"
    SET = "SET", "Set"


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=14, decimal_places=3)
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Percent, e.g. 20 for 20%.",
    )
    tax_category = models.CharField(
        max_length=2, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    # Why the line carries no VAT (exempt lines; printed on the invoice, BT-120).
    tax_exemption_reason = models.CharField(max_length=200, blank=True)
    unit_code = models.CharField(max_length=3, choices=UnitCode.choices, default=UnitCode.ONE)
    line_subtotal = models.DecimalField(max_digits=18, decimal_places=3)
    # This line's tax rounded on its own, for display. The document's tax is rounded once per
    # category and rate (documents.services.tax_breakdown), as EN 16931 computes it.
    line_tax = models.DecimalField(max_digits=18, decimal_places=3)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            # Only standard-rated lines carry a rate; every other category is 0%.
            models.CheckConstraint(
                condition=Q(tax_category=TaxCategory.STANDARD, tax_rate__gt=0)
                | (~Q(tax_category=TaxCategory.STANDARD) & Q(tax_rate=0)),
                name="line_rate_matches_category",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="line_tax_rate_percent"
            ),
        ]

    @property
    def line_total(self) -> Decimal:
        return self.line_subtotal + self.line_tax


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class Payment(models.Model):
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="payments"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField()
    amount = models.DecimalField(
        max_digits=18, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")
        ]
        indexes = [models.Index(fields=["organization", "customer", "-date"])]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.date}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=18, decimal_places=3)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.UniqueConstraint(
                fields=["payment", "invoice"], name="one_allocation_per_invoice"
            ),
        ]


from .acceptance_models import AcceptanceChannel, AcceptanceRecord, QuoteTerms  # noqa: E402, F401
