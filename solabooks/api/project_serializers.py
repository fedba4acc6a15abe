"""Input and output serializers of the projects and time API (api/views/projects.py and project_actions.py).

As in serializers.py: inputs only parse (types, lengths, digits that fit the columns, ids of
the caller's business); every rule of projects and time (what is locked, budgets, who may
log time) is solabooks.projects' to enforce. Outputs list their fields explicitly: a link's
token (or its hash) is never one of them.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from solabooks.core.money import format_money
from solabooks.projects import services as project_services
from solabooks.projects import states
from solabooks.projects.approvals import MAX_ENTRIES_PER_REQUEST, MAX_MESSAGE
from solabooks.projects.hours import HOURS_HELP, InvalidHours, format_hours, parse_hours
from solabooks.projects.invoicing import GROUPINGS
from solabooks.projects.models import (
    EntryState,
    ItemDecision,
    ProjectStatus,
    RequestState,
    TimeEntry,
)
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.selectors import link_state
from solabooks.tenancy.models import User

from .fields import MONEY_PATTERN, MoneyField, PlainDecimalField, PriceField
from .serializers import LINK_STATES, MAX_ID, ScopedIdField, Text, customer_id_field, date_field

# What the hours field takes: a duration (h:mm) or a plain number. Looser than the rule
# (0 < h <= 24 in 0.01 steps, which parse_hours checks), never stricter: whatever the
# pattern refuses, the field refuses too.
HOURS_PATTERN = r"^(?:[0-9]{1,2}:[0-9]{2}|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
HOURS_MAX_LENGTH = 10
HOURS_OUT_PATTERN = r"^[0-9]+\.[0-9]{2}$"
BURN_LEVELS = [("ok", "Under 80 %"), ("warning", "80 % to 100 %"), ("over", "Over budget")]
BURN_KINDS = [("hours", "Hours"), ("amount", "Amount")]
PROJECT_LINK_PURPOSES = [
    (p.value, p.label) for p in (LinkPurpose.PROJECT_SHARE, LinkPurpose.TIME_APPROVAL)
]
GROUPING_CHOICES = list(GROUPINGS.items())


# --- Fields ------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": HOURS_PATTERN,
        "minLength": 1,
        "maxLength": HOURS_MAX_LENGTH,
        "description": f'{HOURS_HELP} A JSON string: "1.5" or "1:30".',
    }
)
class HoursField(serializers.Field):
    """Hours in the one grammar of solabooks.projects.hours, sent as a JSON string and
    read as sent (no trimming: the schema's pattern has no spaces)."""

    default_error_messages = {
        "not_a_string": 'Send hours as a JSON string, such as "1.5" or "1:30".',
        "too_long": HOURS_HELP,
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        if len(data) > HOURS_MAX_LENGTH or data != data.strip():
            self.fail("too_long")
        try:
            return parse_hours(data)
        except InvalidHours as error:
            raise serializers.ValidationError(str(error), code="invalid") from None

    def to_representation(self, value: Decimal) -> str:
        return format_hours(value)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": HOURS_OUT_PATTERN})
class HoursOutField(serializers.Field):
    """Hours as the invoice shows them: always two decimals ("1.50")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Decimal) -> str:
        return format_hours(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdField(serializers.Field):
    """A JSON integer id (not "12", not 12.0, not true); whose it is, the service decides."""

    default_error_messages = {"invalid": "A valid integer id is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            self.fail("invalid")
        return data

    def to_representation(self, value: int) -> int:
        return value


def staff_member_field(**kwargs: Any) -> ScopedIdField:
    return ScopedIdField(
        scope=lambda org: User.objects.filter(memberships__organization=org),
        name="staff member",
        **kwargs,
    )


def _rate(**kwargs: Any) -> PlainDecimalField:
    # The TimeEntry / Project rate columns: 14 digits, 3 decimals.
    return PlainDecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0"), **kwargs)


# --- Projects ----------------------------------------------------------------------------


class ProjectInSerializer(serializers.Serializer):
    customer = customer_id_field(
        help_text="Changing it moves the project: its open approval requests are withdrawn "
        "and the old customer's project links stop working. Refused once time is invoiced."
    )
    name = Text(max_length=project_services.MAX_NAME)
    description = Text(
        max_length=project_services.MAX_PROJECT_DESCRIPTION, allow_blank=True, required=False
    )
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    budget_hours = PlainDecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="Optional; null for none.",
    )
    budget_amount = PlainDecimalField(
        max_digits=18,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        allow_null=True,
        help_text="Optional, in the customer's currency (rounded to its minor unit); null "
        "for none.",
    )
    default_rate = _rate(required=False, help_text="Hourly, in the customer's currency.")
    show_entries = serializers.BooleanField(
        required=False, help_text="The customer sees individual entries (else only totals)."
    )
    show_rates = serializers.BooleanField(
        required=False, help_text="The customer sees rates and amounts."
    )
    show_staff = serializers.BooleanField(
        required=False, help_text="The customer sees staff names."
    )
    portal_visible = serializers.BooleanField(
        required=False, help_text="Listed in the customer's portal."
    )


class ProjectFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    q = Text(max_length=100, required=False, allow_blank=True, help_text="Part of the name.")


class ProjectOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    currency = serializers.CharField(source="customer.currency")
    budget_hours = HoursOutField(allow_null=True)
    budget_amount = MoneyField(currency="customer.currency", allow_null=True)
    default_rate = PriceField(currency="customer.currency")
    show_entries = serializers.BooleanField()
    show_rates = serializers.BooleanField()
    show_staff = serializers.BooleanField()
    portal_visible = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StateTotalOutSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=EntryState.choices)
    count = serializers.IntegerField()
    hours = HoursOutField()
    billable_hours = HoursOutField()
    amount = MoneyField(help_text="Billable hours × rates, in the project's currency.")


class BurnOutSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BURN_KINDS)
    used = serializers.CharField(help_text="Hours, or an amount in the project's currency.")
    budget = serializers.CharField()
    percent = serializers.IntegerField()
    level = serializers.ChoiceField(choices=BURN_LEVELS)


class ProjectDetailOutSerializer(ProjectOutSerializer):
    totals = StateTotalOutSerializer(many=True, help_text="Every state, in a fixed order.")
    budget = BurnOutSerializer(
        many=True, help_text="Budget burn (all time except rejected) for each budget set."
    )


# --- Time entries ------------------------------------------------------------------------


class TimeEntryInSerializer(serializers.Serializer):
    date = date_field()
    hours = HoursField()
    description = Text(max_length=project_services.MAX_DESCRIPTION)
    billable = serializers.BooleanField(required=False, default=True)
    rate = _rate(
        required=False, allow_null=True, help_text="Hourly; null or left out: the project's."
    )
    staff_member = staff_member_field(
        required=False,
        help_text="A member of the business (user id). Left out: the signed-in staff member "
        "(a session), or nobody (an API key).",
    )


class TimeEntryPatchInSerializer(TimeEntryInSerializer):
    """PATCH: every field optional; a field left out keeps its value."""

    date = date_field(required=False)
    hours = HoursField(required=False)
    description = Text(max_length=project_services.MAX_DESCRIPTION, required=False)
    billable = serializers.BooleanField(required=False)


class TimeEntriesInSerializer(serializers.Serializer):
    entries = TimeEntryInSerializer(
        many=True,
        allow_empty=False,
        max_length=project_services.MAX_ENTRIES_PER_CALL,
        help_text=f"1 to {project_services.MAX_ENTRIES_PER_CALL} entries: all are stored, or none.",
    )


class EntryFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=EntryState.choices, required=False)


class TimeEntryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    date = serializers.DateField()
    staff_member = serializers.IntegerField(source="staff_member_id", allow_null=True)
    staff_name = serializers.SerializerMethodField()
    hours = HoursOutField()
    description = serializers.CharField()
    billable = serializers.BooleanField()
    rate = PriceField(currency="project.customer.currency")
    amount = serializers.SerializerMethodField(help_text="hours × rate, in the minor unit.")
    state = serializers.ChoiceField(choices=EntryState.choices)
    locked = serializers.SerializerMethodField(
        help_text="True when the entry cannot be changed or deleted now (`lock_reason` says "
        "why); PATCH and DELETE then answer 409."
    )
    lock_reason = serializers.SerializerMethodField()
    customer_comment = serializers.CharField(help_text="The customer's reason for a rejection.")
    open_request = serializers.IntegerField(
        source="open_request_id",
        allow_null=True,
        help_text="The approval request the entry is waiting in.",
    )
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_staff_name(self, entry: TimeEntry) -> str:
        return entry.staff_member.display_name if entry.staff_member_id else ""

    @extend_schema_field({"type": "string", "format": "decimal", "pattern": MONEY_PATTERN})
    def get_amount(self, entry: TimeEntry) -> str:
        currency = entry.project.customer.currency
        return format_money(project_services.entry_amount(entry, currency), currency)

    def get_locked(self, entry: TimeEntry) -> bool:
        return bool(states.lock_reason(entry))

    def get_lock_reason(self, entry: TimeEntry) -> str:
        return states.lock_reason(entry)


class TimeEntriesOutSerializer(serializers.Serializer):
    entries = TimeEntryOutSerializer(many=True)


# --- Sharing, approval requests, invoicing -----------------------------------------------


class ProjectSendInSerializer(serializers.Serializer):
    message = Text(
        max_length=MAX_MESSAGE,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="A note for the customer, in the email.",
    )
    # Like SendInSerializer: any value is accepted and overridden to 24 hours.
    expires_in = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Ignored: a link always expires 24 hours after it is created. Any value "
        "(seconds, an ISO-8601 duration, anything) is accepted and overridden.",
    )
    expires_at = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Ignored, like expires_in: the link expires 24 hours after creation.",
    )


class RequestApprovalInSerializer(ProjectSendInSerializer):
    entries = serializers.ListField(
        child=IdField(),
        required=False,
        min_length=1,
        max_length=MAX_ENTRIES_PER_REQUEST,
        help_text="Ids of pending billable entries of this project. Left out: every pending "
        "billable entry not already waiting in a request.",
    )


class InvoiceInSerializer(serializers.Serializer):
    grouping = serializers.ChoiceField(
        choices=GROUPING_CHOICES,
        help_text="entry: one line per entry; staff_rate: one per staff member and rate; "
        "day: one per day and rate.",
    )


class ProjectLinkOutSerializer(serializers.Serializer):
    """A project or time-approval link as staff see it: never its token."""

    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=PROJECT_LINK_PURPOSES)
    project = serializers.IntegerField(source="project_id")
    approval_request = serializers.IntegerField(source="approval_request_id", allow_null=True)
    customer = serializers.IntegerField(source="customer_id")
    sent_to = serializers.EmailField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=LINK_STATES))
    def get_state(self, link: SecureLink) -> str:
        return link_state(link).value


class ApprovalItemOutSerializer(serializers.Serializer):
    """An entry as it was sent for approval (the customer decides on these values)."""

    entry = serializers.IntegerField(source="entry_id", allow_null=True)
    date = serializers.DateField()
    description = serializers.CharField()
    hours = HoursOutField()
    rate = PriceField(currency="request.customer.currency")
    amount = MoneyField(currency="request.customer.currency")
    staff_name = serializers.CharField()
    decision = serializers.ChoiceField(choices=ItemDecision.choices)
    comment = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class ApprovalRequestOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    customer = serializers.IntegerField(source="customer_id")
    state = serializers.ChoiceField(choices=RequestState.choices)
    version = serializers.IntegerField()
    sent_to = serializers.EmailField()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    items = ApprovalItemOutSerializer(many=True, source="item_list")


class ProjectSendOutSerializer(serializers.Serializer):
    link = ProjectLinkOutSerializer()
    sent_to = serializers.EmailField()
    expiry_overridden = serializers.BooleanField(
        help_text="True when the request asked for an expiry other than 24 hours."
    )
    expiry_note = serializers.CharField()


class RequestApprovalOutSerializer(ProjectSendOutSerializer):
    approval_request = ApprovalRequestOutSerializer()
