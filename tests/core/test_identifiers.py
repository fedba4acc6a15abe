"""VAT identifiers, IBANs and BICs are read one way wherever they are typed (settings,
customers, the API): compacted, upper case, checked with their check digits, and a VAT
identifier always carries the country prefix EN 16931 (BR-CO-09) asks for."""

import pytest

from solabooks.core.errors import DomainError
from solabooks.core.identifiers import clean_bic, clean_country, clean_iban, clean_vat_id


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("de 136 695 976", "", "DE136695976"),
        ("DE136.695.976", "FR", "DE136695976"),  # its own prefix wins over the country
        ("136695976", "DE", "DE136695976"),  # no prefix: the country's is put in front
        ("fr40 303-265-045", "", "FR40303265045"),
        ("094259216", "GR", "EL094259216"),  # Greece writes EL
        ("U13585627", "AT", "ATU13585627"),
        ("CHE-123.456.789 MWST", "CH", "CHE123456789MWST"),  # outside the EU: the format
        ("123456789", "GB", "GB123456789"),
        ("NO123456789MVA", "", "NO123456789MVA"),
        ("", "DE", ""),
        ("  ", "", ""),
    ],
)
def test_vat_identifiers_are_stored_compact_with_their_prefix(typed, country, stored):
    assert clean_vat_id(typed, country=country) == stored


@pytest.mark.parametrize(
    ("typed", "country", "says"),
    [
        ("DE123456789", "", "check the digits after DE"),  # wrong EU check digit
        ("FR00303265045", "", "check the digits after FR"),
        ("136695976", "FR", "check the digits after FR"),  # a German number, French prefix
        ("123456789", "", "country code followed by letters and digits"),
        ("QQ123456", "", "QQ is not one"),  # not a country
        ("GB" + "1" * 19, "", "2–20 in all"),
        ("GB12345<6>", "", "letters and digits"),
        ("DE136695976\x00", "", ""),
    ],
)
def test_a_wrong_vat_identifier_gets_a_sentence(typed, country, says):
    with pytest.raises(DomainError) as refused:
        clean_vat_id(typed, country=country)
    assert says in refused.value.message


def test_ibans_and_bics_are_checked_and_compacted():
    assert clean_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert clean_iban("GB82-WEST-1234-5698-7654-32") == "GB82WEST12345698765432"
    assert clean_bic("deut de ff") == "DEUTDEFF"
    assert clean_bic("DEUTDEFF500") == "DEUTDEFF500"
    assert clean_iban("") == clean_bic("") == ""


@pytest.mark.parametrize("typed", ["DE89370400440532013001", "DE8937040044", "XX00123", "١٢"])
def test_a_wrong_iban_is_refused(typed):
    with pytest.raises(DomainError, match="IBAN is not valid"):
        clean_iban(typed)


@pytest.mark.parametrize("typed", ["DEUTDE", "DEUTDEFF5", "1EUTDEFF", "DEUTDEFF50000"])
def test_a_wrong_bic_is_refused(typed):
    with pytest.raises(DomainError, match="BIC is not valid"):
        clean_bic(typed)


def test_countries_are_iso_codes_from_the_list():
    assert clean_country("de") == "DE"
    assert clean_country("") == ""
    for wrong in ("XX", "Germany", "DEU"):
        with pytest.raises(DomainError, match="Choose a country"):
            clean_country(wrong)
