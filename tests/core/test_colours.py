"""Whatever brand colour a business picks, text in it and text on it stay readable."""

import itertools

import pytest
from django.template import Context, Template

from solabooks.core.colours import (
    DEFAULT_BRAND_COLOUR,
    PAGE_GREY,
    WHITE,
    as_text_on_light,
    brand_colour_of,
    contrast_ratio,
    text_on,
)
from tests.factories import OrganizationFactory

# Every corner and middle of the RGB cube, and the colours businesses really pick.
SAMPLES = ["#" + "".join(c) for c in itertools.product(["00", "80", "ff"], repeat=3)] + [
    DEFAULT_BRAND_COLOUR,
    "#ffcc00",
    "#ff6600",
    "#127a3e",
    "#e91e63",
    "#00bcd4",
    "#f6f7f9",
]


@pytest.mark.parametrize("colour", SAMPLES)
def test_the_brand_colour_as_text_reaches_4_5_to_1_on_the_page_and_on_white(colour):
    on_grey = as_text_on_light(colour)
    assert contrast_ratio(on_grey, PAGE_GREY) >= 4.5
    assert contrast_ratio(as_text_on_light(colour, WHITE), WHITE) >= 4.5


def test_a_colour_dark_enough_already_is_kept_and_a_light_one_keeps_its_hue():
    assert as_text_on_light("#127a3e") == "#127a3e"
    darker = as_text_on_light("#ffcc00")
    red, green, blue = (int(darker[i : i + 2], 16) for i in (1, 3, 5))
    assert blue == 0 and red > green > 0  # still a yellow-orange, only darker


@pytest.mark.parametrize("colour", SAMPLES)
def test_text_on_the_brand_colour_is_whichever_of_white_and_ink_reads_better(colour):
    chosen = text_on(colour)
    other = "#1d2330" if chosen == WHITE else WHITE
    assert contrast_ratio(chosen, colour) >= contrast_ratio(other, colour)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["red", "#12345", "#1f6feb; } body { display: none", ""])
def test_anything_but_a_hex_colour_becomes_the_default_and_never_reaches_css(typed):
    organization = OrganizationFactory.build(brand_colour=typed)
    assert brand_colour_of(organization) == DEFAULT_BRAND_COLOUR
    css = Template("{% load brand %}{% brand_css_variables org %}").render(
        Context({"org": organization})
    )
    assert "display" not in css and css.startswith(f"--brand: {DEFAULT_BRAND_COLOUR};")
