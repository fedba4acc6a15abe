"""What a customer agreed to: the business's quote terms (versioned) and the record kept of
each accepted quote (services in acceptance.py). Imported by models.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from solabooks.core.scoping import OrganizationScopedManager


class QuoteTerms(models.Model):
    """One version of a business's quote terms. Editing adds a version and never changes an
    old one: an acceptance record names the version the customer agreed to. The current
    terms are the latest version; an empty text means the business has cleared them."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    version = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="quote_terms_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Quote terms v{self.version}"


class AcceptanceChannel(models.TextChoices):
    LINK = "link", "Secure link"
    PORTAL = "portal", "Portal account"
    # Staff's "Mark accepted": the customer decided outside Solabooks.
    STAFF = "staff", "Recorded by staff"


class AcceptanceRecord(models.Model):
    """The proof of one accepted quote, written in the decision's transaction and never
    changed: the PDF of the accepted version and a certificate, both in the private storage
    under unguessable names, with what the certificate says."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # PROTECT: the proof outlives nothing it proves.
    document = models.OneToOneField(
        "documents.Document", on_delete=models.PROTECT, related_name="acceptance_record"
    )
    content_version = models.PositiveIntegerField()
    signer_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=AcceptanceChannel.choices)
    # "link #12", "portal account #3 (jane@example.com)", "staff (owner@example.com)".
    channel_label = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms_version = models.PositiveIntegerField(null=True, blank=True)
    terms_text = models.TextField(blank=True)
    pdf_sha256 = models.CharField(max_length=64, db_index=True)
    pdf_name = models.CharField(max_length=300)
    certificate_sha256 = models.CharField(max_length=64)
    certificate_name = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=AcceptanceChannel.values),
                name="acceptance_known_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"Acceptance of document {self.document_id} v{self.content_version}"

    def save(self, *args, **kwargs) -> None:
        # Written once: the record is evidence (its id is never chosen by hand).
        if self.pk is not None:
            raise RuntimeError("An acceptance record is never changed.")
        super().save(*args, **kwargs)
