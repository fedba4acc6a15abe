from decimal import Decimal

from django.db import models
from django.db.models import Q

from solabooks.core.scoping import OrganizationScopedManager


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"


class Project(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default="active")
    budget = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Approval(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


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
    approval = models.CharField(max_length=16, choices=Approval.choices, default="pending")
    customer_comment = models.TextField(blank=True)
    invoice = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="time_hours_in_a_day"
            )
        ]
