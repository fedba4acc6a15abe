from django.db import models
from django.db.models import Q
from django.utils import timezone

from solabooks.core.scoping import OrganizationScopedManager


class OutboxState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """One email to send. Committed with the request; a task delivers it (see services.py).

    The bodies are stored fully rendered, except for a secret link: the templates rendered
    `{{ link_url }}` as a placeholder and the real URL sits encrypted in
    `secret_url_encrypted` until delivery, which wipes it.
    """

    # None for Solabooks' own emails to staff (password reset, unlock), which belong to no
    # business.
    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Kept when the document/customer goes: the outbox is the record of what was sent.
    document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    template = models.CharField(max_length=100)
    to = models.EmailField()
    from_email = models.CharField(max_length=400)
    reply_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=998)
    text_body = models.TextField()
    html_body = models.TextField()
    # AES-GCM ciphertext of the secret link (see crypto.py); "" once sent or given up on.
    secret_url_encrypted = models.TextField(blank=True, default="")
    # The Message-ID header, fixed at queue time so a retried send is recognisably the same.
    message_id = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a worker claimed it; a "sending" row claimed long ago belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["organization", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=OutboxState.values), name="outbox_known_state"
            ),
            # A finished message never keeps its secret.
            models.CheckConstraint(
                condition=Q(state__in=[OutboxState.QUEUED, OutboxState.SENDING])
                | Q(secret_url_encrypted=""),
                name="outbox_secret_wiped_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(state=OutboxState.SENT) | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.state})"


class OutboxAttachment(models.Model):
    """A file sent with an outbox message. The bytes stay in the private storage
    (`storage_name`), written once by whoever queued the message; delivery reads them, so a
    retry sends the same file and the database holds no blobs."""

    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, default="application/pdf")
    storage_name = models.CharField(max_length=300)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["message", "position", "id"]

    def __str__(self) -> str:
        return self.filename
