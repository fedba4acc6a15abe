"""Projects, their time entries, and the approval requests customers decide on.

What may happen to a time entry (and when it is locked) is in states.py, not here.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from solabooks.core.scoping import OrganizationScopedManager

MAX_HOURS = Decimal("24")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"


class Project(models.Model):
    """Work for one customer. Budgets and rates are in the customer's currency."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default="active")
    budget_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    budget_amount = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    default_rate = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    # What the customer sees on the project share page, the approval page and the portal.
    show_entries = models.BooleanField(
        default=True, help_text="Individual time entries; otherwise only totals."
    )
    show_rates = models.BooleanField(default=True, help_text="Rates and amounts.")
    show_staff = models.BooleanField(default=True, help_text="Staff names.")
    portal_visible = models.BooleanField(
        default=False, help_text="Listed in the customer's portal, under Projects."
    )
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "customer", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_hours__isnull=True) | Q(budget_hours__gt=0),
                name="project_budget_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gt=0),
                name="project_budget_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(default_rate__gte=0), name="project_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def currency(self) -> str:
        return self.customer.currency


class EntryState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    INVOICED = "invoiced", "Invoiced"


class TimeEntry(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="time_entries")
    date = models.DateField()
    staff_member = models.ForeignKey(
        "tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    description = models.CharField(max_length=500)
    billable = models.BooleanField(default=True)
    rate = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    state = models.CharField(max_length=16, choices=EntryState.choices, default="pending")
    # The customer's comment on the latest rejection.
    customer_comment = models.TextField(blank=True)
    # The approval request the entry is waiting in (locked while set), else null.
    open_request = models.ForeignKey(
        "projects.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invoice = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invoice line it was billed on, while that line exists (editing a draft's lines
    # replaces them; the Activity of the invoicing keeps the mapping for good).
    invoice_line = models.ForeignKey(
        "documents.DocumentLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["project", "state"]),
            models.Index(fields=["project", "-date", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="time_hours_in_a_day"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="time_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(state__in=EntryState.values), name="time_state_known"
            ),
            # Only an invoiced entry names an invoice (voiding it releases the entry).
            models.CheckConstraint(
                condition=Q(invoice__isnull=True) | Q(state="invoiced"),
                name="time_invoice_only_when_invoiced",
            ),
            # An entry waits for the customer only while pending and billable.
            models.CheckConstraint(
                condition=Q(open_request__isnull=True) | (Q(state="pending") & Q(billable=True)),
                name="time_open_request_only_when_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.hours} h"


class RequestState(models.TextChoices):
    OPEN = "open", "Waiting for the customer"
    COMPLETED = "completed", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ApprovalRequest(models.Model):
    """A set of pending billable entries sent to the customer to approve or reject.

    Its items are fixed when it is sent; staff can only take entries out (which moves
    `version`, so a page showing the old set cannot decide) or withdraw it whole.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="approval_requests")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="approval_requests"
    )
    state = models.CharField(max_length=16, choices=RequestState.choices, default="open")
    version = models.PositiveIntegerField(default=1)
    sent_to = models.EmailField()
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="approval_request_state_known"
            )
        ]

    def __str__(self) -> str:
        return f"approval request #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == RequestState.OPEN


class ItemDecision(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    # Taken out of the request by staff before the customer decided.
    REMOVED = "removed", "Taken out"


class ApprovalItem(models.Model):
    """One entry of a request, as it was sent: the customer decides on these values."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="items")
    # Kept when the entry is deleted later (a rejected entry may be): the values stay.
    entry = models.ForeignKey(
        TimeEntry, null=True, on_delete=models.SET_NULL, related_name="approval_items"
    )
    date = models.DateField()
    description = models.CharField(max_length=500)
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    rate = models.DecimalField(max_digits=14, decimal_places=3)
    amount = models.DecimalField(max_digits=18, decimal_places=3)
    staff_name = models.CharField(max_length=150, blank=True)
    decision = models.CharField(max_length=16, choices=ItemDecision.choices, default="pending")
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The Activity row that records the decision (who, IP, user agent, what was shown).
    decision_activity = models.ForeignKey(
        "activity.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "entry"], name="approval_item_once"),
            models.CheckConstraint(
                condition=Q(decision__in=ItemDecision.values), name="approval_item_decision_known"
            ),
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(comment=""),
                name="approval_item_rejection_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.hours} h"
