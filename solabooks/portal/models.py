"""Customer portal accounts (the guide's Option B).

A `PortalUser` is a person: one email and one password, shared by every business that gives
that email access. A `PortalAccess` is one business's grant to one of its customers. A
`PortalToken` is a 60-minute setup or password-reset link, stored only as a SHA-256.

Sessions and tokens are invalidated by state, not by deleting rows (like Django's
password-reset tokens): a session remembers the access's `session_epoch` and a fingerprint
of the password hash; Disable bumps the epoch and a password change changes the hash, so
every session issued before simply stops matching.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from solabooks.core.scoping import OrganizationScopedManager


class PortalUser(models.Model):
    """One email + one password, global across businesses. Never a staff `User`."""

    # Stored lowercased (a constraint holds it), so one address is one account.
    email = models.EmailField(unique=True)
    # A Django password hash (argon2); "" until the person has chosen a password.
    password = models.CharField(max_length=128, blank=True, default="")
    password_changed_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="portal_email_lower")
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def password_context_words(self) -> list[str]:
        """What this person's password may not contain (core.passwords): their email's
        name and the names of the customers and businesses that gave them access."""
        from solabooks.core.passwords import context_words

        names: list[str] = []
        if self.pk:
            for customer, business in self.accesses.values_list(
                "customer__name", "organization__name"
            ):
                names += [customer, business]
        return context_words(email=self.email or "", names=names)


class AccessState(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"


class PortalAccess(models.Model):
    """A business's grant of portal access to one of its customers (one row per customer)."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_access"
    )
    # The person (email) the access was last enabled for.
    portal_user = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="accesses")
    state = models.CharField(max_length=16, choices=AccessState.choices)
    # Bumped by every enable and disable: a session or setup link carries the epoch it was
    # issued under and is refused once it differs.
    session_epoch = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words that outlive the actor: a staff email, "link #12", "jane@bakery.test".
    changed_by_label = models.CharField(max_length=200, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationScopedManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=AccessState.values), name="portal_access_known_state"
            )
        ]
        indexes = [models.Index(fields=["portal_user", "state"])]

    def __str__(self) -> str:
        return f"portal access #{self.pk} ({self.state})"


class TokenPurpose(models.TextChoices):
    SETUP = "setup", "Set up an account"
    RESET = "reset", "Reset a password"
    # Sign-in paused after 100 consecutive failures (core.signin): this link resumes it.
    UNLOCK = "unlock", "Unlock sign-in"


class PortalToken(models.Model):
    """A single-use 60-minute link (set up, reset, unlock). Only its SHA-256 is kept.

    It is refused once used, expired, superseded by a newer link of the same purpose, or
    when the state it was issued for has moved on: the password changed
    (`password_fingerprint`) or the access was disabled / re-enabled (`access_epoch`).
    """

    portal_user = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="tokens")
    # The business whose email carried the link: its branding, and where the user lands.
    access = models.ForeignKey(
        PortalAccess, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    purpose = models.CharField(max_length=8, choices=TokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    password_fingerprint = models.CharField(max_length=64)
    access_epoch = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["portal_user", "purpose", "used_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="portal_token_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=TokenPurpose.values), name="portal_token_known_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"portal {self.purpose} token #{self.pk}"
