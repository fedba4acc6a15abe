from django.db import models
from django.utils import timezone

from solabooks.core.scoping import OrganizationScopedQuerySet


class ActorType(models.TextChoices):
    STAFF = "staff", "Staff"
    LINK = "link", "Customer via secure link"
    PORTAL = "portal", "Customer portal user"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "System"


class Verb(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    STATE_CHANGED = "state_changed", "Status changed"
    SENT = "sent", "Sent to customer"
    EMAIL_DELIVERED = "email_delivered", "Email delivered"
    EMAIL_FAILED = "email_failed", "Email delivery failed"
    EMAIL_RETRYING = "email_retrying", "Email delivery retrying"
    VIEWED = "viewed", "Viewed by customer"
    # A signed-in member of the business opened the customer's page (tenancy/previews.py):
    # never the customer's view.
    PREVIEWED = "previewed", "Previewed by staff"
    PDF_DOWNLOADED = "pdf_downloaded", "PDF downloaded"
    EINVOICE_DOWNLOADED = "einvoice_downloaded", "E-invoice XML downloaded"
    QUOTE_ACCEPTED = "quote_accepted", "Quote accepted"
    QUOTE_DECLINED = "quote_declined", "Quote declined"
    QUOTE_CONVERTED = "quote_converted", "Quote converted"
    REASSIGNED = "reassigned", "Re-assigned to another customer"
    LINKS_REVOKED = "links_revoked", "Links revoked"
    ACCESS_REQUESTED = "access_requested", "Fresh link requested"
    VOIDED = "voided", "Voided"
    PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
    RECEIPT_ISSUED = "receipt_issued", "Receipt issued"
    CREDIT_NOTE_ISSUED = "credit_note_issued", "Credit note issued"
    CUSTOMER_CREATED = "customer_created", "Customer created"
    CUSTOMER_EDITED = "customer_edited", "Customer edited"
    PORTAL_ENABLED = "portal_enabled", "Portal access enabled"
    PORTAL_DISABLED = "portal_disabled", "Portal access disabled"
    PORTAL_SETUP_SENT = "portal_setup_sent", "Portal setup email sent"
    PORTAL_ACTIVATED = "portal_activated", "Portal account set up"
    API_CALL = "api_call", "API call"
    PORTAL_SIGNED_IN = "portal_signed_in", "Signed in to the customer portal"
    SETTINGS_CHANGED = "settings_changed", "Business settings changed"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_ROLE_CHANGED = "member_role_changed", "Member role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    PROJECT_CREATED = "project_created", "Project created"
    PROJECT_EDITED = "project_edited", "Project edited"
    PROJECT_SHARED = "project_shared", "Project shared with the customer"
    TIME_LOGGED = "time_logged", "Time logged"
    TIME_EDITED = "time_edited", "Time entry edited"
    TIME_DELETED = "time_deleted", "Time entry deleted"
    APPROVAL_REQUESTED = "approval_requested", "Time approval requested"
    APPROVAL_CHANGED = "approval_changed", "Entry taken out of an approval request"
    APPROVAL_WITHDRAWN = "approval_withdrawn", "Time approval request withdrawn"
    TIME_DECIDED = "time_decided", "Time approved or rejected by the customer"
    TIME_INVOICED = "time_invoiced", "Time invoiced"
    TIME_RELEASED = "time_released", "Invoiced time released"
    NOTIFICATION_SETTINGS_CHANGED = (
        "notification_settings_changed",
        "Notification settings changed",
    )


class ActivityQuerySet(OrganizationScopedQuerySet):
    def update(self, **kwargs):
        raise TypeError("Activity is append-only.")

    def delete(self):
        raise TypeError("Activity is append-only.")


class Activity(models.Model):
    """One thing that happened. Append-only: nothing edits or deletes a row."""

    # Every read of Activity is by business, customer or document, newest first: the three
    # composite indexes below serve those (and the cascades), so these foreign keys carry
    # no index of their own. Activity takes a row on every customer view, download and API
    # call, and each index is written with every row.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity",
        db_index=False,
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity",
        db_index=False,
    )
    verb = models.CharField(max_length=32, choices=Verb.choices)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words that outlive the actor: "link #12", "jane@acme.test", "key sb_1a2b".
    actor_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # When it happened: set when the row is made, kept when it is written later (the
    # access log writes its records in batches; auto_now_add would stamp the write).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Append-only: its queryset refuses update() and delete(), and save() and delete()
    # below refuse an existing row, so only INSERTs reach the table.
    objects = models.Manager.from_queryset(ActivityQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["document", "-created_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["project", "-created_at"]),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Activity is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Activity is append-only.")

    def __str__(self) -> str:
        return f"{self.get_verb_display()} by {self.actor_label or self.get_actor_type_display()}"
