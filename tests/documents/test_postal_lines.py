"""Addresses print as each country writes them: postcode before the city in most of Europe,
after it in North America and Australia, on a line of its own in the UK."""

from types import SimpleNamespace

import pytest
from django_countries.fields import Country

from solabooks.documents.templatetags.document_sheet import postal_lines


def party(country: str, postcode: str, city: str):
    return SimpleNamespace(country=Country(country) if country else "", postcode=postcode,
                           city=city)  # fmt: skip


@pytest.mark.parametrize(
    ("country", "postcode", "city", "expected"),
    [
        ("FR", "75002", "Paris", ["12 rue Vivienne", "75002 Paris", "France"]),
        ("DE", "10115", "Berlin", ["12 rue Vivienne", "10115 Berlin", "Germany"]),
        ("US", "94105", "San Francisco, CA",
         ["12 rue Vivienne", "San Francisco, CA 94105", "United States of America"]),
        ("GB", "M1 3HU", "Manchester", ["12 rue Vivienne", "Manchester", "M1 3HU",
                                        "United Kingdom"]),
        ("", "", "", ["12 rue Vivienne"]),
        ("FR", "", "Paris", ["12 rue Vivienne", "Paris", "France"]),
    ],
)  # fmt: skip
def test_city_and_postcode_in_the_countrys_order(country, postcode, city, expected):
    assert postal_lines(party(country, postcode, city), "12 rue Vivienne\n\n") == expected
