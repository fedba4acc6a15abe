"""Every change to customers happens here, one transaction each."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core import identifiers
from solabooks.core.errors import DomainError
from solabooks.core.money import CURRENCY_MINOR_UNITS

from .forms import ADDRESS_MAX, NOTES_MAX
from .models import Customer

EDITABLE_FIELDS = (
    "name",
    "email",
    "billing_address",
    "postcode",
    "city",
    "country",
    "vat_id",
    "buyer_reference",
    "currency",
    "notes",
)


@dataclass
class CustomerChange:
    """What update_customer did: the saved customer, the fields that changed, and any
    notices staff must read (e.g. portal access switched off by an email change)."""

    customer: Customer
    changed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _clean(
    *,
    name: str,
    email: str,
    billing_address: str,
    currency: str,
    notes: str,
    postcode: str = "",
    city: str = "",
    country: str = "",
    vat_id: str = "",
    buyer_reference: str = "",
) -> dict[str, str]:
    """The same rules as CustomerForm, for callers that are not a form (API, imports)."""
    name = (name or "").strip()
    email = (email or "").strip().lower()
    if not name:
        raise DomainError("A customer needs a name.")
    if len(name) > 200:
        raise DomainError("A customer's name can be at most 200 characters.")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid email address for the customer.") from None
    if len(email) > 254:
        raise DomainError("That email address is too long.")
    if currency not in CURRENCY_MINOR_UNITS:
        raise DomainError("Choose one of the listed currencies.")
    if len(billing_address or "") > ADDRESS_MAX:
        raise DomainError(f"The billing address can be at most {ADDRESS_MAX} characters.")
    if len(notes or "") > NOTES_MAX:
        raise DomainError(f"Notes can be at most {NOTES_MAX} characters.")
    country = identifiers.clean_country(country)
    return {
        "name": name,
        "email": email,
        "billing_address": (billing_address or "").strip(),
        "postcode": identifiers.clean_text(postcode, label="The postcode", max_length=20),
        "city": identifiers.clean_text(city, label="The city", max_length=100),
        "country": country,
        "vat_id": identifiers.clean_vat_id(vat_id, country=country),
        "buyer_reference": identifiers.clean_text(
            buyer_reference, label="The buyer reference", max_length=100
        ),
        "currency": currency,
        "notes": (notes or "").strip(),
    }


def stored_value(customer: Customer, field_name: str):
    """A field as the service takes it: a CountryField's Country object as its code."""
    value = getattr(customer, field_name)
    return str(value or "") if field_name == "country" else value


@transaction.atomic
def create_customer(
    *,
    organization,
    actor: Actor,
    name: str,
    email: str,
    billing_address: str = "",
    currency: str | None = None,
    notes: str = "",
    postcode: str = "",
    city: str = "",
    country: str = "",
    vat_id: str = "",
    buyer_reference: str = "",
) -> Customer:
    values = _clean(
        name=name,
        email=email,
        billing_address=billing_address,
        currency=currency or organization.default_currency,
        notes=notes,
        postcode=postcode,
        city=city,
        country=country,
        vat_id=vat_id,
        buyer_reference=buyer_reference,
    )
    customer = Customer.objects.create(organization=organization, **values)
    record_activity(
        organization=organization,
        verb=Verb.CUSTOMER_CREATED,
        actor=actor,
        customer=customer,
        details={"name": customer.name},
    )
    return customer


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    actor: Actor,
    name: str,
    email: str,
    billing_address: str = "",
    currency: str,
    notes: str = "",
    postcode: str = "",
    city: str = "",
    country: str = "",
    vat_id: str = "",
    buyer_reference: str = "",
) -> CustomerChange:
    values = _clean(
        name=name,
        email=email,
        billing_address=billing_address,
        currency=currency,
        notes=notes,
        postcode=postcode,
        city=city,
        country=country,
        vat_id=vat_id,
        buyer_reference=buyer_reference,
    )
    # Compare against the row as it is now (locked), not the caller's possibly stale copy,
    # so two staff saving at once cannot both miss an email change.
    current = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=customer.pk, organization_id=customer.organization_id)
    )
    changed = [f for f in EDITABLE_FIELDS if stored_value(current, f) != values[f]]
    result = CustomerChange(customer=current, changed=changed)
    if not changed:
        return result
    old_email = current.email
    for field_name, value in values.items():
        setattr(current, field_name, value)
    current.save(update_fields=[*changed, "updated_at"])
    details: dict = {"changed": changed}
    if "email" in changed:
        details.update(old_email=old_email, new_email=current.email)
    record_activity(
        organization=current.organization,
        verb=Verb.CUSTOMER_EDITED,
        actor=actor,
        customer=current,
        details=details,
    )
    if "email" in changed:
        notice = _notify_portal_of_email_change(customer=current, actor=actor)
        if notice:
            result.notices.append(notice)
    return result


def _notify_portal_of_email_change(*, customer: Customer, actor: Actor) -> str | None:
    """SPEC 2: a new email disables active portal access until staff enable it again. Runs
    in this same transaction (the email change and the disabling commit together) and
    returns the message staff should see, or None when there was nothing to disable."""
    # Imported here: the portal app builds on customers, not the other way round.
    from solabooks.portal.services import on_customer_email_changed

    return on_customer_email_changed(customer=customer, actor=actor)
