import datetime
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from solabooks.core.money import CURRENCY_CHOICES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member of one or more businesses. Customers are never Users."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def password_context_words(self) -> list[str]:
        """What this person's password may not contain (core.passwords): their email's
        name and the names of the businesses they belong to."""
        from solabooks.core.passwords import context_words

        names = []
        if self.pk:
            names = list(
                Organization.objects.filter(memberships__user=self).values_list("name", flat=True)
            )
        return context_words(email=self.email or "", names=names)


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f6feb.")
number_prefix = RegexValidator(
    r"^[A-Z0-9][A-Z0-9\-]{0,9}$", "Use 1–10 capital letters, digits or dashes."
)

# Logos are the only files in public media (the default storage), all in this folder.
LOGO_FOLDER = "logos"


class PaperSize(models.TextChoices):
    """What the business prints on: its PDFs' page size (pdf/_print.css `@page size`)."""

    A4 = "a4", "A4"
    LETTER = "letter", "US Letter"


# Letter is the paper of the United States and Canada; the rest of the world uses A4.
LETTER_COUNTRIES = frozenset({"US", "CA"})


def default_paper_size(country) -> str:
    """The paper a business in `country` (a code or a Country) prints on by default."""
    return PaperSize.LETTER if str(country or "").upper() in LETTER_COUNTRIES else PaperSize.A4


class Organization(models.Model):
    """A business. Every business row in Solabooks carries one."""

    name = models.CharField(max_length=200)
    # The postal address: street lines in `address`, then postcode, city and country.
    address = models.TextField(blank=True, verbose_name="Street address")
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    # What an e-invoice needs of the seller (solabooks.einvoice); all optional here: a
    # business without them sends invoices without structured data.
    legal_name = models.CharField(max_length=200, blank=True)
    vat_id = models.CharField(max_length=20, blank=True, verbose_name="VAT identifier")
    registration_id = models.CharField(
        max_length=50, blank=True, verbose_name="Legal registration identifier"
    )
    iban = models.CharField(max_length=34, blank=True, verbose_name="IBAN")
    bic = models.CharField(max_length=11, blank=True, verbose_name="BIC")
    reply_to_email = models.EmailField(blank=True)
    logo = models.ImageField(upload_to=f"{LOGO_FOLDER}/", blank=True)
    brand_colour = models.CharField(max_length=7, default="#1f6feb", validators=[hex_colour])
    default_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    time_zone = models.CharField(max_length=64, default="UTC")
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    # Empty only until the first save, which takes the country's (default_paper_size).
    paper_size = models.CharField(max_length=8, choices=PaperSize.choices, blank=True)
    invoice_prefix = models.CharField(max_length=10, default="INV", validators=[number_prefix])
    quote_prefix = models.CharField(max_length=10, default="QUO", validators=[number_prefix])
    sales_order_prefix = models.CharField(max_length=10, default="SO", validators=[number_prefix])
    receipt_prefix = models.CharField(max_length=10, default="RCT", validators=[number_prefix])
    credit_note_prefix = models.CharField(max_length=10, default="CN", validators=[number_prefix])
    allow_portal_setup_from_link = models.BooleanField(
        default=True,
        verbose_name="Customers may set up a portal account from a secure link",
    )
    # Bumped whenever branding changes, so cached PDFs are rendered anew.
    branding_version = models.PositiveIntegerField(default=1)
    # Moves after every committed change to the business's data (tenancy.versions): a
    # rendered answer kept under one value shows exactly the data of that value or newer.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.paper_size:
            self.paper_size = default_paper_size(self.country)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "paper_size"}
        # Only tenancy.versions writes data_version, with an increment in SQL: a save of
        # an instance read earlier must not put an old value back (answers cached under
        # that value would be served again as if nothing had changed since).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "data_version"
            ]
        super().save(*args, **kwargs)

    @property
    def zone(self) -> datetime.tzinfo:
        """The business's time zone (UTC if the stored name is somehow unknown)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return datetime.UTC

    @property
    def page_size(self) -> str:
        """The CSS page size of the business's PDFs: "A4" or "letter"."""
        paper = self.paper_size or default_paper_size(self.country)
        return "letter" if paper == PaperSize.LETTER else "A4"

    def today(self) -> datetime.date:
        """Today's date where the business is: the default issue date, "overdue" from."""
        return timezone.localdate(timezone=self.zone)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    ACCOUNTANT = "accountant", "Accountant"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "manager", "accountant"]), name="known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class ApiKey(models.Model):
    """A business's API key. Only its SHA-256 is kept; the key is shown once, at creation."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class StaffTokenPurpose(models.TextChoices):
    SETUP = "setup", "Choose a first password"
    RESET = "reset", "Reset a password"
    # Sign-in paused after 100 consecutive failures (core.signin): this link resumes it.
    UNLOCK = "unlock", "Unlock sign-in"


class StaffToken(models.Model):
    """A single-use link emailed to a staff member (tenancy.accounts). Only the SHA-256 of
    the token is kept; a newer link of the same purpose, or a new password, kills it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=8, choices=StaffTokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "used_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="staff_token_expires_later",
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=StaffTokenPurpose.values),
                name="staff_token_known_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"staff {self.purpose} token #{self.pk}"
