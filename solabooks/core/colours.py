"""A business's brand colour, made readable wherever it is used (WCAG 2.2 contrast).

A business picks any colour. Pages use it three ways: as a background under text (buttons,
the email button), as text on the light page (links, secondary buttons, the document title)
and as decoration (borders, bars). The first two must stay readable whatever was picked:
text on the brand colour is white or ink by luminance, and the brand colour used as text is
darkened, keeping its hue, until it reaches 4.5:1 on the page's light grey.
"""

import re

DEFAULT_BRAND_COLOUR = "#1f6feb"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
INK = "#1d2330"
WHITE = "#ffffff"
PAGE_GREY = "#f6f7f9"  # the lightest-but-one background text sits on (app.css --bg)
NORMAL_TEXT_CONTRAST = 4.5


def brand_colour_of(organization) -> str:
    """The organization's colour if it is a #rrggbb colour, else the default."""
    colour = getattr(organization, "brand_colour", "") or ""
    return colour.lower() if HEX_COLOUR.match(colour) else DEFAULT_BRAND_COLOUR


def _channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def relative_luminance(colour: str) -> float:
    linear = []
    for channel in _channels(colour):
        c = channel / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(colour: str) -> str:
    """White or ink, whichever reads better on `colour` (a button's label)."""
    return WHITE if contrast_ratio(WHITE, colour) >= contrast_ratio(INK, colour) else INK


def as_text_on_light(colour: str, background: str = PAGE_GREY) -> str:
    """`colour`, darkened in small steps toward black (same hue), until text in it reaches
    4.5:1 on `background`. An already dark colour comes back unchanged."""
    red, green, blue = _channels(colour)
    for step in range(0, 101, 2):
        keep = 1 - step / 100
        candidate = f"#{round(red * keep):02x}{round(green * keep):02x}{round(blue * keep):02x}"
        if contrast_ratio(candidate, background) >= NORMAL_TEXT_CONTRAST:
            return candidate
    return INK  # unreachable: black passes; kept so the function always answers
