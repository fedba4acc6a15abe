"""Every change to a business, its members and its API keys happens here, one transaction
each. Owner-only: the views that call these check `manage_*` permissions first."""

import io
import secrets
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.api.authentication import KEY_PREFIX, hash_api_key
from solabooks.core import identifiers
from solabooks.core.errors import DomainError
from solabooks.core.money import CURRENCY_MINOR_UNITS

from .models import (
    ApiKey,
    Membership,
    Organization,
    PaperSize,
    Role,
    User,
    hex_colour,
    number_prefix,
)

# Fields shown on documents, links and PDFs: changing one bumps branding_version so cached
# PDFs are rendered again.
BRANDING_FIELDS = frozenset(
    {
        "name",
        "address",
        "reply_to_email",
        "logo",
        "brand_colour",
        # The invoicing details (printed, and in the e-invoice).
        "postcode",
        "city",
        "country",
        "legal_name",
        "vat_id",
        "registration_id",
        "iban",
        "bic",
    }
)
# The invoicing details: one line of text each, at most their column's length.
INVOICING_TEXT_FIELDS = {
    "legal_name": ("The legal name", 200),
    "registration_id": ("The legal registration identifier", 50),
    "postcode": ("The postcode", 20),
    "city": ("The city", 100),
}
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
LOGO_MAX_SIDE = 4000
DAMAGED_LOGO = "That file could not be read as a PNG, JPEG or WebP image. It may be damaged."
ADDRESS_MAX = 2000
MAX_PAYMENT_TERMS_DAYS = 365


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Valid IANA names. available_timezones() walks the tz database, so it is read once."""
    return frozenset(available_timezones())


def validate_logo(upload: UploadedFile) -> str:
    """Check an uploaded logo by decoding it; returns the file extension for its format.

    The name and the browser's content type say nothing, so the bytes decide: only the
    PNG, JPEG and WebP decoders are tried, the header's dimensions are checked before any
    pixel is decoded (a small file can claim a huge image), then the image is checked whole
    and decoded, so a truncated or corrupt file is refused here rather than in a PDF later.
    """
    max_bytes = settings.LOGO_MAX_BYTES
    size = getattr(upload, "size", None)
    if not size:
        raise DomainError("The logo file is empty.")
    if size > max_bytes:
        raise DomainError(
            f"The logo is {size / 1024 / 1024:.1f} MB; the largest allowed is "
            f"{max_bytes / 1024 / 1024:g} MB."
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)  # at most 1 MiB, checked above
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(data), formats=list(LOGO_FORMATS)) as image:
            image_format = image.format
            if image_format not in LOGO_FORMATS:  # `formats=` already ensures it; be sure
                raise DomainError("Upload the logo as a PNG, JPEG or WebP image.")
            width, height = image.size
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise DomainError(
                    f"The logo is {width}×{height} pixels; the largest allowed is "
                    f"{LOGO_MAX_SIDE}×{LOGO_MAX_SIDE}."
                )
            # PNG: reads every chunk and checks its CRC, so a cut-off file fails here.
            image.verify()
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()
    except DomainError:
        raise
    except UnidentifiedImageError:
        raise DomainError("Upload the logo as a PNG, JPEG or WebP image.") from None
    except Image.DecompressionBombError:
        # Raised by Image.open itself when the header claims a gigantic image.
        raise DomainError(
            f"The logo is far too large; the largest allowed is {LOGO_MAX_SIDE}×{LOGO_MAX_SIDE}."
        ) from None
    except Exception:
        # Pillow raises many exception types on malformed input (OSError, ValueError,
        # SyntaxError, struct.error...). Any of them means "not a usable image", not a 500.
        raise DomainError(DAMAGED_LOGO) from None
    # WeasyPrint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES = True when
    # imported, and then load() quietly fills a cut-off JPEG with grey. So check the end
    # ourselves: entropy-coded data escapes every 0xFF byte, so an end-of-image marker after
    # the last start-of-scan marker means the last scan is complete. (WebP: libwebp already
    # refuses a truncated file in Image.open.)
    if image_format == "JPEG" and data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda"):
        raise DomainError(DAMAGED_LOGO)
    return LOGO_FORMATS[image_format]


def _check(validator, value: str) -> None:
    try:
        validator(value)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from None


def _clean_settings(values: dict) -> dict:
    """The rules of the settings form, enforced again for any other caller."""
    cleaned = {}
    for field, value in values.items():
        if field == "name":
            value = value.strip()
            if not value or len(value) > 200:
                raise DomainError("The business name must be 1–200 characters.")
        elif field == "address":
            value = value.strip()
            if len(value) > ADDRESS_MAX:
                raise DomainError(f"The address can be at most {ADDRESS_MAX} characters.")
        elif field == "reply_to_email":
            value = value.strip().lower()
            if value:
                _check(validate_email, value)
        elif field == "brand_colour":
            value = value.strip().lower()
            _check(hex_colour, value)
        elif field == "default_currency":
            if value not in CURRENCY_MINOR_UNITS:
                raise DomainError("Choose one of the listed currencies.")
        elif field == "time_zone":
            if value not in time_zone_names():
                raise DomainError("Choose a time zone from the list, e.g. Europe/London.")
        elif field == "paper_size":
            if value not in PaperSize.values:
                raise DomainError("Choose A4 or US Letter as the paper size.")
        elif field == "payment_terms_days":
            if not isinstance(value, int) or not 0 <= value <= MAX_PAYMENT_TERMS_DAYS:
                raise DomainError(
                    f"Payment terms must be between 0 and {MAX_PAYMENT_TERMS_DAYS} days."
                )
        elif field.endswith("_prefix"):
            value = value.strip().upper()
            _check(number_prefix, value)
        elif field == "allow_portal_setup_from_link":
            value = bool(value)
        elif field in INVOICING_TEXT_FIELDS:
            label, max_length = INVOICING_TEXT_FIELDS[field]
            value = identifiers.clean_text(value, label=label, max_length=max_length)
        elif field == "country":
            value = identifiers.clean_country(value)
        elif field == "iban":
            value = identifiers.clean_iban(value)
        elif field == "bic":
            value = identifiers.clean_bic(value)
        cleaned[field] = value
    return cleaned


def _clean_payment_account(org: Organization, values: dict) -> None:
    """The VAT identifier is read with the country it belongs to (the new one when both
    change), and a BIC only goes with an IBAN."""
    if "vat_id" in values:
        country = values.get("country", str(org.country or ""))
        values["vat_id"] = identifiers.clean_vat_id(values["vat_id"], country=country)
    iban = values.get("iban", org.iban)
    if values.get("bic", org.bic) and not iban:
        raise DomainError("Enter the IBAN the BIC belongs to, or leave the BIC empty.")


def _stored(org: Organization, field: str):
    value = getattr(org, field)
    # A CountryField gives a Country object; compare its code.
    return str(value or "") if field == "country" else value


@transaction.atomic
def update_organization(
    *,
    organization: Organization,
    actor: Actor,
    name: str | None = None,
    address: str | None = None,
    reply_to_email: str | None = None,
    brand_colour: str | None = None,
    default_currency: str | None = None,
    time_zone: str | None = None,
    paper_size: str | None = None,
    payment_terms_days: int | None = None,
    invoice_prefix: str | None = None,
    quote_prefix: str | None = None,
    sales_order_prefix: str | None = None,
    receipt_prefix: str | None = None,
    credit_note_prefix: str | None = None,
    allow_portal_setup_from_link: bool | None = None,
    legal_name: str | None = None,
    vat_id: str | None = None,
    registration_id: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    country: str | None = None,
    iban: str | None = None,
    bic: str | None = None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Organization:
    """Save the settings given (None leaves a field as it is); returns the saved business.

    A change to anything printed on documents (BRANDING_FIELDS) bumps branding_version.
    """
    values = _clean_settings(
        {
            field: value
            for field, value in {
                "name": name,
                "address": address,
                "reply_to_email": reply_to_email,
                "brand_colour": brand_colour,
                "default_currency": default_currency,
                "time_zone": time_zone,
                "paper_size": paper_size,
                "payment_terms_days": payment_terms_days,
                "invoice_prefix": invoice_prefix,
                "quote_prefix": quote_prefix,
                "sales_order_prefix": sales_order_prefix,
                "receipt_prefix": receipt_prefix,
                "credit_note_prefix": credit_note_prefix,
                "allow_portal_setup_from_link": allow_portal_setup_from_link,
                "legal_name": legal_name,
                "vat_id": vat_id,
                "registration_id": registration_id,
                "postcode": postcode,
                "city": city,
                "country": country,
                "iban": iban,
                "bic": bic,
            }.items()
            if value is not None
        }
    )
    logo_extension = validate_logo(logo) if logo is not None else None
    # The row lock makes branding_version += 1 safe against a concurrent save.
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    _clean_payment_account(org, values)
    changed = [field for field, value in values.items() if _stored(org, field) != value]
    for field in changed:
        setattr(org, field, values[field])
    old_logo = org.logo.name or None
    if logo_extension is not None:
        # Our own name, from the decoded format: the uploaded name is never used. The
        # random part changes the URL, so browsers do not keep showing the old logo.
        org.logo.save(f"{org.pk}-{secrets.token_hex(8)}.{logo_extension}", logo, save=False)
        changed.append("logo")
    elif remove_logo and old_logo:
        org.logo = ""
        changed.append("logo")
    else:
        old_logo = None
    if not changed:
        return org
    if BRANDING_FIELDS.intersection(changed):
        org.branding_version += 1
        changed.append("branding_version")
    org.save(update_fields=changed)
    if old_logo:
        # Delete the replaced file only once the new one is committed.
        storage = org.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    record_activity(
        organization=org, verb=Verb.SETTINGS_CHANGED, actor=actor, details={"fields": changed}
    )
    return org


# Members -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberAdded:
    membership: Membership
    created_user: bool
    # True when a new account was made without a password: it cannot sign in yet.
    needs_password: bool


def _lock_organization(organization: Organization) -> Organization:
    """Membership changes of one business run one at a time, so two owners demoting each
    other at once cannot leave the business without an owner."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise DomainError("Choose owner, manager or accountant.")


