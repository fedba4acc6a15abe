from django.db import models

from solabooks.core.scoping import OrganizationScopedManager


class LinkPurpose(models.TextChoices):
    DOCUMENT = "document", "Document"
    PROJECT_SHARE = "project_share", "Project share"
    TIME_APPROVAL = "time_approval", "Time approval"


class SecureLink(models.Model):
    """A secure link. Only the SHA-256 of its token is kept; the token is in the email alone."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="secure_links"
    )
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices, default="document")
    # SET_NULL, not CASCADE: a link whose document was deleted must still be found, so its
    # page can say "no longer valid" instead of an unexplained 404.
    document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="secure_links",
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="secure_links",
        db_index=False,  # the (project, revoked_at) index serves it
    )
    # A time-approval link opens one request of its project.
    approval_request = models.ForeignKey(
        "projects.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="links",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "customer", "revoked_at", "expires_at"]),
            models.Index(fields=["document", "revoked_at"]),
            models.Index(fields=["project", "revoked_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="link_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"link #{self.pk}"
