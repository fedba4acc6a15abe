"""Input and output serializers of the staff API.

Input serializers only parse: types, lengths, choices, digits that fit the columns, and ids
that must belong to the caller's business. Every rule of the product (dates in order, states,
balances, who may be re-assigned…) is the services' to enforce; their DomainError becomes a
400 with the same message staff see on the pages. Output serializers list their fields
explicitly, so a new model column (a token hash, say) never leaks into an answer by default.
"""

import re
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.core.money import CURRENCY_CHOICES
from solabooks.customers.forms import ADDRESS_MAX, NOTES_MAX
from solabooks.customers.models import Customer
from solabooks.documents import overdue
from solabooks.documents.forms import FIRST_YEAR, LAST_YEAR, MAX_TEXT
from solabooks.documents.lines import MAX_EXEMPTION_REASON
from solabooks.documents.models import Document, Kind, PaymentMethod, State, TaxCategory, UnitCode
from solabooks.documents.selectors import credit_note_of
from solabooks.documents.services import MAX_DESCRIPTION, MAX_LINES
from solabooks.documents.states import STAFF_ACTIONS, available_actions

from .fields import MoneyField, PlainDecimalField, PriceField

# Lone UTF-16 surrogates survive JSON parsing but cannot be stored in PostgreSQL (a 500).
SURROGATES = re.compile("[\ud800-\udfff]")
CREATABLE_KINDS = [(k.value, k.label) for k in (Kind.INVOICE, Kind.QUOTE, Kind.SALES_ORDER)]
CONVERTIBLE_KINDS = [(k.value, k.label) for k in (Kind.INVOICE, Kind.SALES_ORDER)]
LINK_STATES = [("active", "Active"), ("expired", "Expired"), ("invalid", "No longer valid")]
PORTAL_STATES = [
    ("none", "Never enabled"),
    ("invited", "Invited"),
    ("active", "Active"),
    ("disabled", "Disabled"),
]
# The staff actions: what `available_actions` lists and the action endpoint takes.
ALL_ACTIONS = STAFF_ACTIONS


def _no_surrogates(value: str) -> None:
    if SURROGATES.search(value):
        raise serializers.ValidationError("This text contains characters that are not valid.")


class _StringAsSent:
    """Text as the schema says it: a JSON string, its maxLength counted as sent.

    DRF's CharField turns a JSON number into text (12 becomes "12") and checks max_length
    after trimming, so a number or a padded string one character over passed; schemathesis
    (rightly) calls both accepting what the schema refuses. Checked on the value as sent."""

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None and not isinstance(data, str):
            self.fail("invalid")
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class Text(_StringAsSent, serializers.CharField):
    """A CharField that also refuses unstorable characters (NUL is refused by DRF)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_no_surrogates)


class Email(_StringAsSent, serializers.EmailField):
    """An email to parse (input): its length checked as sent, like Text."""


def _sane_date(value) -> None:
    # Outside these years a date is a typo, and 9999-12-31 plus payment terms overflows.
    if not (FIRST_YEAR <= value.year <= LAST_YEAR):
        raise serializers.ValidationError(
            f"Enter a date between the years {FIRST_YEAR} and {LAST_YEAR}."
        )


def date_field(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(validators=[_sane_date], **kwargs)


MAX_ID = 2**63 - 1  # bigint: anything larger names nothing


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class ScopedIdField(serializers.Field):
    """An id that must name a row of the caller's business. Another business's id and an
    unknown id get the same answer, so ids of other businesses cannot be probed."""

    default_error_messages = {
        "invalid": "A valid integer id is required.",
        "does_not_exist": "There is no such {name} in your business.",
    }

    def __init__(self, *, scope: Callable[[Any], QuerySet], name: str, **kwargs: Any) -> None:
        self.scope = scope
        self.name = name
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # JSON integers only: not true/false, not 1.5, not "1".
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        found = None
        if 1 <= data <= MAX_ID:
            found = self.scope(self.context["organization"]).filter(pk=data).first()
        if found is None:
            self.fail("does_not_exist", name=self.name)
        return found

    def to_representation(self, value):
        return value.pk


def customer_id_field(**kwargs: Any) -> ScopedIdField:
    return ScopedIdField(scope=lambda org: Customer.objects.for_org(org), name="customer", **kwargs)


def document_id_field(**kwargs: Any) -> ScopedIdField:
    return ScopedIdField(scope=lambda org: Document.objects.for_org(org), name="document", **kwargs)


# --- Errors (documentation only: errors.py builds these bodies) ------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, …")
    message = serializers.CharField(help_text="A sentence to show a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Per-field messages for 400s, keyed by dotted path ("lines.0.quantity").',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --- Customers -------------------------------------------------------------------------


class CountryOutField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code, "" when none was given."""

    def to_representation(self, value) -> str:
        return str(value or "")


class CustomerOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    billing_address = serializers.CharField(help_text="Street address lines.")
    postcode = serializers.CharField()
    city = serializers.CharField()
    country = CountryOutField(help_text='ISO 3166-1 alpha-2 code, "" when not given.')
    vat_id = serializers.CharField(help_text="With its country code, e.g. FR40303265045.")
    buyer_reference = serializers.CharField(
        help_text="Their purchase order number or routing id (e-invoice BT-10)."
    )
    currency = serializers.CharField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CustomerUpdateOutSerializer(CustomerOutSerializer):
    notices = serializers.ListField(
        child=serializers.CharField(),
        help_text="What staff must know, e.g. portal access disabled by an email change.",
    )


class CustomerInSerializer(serializers.Serializer):
    name = Text(max_length=200)
    email = Email(max_length=254)
    billing_address = Text(
        max_length=ADDRESS_MAX,
        allow_blank=True,
        required=False,
        default="",
        help_text="Street address lines.",
    )
    postcode = Text(max_length=20, allow_blank=True, required=False, default="")
    city = Text(max_length=100, allow_blank=True, required=False, default="")
    country = serializers.ChoiceField(
        choices=list(countries),
        allow_blank=True,
        required=False,
        default="",
        help_text="ISO 3166-1 alpha-2 code, e.g. DE; needed for e-invoices.",
    )
    vat_id = Text(
        max_length=30,
        allow_blank=True,
        required=False,
        default="",
        help_text="Checked with its country's check digits in the EU; spaces and dots are "
        "removed. Without a country code, the customer's country's is put in front.",
    )
    buyer_reference = Text(
        max_length=100,
        allow_blank=True,
        required=False,
        default="",
        help_text="Their purchase order number or routing id (e.g. a Leitweg-ID).",
    )
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        help_text="Defaults to the business's currency on creation.",
    )
    notes = Text(max_length=NOTES_MAX, allow_blank=True, required=False, default="")


class CustomerSearchSerializer(serializers.Serializer):
    q = Text(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Part of the customer's name or email.",
    )


# --- Documents -------------------------------------------------------------------------


class LineOutSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    description = serializers.CharField()
    # Quantities and tax rates are not money: as stored, without trailing zeros ("1.5", "20").
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, normalize_output=True)
    unit_price = PriceField(currency="document.currency")
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, normalize_output=True, help_text="Percent, 0 to 100."
    )
    unit_code = serializers.ChoiceField(
        choices=UnitCode.choices, help_text="UN/ECE Recommendation 20: C62 one, HUR hour…"
    )
    tax_category = serializers.ChoiceField(
        choices=TaxCategory.choices,
        help_text="UNTDID 5305: S standard, Z zero rated, E exempt, AE reverse charge, "
        "O not subject to VAT.",
    )
    tax_exemption_reason = serializers.CharField(
        help_text="Why an E, AE or O line carries no VAT (printed on the document)."
    )
    line_subtotal = MoneyField(currency="document.currency")
    line_tax = MoneyField(currency="document.currency")


class DocumentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    issue_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    subtotal = MoneyField()
    tax_total = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField()
    balance_due = MoneyField()  # 0 on a void invoice (Document.balance_due)
    is_overdue = serializers.SerializerMethodField(
        help_text="An open invoice (sent or partially paid) past its due date in the "
        "business's today. Shown, not a state: `state` stays sent / partially_paid."
    )
    days_overdue = serializers.SerializerMethodField(
        help_text="Whole days past the due date; 0 when not overdue."
    )
    sent_at = serializers.DateTimeField(allow_null=True)
    viewed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _today(self, document: Document):
        # The list view gives the business's today in the context; a single document has
        # its organization at hand.
        return self.context.get("today") or document.organization.today()

    def get_is_overdue(self, document: Document) -> bool:
        return overdue.is_overdue(document, self._today(document))

    def get_days_overdue(self, document: Document) -> int:
        return overdue.days_overdue(document, self._today(document))