def _is_last_owner(membership: Membership) -> bool:
    if membership.role != Role.OWNER:
        return False
    owners = Membership.objects.filter(organization_id=membership.organization_id, role=Role.OWNER)
    return owners.count() <= 1


@transaction.atomic
def add_member(
    *,
    organization: Organization,
    actor: Actor,
    email: str,
    role: str,
    password: str | None = None,
) -> MemberAdded:
    """Give `email` a role in the business, creating the staff account if there is none.

    An existing account keeps its own password: an owner of one business must never be
    able to set the password of someone who may belong to other businesses too.
    """
    _check_role(role)
    email = (email or "").strip().lower()
    _check(validate_email, email)
    org = _lock_organization(organization)
    user = User.objects.filter(email__iexact=email).first()
    created = False
    if user is not None:
        if password:
            raise DomainError(
                f"{email} already has a Solabooks account and keeps its own password. "
                "Leave the password empty to add them."
            )
        if Membership.objects.filter(organization=org, user=user).exists():
            raise DomainError(f"{email} is already a member of {org.name}.")
    else:
        # No password means an unusable one (create_user(password=None)): the new member
        # chooses one through the emailed link below.
        user = User.objects.create_user(email, password=None)
        created = True
    membership = Membership.objects.create(organization=org, user=user, role=role)
    if created and password:
        # Checked once the account belongs to the business: its name is one of the words
        # the password may not contain. A refusal rolls the whole addition back.
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise DomainError(" ".join(error.messages)) from None
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        from .accounts import email_first_password_link

        email_first_password_link(user=user, organization=org)
    record_activity(
        organization=org,
        verb=Verb.MEMBER_ADDED,
        actor=actor,
        details={"email": email, "role": role, "new_account": created},
    )
    return MemberAdded(
        membership=membership, created_user=created, needs_password=created and not password
    )


