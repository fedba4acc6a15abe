"""Notifications to the business about what its customers do: the members' switches and the
pending emails that collect a burst of events into one."""

from django.db import models
from django.db.models import Q

from solabooks.core.scoping import OrganizationScopedManager


class Kind(models.TextChoices):
    QUOTE_DECIDED = "quote_decided", "A customer accepts or declines a quote"
    FIRST_VIEWED = "first_viewed", "A customer opens a document for the first time"
    PORTAL_SET_UP = "portal_set_up", "A customer sets up their portal account"


# A member without a row gets these: decisions and set-ups on, views off (views are many).
DEFAULTS = {Kind.QUOTE_DECIDED: True, Kind.FIRST_VIEWED: False, Kind.PORTAL_SET_UP: True}


class NotificationPreference(models.Model):
    """One member's switches in one business (a person in two businesses has two rows), or,
    with no user, those of the business's reply-to address (set by an owner)."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # None: the row of the business's reply-to address.
    user = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    quote_decided = models.BooleanField(default=DEFAULTS[Kind.QUOTE_DECIDED])
    first_viewed = models.BooleanField(default=DEFAULTS[Kind.FIRST_VIEWED])
    portal_set_up = models.BooleanField(default=DEFAULTS[Kind.PORTAL_SET_UP])
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(user__isnull=False),
                name="one_notification_preference_per_member",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(user__isnull=True),
                name="one_notification_preference_for_reply_to",
            ),
        ]

    def allows(self, kind: str) -> bool:
        return bool(getattr(self, Kind(kind).value))


class PendingNotification(models.Model):
    """The events of one burst for one recipient: about one document, or (portal set-up) one
    customer. Events arriving before `due_at` join the row; the email goes out once, after
    `due_at`, by whoever first claims the row (`sent_at` set in the same UPDATE)."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.EmailField()
    # Each: {"kind", "at" (ISO, UTC), plus what the email says: signer, reason, decision}.
    events = models.JSONField(default=list)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    outbox_message = models.ForeignKey(
        "mail.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganizationScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "due_at"]),
            models.Index(fields=["organization", "recipient", "document"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False) | Q(customer__isnull=False),
                name="pending_notification_has_subject",
            )
        ]
