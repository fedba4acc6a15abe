"""{{ name|text_direction }}: "rtl" or "ltr", the direction a piece of user text is written in.

Names, addresses and line descriptions come from the business and its customers, in any
script. An element holding one carries dir="{{ value|text_direction }}", so Arabic or Hebrew
reads right to left and aligns right on pages, in emails and in the PDF (WeasyPrint honours
dir, not dir="auto"); inside a sentence, a name goes in <bdi> so it cannot pull the
sentence's punctuation to its side.
"""

import unicodedata

from django import template

register = template.Library()

RIGHT_TO_LEFT = frozenset({"R", "AL"})


@register.filter
def text_direction(value) -> str:
    """The direction of the first strongly directional character (Unicode's rule P2),
    "ltr" when there is none (digits, punctuation, emoji only)."""
    for character in str(value or ""):
        kind = unicodedata.bidirectional(character)
        if kind in RIGHT_TO_LEFT:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"