@transaction.atomic
def change_member_role(*, membership: Membership, actor: Actor, role: str) -> Membership:
    _check_role(role)
    _lock_organization(membership.organization)
    current = Membership.objects.select_related("user").get(
        pk=membership.pk, organization_id=membership.organization_id
    )
    if current.role == role:
        return current
    if role != Role.OWNER and _is_last_owner(current):
        raise DomainError(
            f"{current.user.email} is the only owner. Make someone else an owner first."
        )
    old_role = current.role
    current.role = role
    current.save(update_fields=["role"])
    record_activity(
        organization=current.organization,
        verb=Verb.MEMBER_ROLE_CHANGED,
        actor=actor,
        details={"email": current.user.email, "from": old_role, "to": role},
    )
    return current


@transaction.atomic
def remove_member(*, membership: Membership, actor: Actor) -> None:
    _lock_organization(membership.organization)
    current = Membership.objects.select_related("user").get(
        pk=membership.pk, organization_id=membership.organization_id
    )
    if _is_last_owner(current):
        raise DomainError(
            f"{current.user.email} is the only owner and cannot be removed. "
            "Make someone else an owner first."
        )
    current.delete()
    record_activity(
        organization=current.organization,
        verb=Verb.MEMBER_REMOVED,
        actor=actor,
        details={"email": current.user.email, "role": current.role},
    )


# API keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    # The only copy of the key. Show it once; it is never stored.
    raw_key: str


@transaction.atomic
def create_api_key(*, organization: Organization, actor: Actor, name: str) -> NewApiKey:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("Give the key a name of 1–100 characters, e.g. “Accounting sync”.")
    # 12 hex characters: a collision on the unique prefix is practically impossible, and
    # the prefix lets staff recognise a key without it being secret.
    prefix = secrets.token_hex(6)
    raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=prefix,
        key_hash=hash_api_key(raw_key),
        created_by=actor.saved_user,
    )
    record_activity(
        organization=organization,
        verb=Verb.API_KEY_CREATED,
        actor=actor,
        details={"name": name, "prefix": f"{KEY_PREFIX}{prefix}"},
    )
    return NewApiKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    """Revoke a key; revoking it again changes nothing."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    record_activity(
        organization=api_key.organization,
        verb=Verb.API_KEY_REVOKED,
        actor=actor,
        details={"name": api_key.name, "prefix": f"{KEY_PREFIX}{api_key.prefix}"},
    )
    return api_key