class DocumentOutSerializer(DocumentSummarySerializer):
    notes = serializers.CharField()
    terms = serializers.CharField()
    content_version = serializers.IntegerField()
    source_document = serializers.IntegerField(source="source_document_id", allow_null=True)
    payment = serializers.IntegerField(source="payment_id", allow_null=True)
    lines = LineOutSerializer(many=True, source="lines.all")
    available_actions = serializers.SerializerMethodField(
        help_text="The state actions this document can take now (POST …/actions/{action})."
    )

    credit_note = serializers.SerializerMethodField(
        help_text="An invoice voided after it was sent: the id of the credit note that "
        "cancels it (its source_document is this invoice)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ALL_ACTIONS)))
    def get_available_actions(self, document: Document) -> list[str]:
        return [action for action, _label in available_actions(document)]

    def get_credit_note(self, document: Document) -> int | None:
        credit_note = credit_note_of(document) if document.kind == Kind.INVOICE else None
        return credit_note.pk if credit_note is not None else None


class LineInSerializer(serializers.Serializer):
    description = Text(max_length=MAX_DESCRIPTION)
    # Digits follow the DocumentLine columns, so nothing accepted here can overflow them.
    quantity = PlainDecimalField(max_digits=12, decimal_places=3)
    unit_price = PlainDecimalField(max_digits=14, decimal_places=3)
    tax_rate = PlainDecimalField(
        max_digits=5, decimal_places=2, required=False, help_text="Percent, 0 to 100."
    )
    unit_code = serializers.ChoiceField(
        choices=UnitCode.choices,
        required=False,
        default=UnitCode.ONE,
        help_text="UN/ECE Recommendation 20 unit; defaults to C62 (one). HUR for hours.",
    )
    tax_category = serializers.ChoiceField(
        choices=TaxCategory.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Left out or empty: S when tax_rate is above 0, else Z. E, AE and O lines "
        "have tax_rate 0; E needs tax_exemption_reason.",
    )
    tax_exemption_reason = Text(
        max_length=MAX_EXEMPTION_REASON,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why an E, AE or O line carries no VAT; exempt lines of one document share "
        "one reason.",
    )


class DocumentUpdateInSerializer(serializers.Serializer):
    issue_date = date_field()
    due_date = date_field(required=False, allow_null=True, help_text="Invoices only.")
    valid_until = date_field(required=False, allow_null=True, help_text="Quotes only.")
    notes = Text(max_length=MAX_TEXT, allow_blank=True, required=False)
    terms = Text(max_length=MAX_TEXT, allow_blank=True, required=False)
    lines = LineInSerializer(many=True, max_length=MAX_LINES)


class DocumentPatchInSerializer(DocumentUpdateInSerializer):
    """PATCH: every field optional, but a line that is given must be whole (DRF's partial
    mode would make the lines' own fields optional too)."""

    issue_date = date_field(required=False)
    lines = LineInSerializer(many=True, max_length=MAX_LINES, required=False)


# Kinds another endpoint makes: asking this one for them says where to go.
MADE_ELSEWHERE = {
    Kind.RECEIPT: "Receipts are issued from payments (POST /payments/ with issue_receipt).",
    Kind.CREDIT_NOTE: "Credit notes are issued by voiding a sent invoice "
    "(POST /documents/{id}/actions/void); they cannot be created on their own.",
}


class CreatableKindField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data in MADE_ELSEWHERE:
            raise serializers.ValidationError(MADE_ELSEWHERE[data], code="invalid_choice")
        return super().to_internal_value(data)


class DocumentCreateInSerializer(DocumentUpdateInSerializer):
    kind = CreatableKindField(choices=CREATABLE_KINDS, help_text=" ".join(MADE_ELSEWHERE.values()))
    customer = customer_id_field()
    issue_date = date_field(required=False, help_text="Defaults to today.")
    due_date = date_field(
        required=False, allow_null=True, help_text="Invoices; defaults to the payment terms."
    )
    valid_until = date_field(
        required=False, allow_null=True, help_text="Quotes; defaults to 30 days."
    )
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, required=False, help_text="Defaults to the customer's."
    )


class DocumentFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    state = serializers.ChoiceField(choices=State.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    number = Text(max_length=32, required=False, allow_blank=True)
    overdue = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: only invoices overdue today (sent or partially paid, due before "
        "the business's today, in its time zone).",
    )


class ReassignInSerializer(serializers.Serializer):
    customer = customer_id_field(help_text="The new customer.")


class ConvertInSerializer(serializers.Serializer):
    to_kind = serializers.ChoiceField(choices=CONVERTIBLE_KINDS)


# --- Payments --------------------------------------------------------------------------


def _money(**kwargs: Any) -> PlainDecimalField:
    # 12 whole digits, as on the payment page: beyond any real payment, inside the columns.
    # The currency's minor unit is the service's to check (minor_unit_error).
    return PlainDecimalField(max_digits=15, decimal_places=3, **kwargs)


class AllocationInSerializer(serializers.Serializer):
    invoice = document_id_field()
    amount = _money()


class PaymentInSerializer(serializers.Serializer):
    customer = customer_id_field()
    date = date_field()
    amount = _money()
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, required=False, help_text="Defaults to the customer's."
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = Text(max_length=100, allow_blank=True, required=False, default="")
    allocations = AllocationInSerializer(many=True, required=False, max_length=MAX_LINES)
    issue_receipt = serializers.BooleanField(required=False, default=False)


class AllocationOutSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")
    amount = MoneyField(currency="payment.currency")


class PaymentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    date = serializers.DateField()
    amount = MoneyField()
    currency = serializers.CharField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField()
    receipt = serializers.SerializerMethodField(help_text="The receipt document's id, if issued.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_receipt(self, payment) -> int | None:
        receipt = getattr(payment, "receipt", None)
        return receipt.pk if receipt is not None else None


class PaymentOutSerializer(PaymentSummarySerializer):
    allocations = AllocationOutSerializer(many=True, source="allocations.all")


class PaymentFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


# --- Activity --------------------------------------------------------------------------


class ActivityOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    verb = serializers.ChoiceField(choices=Verb.choices)
    verb_label = serializers.CharField(source="get_verb_display")
    actor_type = serializers.ChoiceField(choices=ActorType.choices)
    actor_label = serializers.CharField()
    document = serializers.IntegerField(source="document_id", allow_null=True)
    document_number = serializers.SerializerMethodField()
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    details = serializers.DictField()

    def get_document_number(self, activity: Activity) -> str | None:
        return activity.document.number if activity.document_id else None
