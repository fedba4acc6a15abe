"""Business identifiers typed by staff or API clients: VAT identifiers, IBANs, BICs.

Each `clean_*` takes the text as typed and returns it normalised (no spaces, dots or dashes,
upper case), or raises DomainError with a sentence for the user. The same functions serve
the settings and customer forms, their services and the API, so a value is checked the same
way wherever it comes from. An e-invoice prints these values as stored: EN 16931 rule
BR-CO-09 wants a VAT identifier to start with a country code, so every one stored here does.
"""

import re

from django_countries import countries
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberError

from .errors import DomainError

# Separators people type inside identifiers ("DE 123.456-789", "NL00 BANK 0123 4567 89").
SEPARATORS = re.compile(r"[\s.\-/_]+")
# Outside the EU there is no common checksum: a country code, then letters and digits,
# 2–20 characters in all (Swiss "CHE123456789MWST", Norwegian "NO123456789MVA").
OTHER_VAT_ID = re.compile(r"[A-Z]{2}[A-Z0-9]{0,18}")
# The VAT prefixes that differ from the ISO 3166-1 code: Greece writes EL, and Northern
# Ireland's traders (in the EU's VAT area for goods) XI. Both are allowed by BR-CO-09.
VAT_PREFIX_OF_COUNTRY = {"GR": "EL"}
EXTRA_VAT_PREFIXES = frozenset({"EL", "XI"})
EU_VAT_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}


def compact(value: str) -> str:
    return SEPARATORS.sub("", value or "").upper()


def is_country(code: str) -> bool:
    return bool(code) and code in countries


def clean_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code from the list, or "" for none."""
    code = (str(value or "")).strip().upper()
    if code and not is_country(code):
        raise DomainError("Choose a country from the list (an ISO 3166-1 code such as DE).")
    return code


def clean_vat_id(value: str, *, country: str = "") -> str:
    """A VAT identifier with its country prefix ("" stays ""). Without a prefix, the
    `country` one (the business's or customer's country) is put in front. EU identifiers
    are checked with their national check digits."""
    vat_id = compact(value)
    if not vat_id:
        return ""
    if not vat_id[:2].isalpha() and country:
        vat_id = VAT_PREFIX_OF_COUNTRY.get(country, country) + vat_id
    prefix = vat_id[:2]
    if prefix in EU_VAT_PREFIXES:
        try:
            return eu_vat.validate(vat_id)
        except NumberError:
            raise DomainError(
                f"{vat_id} is not a valid VAT identifier: check the digits after {prefix}."
            ) from None
    if not OTHER_VAT_ID.fullmatch(vat_id):
        raise DomainError(
            "A VAT identifier is its country code followed by letters and digits, 2–20 in "
            "all, e.g. DE123456789."
        )
    if not (is_country(prefix) or prefix in EXTRA_VAT_PREFIXES):
        raise DomainError(
            f"A VAT identifier starts with its country's code; {prefix} is not one "
            "(e.g. GB123456789, CHE123456789MWST)."
        )
    return vat_id


def clean_iban(value: str) -> str:
    """An IBAN ("" stays ""), checked with its check digits and its country's format."""
    iban = compact(value)
    if not iban:
        return ""
    try:
        return stdnum_iban.validate(iban)
    except NumberError:
        raise DomainError("That IBAN is not valid: check it for a typo.") from None


def clean_bic(value: str) -> str:
    """A BIC (SWIFT code) of 8 or 11 characters ("" stays "")."""
    code = compact(value)
    if not code:
        return ""
    try:
        return stdnum_bic.validate(code)
    except NumberError:
        raise DomainError(
            "That BIC is not valid: it has 8 or 11 letters and digits, e.g. DEUTDEFF."
        ) from None


def clean_text(value: str, *, label: str, max_length: int) -> str:
    """One line of text: stripped, at most `max_length` characters, no line breaks."""
    text = " ".join((value or "").split())
    if len(text) > max_length:
        raise DomainError(f"{label} can be at most {max_length} characters.")
    return text


def iban_for_print(iban: str) -> str:
    """DE89 3704 0044 0532 0130 00: groups of four, as banks print it."""
    return stdnum_iban.format(iban) if iban else ""
