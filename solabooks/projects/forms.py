"""Forms of the projects app: staff forms for projects and time, and the customer's
decision on an approval request."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from solabooks.core.forms import DecimalField

from .hours import HOURS_HELP, InvalidHours, parse_hours
from .models import ProjectStatus
from .services import FIRST_YEAR, LAST_YEAR, EntryInput, ProjectInput

DECISION_KEY = re.compile(r"decision-([0-9]{1,18})")
MAX_DECISIONS = 500
APPROVE, REJECT = "approve", "reject"


class TimeDecisionForm(forms.Form):
    """The approval page's form: `shown` (the fingerprint of what the page showed), and
    for each entry `decision-<item id>` (approve, reject or empty: not yet) with
    `comment-<item id>`. Approve all ignores the per-entry choices."""

    shown = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)

    def __init__(self, *args, approve_all: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.approve_all = approve_all

    def clean(self):
        cleaned = super().clean()
        decisions: dict[int, tuple[str, str]] = {}
        if not self.approve_all and self.data:
            for key in self.data:
                match = DECISION_KEY.fullmatch(key)
                if not match:
                    continue
                choice = self.data.get(key, "")
                if choice in ("", None):
                    continue
                if choice not in (APPROVE, REJECT):
                    raise forms.ValidationError("Choose approve or reject.")
                comment = str(self.data.get(f"comment-{match[1]}", "") or "")
                decisions[int(match[1])] = (choice, comment)
                if len(decisions) > MAX_DECISIONS:
                    raise forms.ValidationError("Too many entries in one decision.")
        cleaned["decisions"] = decisions
        return cleaned

    def choice_for(self, item_id: int) -> str:
        return str(self.data.get(f"decision-{item_id}", "")) if self.is_bound else ""

    def comment_for(self, item_id: int) -> str:
        return str(self.data.get(f"comment-{item_id}", "")) if self.is_bound else ""


class HoursField(forms.CharField):
    """Hours as typed: 1.5, 1.25 or 1:30."""

    MAX_LENGTH = 10

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", HOURS_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", str(self.MAX_LENGTH))

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > self.MAX_LENGTH:
            raise forms.ValidationError(HOURS_HELP)
        try:
            return parse_hours(value)
        except InvalidHours as error:
            raise forms.ValidationError(str(error)) from None


# --- Staff ------------------------------------------------------------------------------


class ProjectForm(forms.Form):
    customer = forms.TypedChoiceField(coerce=int, label="Customer")
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(choices=ProjectStatus.choices, initial=ProjectStatus.ACTIVE)
    budget_hours = DecimalField(
        required=False, max_digits=10, decimal_places=2, min_value=Decimal("0.01"),
        label="Budget (hours)", help_text="Optional.",
    )  # fmt: skip
    budget_amount = DecimalField(
        required=False, max_digits=18, decimal_places=3, min_value=Decimal("0.01"),
        label="Budget (amount)", help_text="Optional, in the customer's currency.",
    )  # fmt: skip
    default_rate = DecimalField(
        max_digits=14, decimal_places=3, min_value=0, initial=Decimal("0"),
        label="Default hourly rate", help_text="In the customer's currency; each entry may differ.",
    )  # fmt: skip
    show_entries = forms.BooleanField(
        required=False, initial=True, label="Customer sees individual time entries",
        help_text="Otherwise only totals by month and state.",
    )  # fmt: skip
    show_rates = forms.BooleanField(
        required=False, initial=True, label="Customer sees rates and amounts"
    )
    show_staff = forms.BooleanField(required=False, initial=True, label="Customer sees staff names")
    portal_visible = forms.BooleanField(
        required=False, label="Show in the customer's portal",
        help_text="Under Projects, for a customer with a portal account.",
    )  # fmt: skip

    def __init__(self, *args, customers, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "Choose a customer")] + [
            (customer.pk, f"{customer.name} ({customer.currency})") for customer in customers
        ]

    def project_input(self) -> ProjectInput:
        data = self.cleaned_data
        return ProjectInput(
            name=data["name"],
            description=data["description"],
            status=data["status"],
            budget_hours=data["budget_hours"],
            budget_amount=data["budget_amount"],
            default_rate=data["default_rate"] or Decimal("0"),
            show_entries=data["show_entries"],
            show_rates=data["show_rates"],
            show_staff=data["show_staff"],
            portal_visible=data["portal_visible"],
        )


def _labelled(widget, label: str, **attrs):
    return widget(attrs={"aria-label": label, **attrs})


class TimeEntryForm(forms.Form):
    date = forms.DateField(widget=_labelled(forms.DateInput, "Date", type="date"))
    staff_member = forms.TypedChoiceField(
        coerce=int, widget=_labelled(forms.Select, "Staff member")
    )
    hours = HoursField(
        widget=_labelled(forms.TextInput, "Hours", inputmode="decimal", placeholder="1:30")
    )
    description = forms.CharField(max_length=500, widget=_labelled(forms.TextInput, "Description"))
    billable = forms.BooleanField(
        required=False, initial=True, widget=_labelled(forms.CheckboxInput, "Billable")
    )
    rate = DecimalField(
        required=False, max_digits=14, decimal_places=3, min_value=0,
        widget=_labelled(forms.TextInput, "Rate", inputmode="decimal"),
        help_text="Empty: the project's rate.",
    )  # fmt: skip

    def __init__(self, *args, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff_member"].choices = [
            (member.pk, member.display_name) for member in members
        ]
        self.members = {member.pk: member for member in members}

    def has_changed(self) -> bool:
        """A row counts once hours or a description is typed: the date, staff member and
        billable box come filled in, so an untouched row is skipped, not an error."""
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in ("hours", "description")
        )

    def clean_date(self) -> datetime.date:
        value = self.cleaned_data["date"]
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")
        return value

    def clean_description(self) -> str:
        value = " ".join(self.cleaned_data["description"].split())
        if not value:
            raise ValidationError("Describe the work.")
        return value

    def entry_input(self) -> EntryInput:
        data = self.cleaned_data
        return EntryInput(
            date=data["date"],
            hours=data["hours"],
            description=data["description"],
            billable=data["billable"],
            rate=data["rate"],
            staff_member=self.members.get(data["staff_member"]),
        )


class BaseTimeRowFormSet(forms.BaseFormSet):
    """A week's rows in one submission: rows left blank are skipped."""

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.entry_inputs():
            raise ValidationError("Fill in at least one row.")

    def entry_inputs(self) -> list[EntryInput]:
        return [
            form.entry_input() for form in self.forms if form.has_changed() and form.cleaned_data
        ]


TIME_ROWS = 7
TimeRowFormSet = forms.formset_factory(
    TimeEntryForm,
    formset=BaseTimeRowFormSet,
    extra=TIME_ROWS,
    max_num=100,
    validate_max=True,
    absolute_max=101,
)


class ShareForm(forms.Form):
    message = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RequestApprovalForm(forms.Form):
    entries = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Entries to send"
    )
    message = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, entries, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(entry.pk, str(entry.pk)) for entry in entries]


class InvoiceTimeForm(forms.Form):
    grouping = forms.ChoiceField(widget=forms.RadioSelect, label="Invoice lines")

    def __init__(self, *args, **kwargs) -> None:
        from .invoicing import GROUPINGS, PER_ENTRY

        super().__init__(*args, **kwargs)
        self.fields["grouping"].choices = list(GROUPINGS.items())
        self.fields["grouping"].initial = PER_ENTRY


class ProjectFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProjectStatus.choices])
    customer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args, customers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "Any customer")] + [
            (customer.pk, customer.name) for customer in customers
        ]
