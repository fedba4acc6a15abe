"""A business or customer named in Arabic, Hebrew, Chinese or with emoji: the PDF carries
every name in real, embedded glyphs (its extracted text gives the names back), and text
written right to left runs and aligns right."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from solabooks.documents.services import LineInput
from solabooks.pdf.services import document_pdf
from tests.factories import CustomerFactory, OrganizationFactory, make_document

pytestmark = pytest.mark.django_db

ARABIC_BUSINESS = "مخبز الياسمين"
HEBREW_CUSTOMER = "מאפיית השקד"
CHINESE_LINE = "北京烘焙坊 设计服务"
EMOJI_NOTE = "Thank you 🍰🎉"
LATIN_LINE = "Crème brûlée workshop"


@pytest.fixture
def invoice_in_many_scripts():
    organization = OrganizationFactory(name=ARABIC_BUSINESS, address="شارع النخيل 12\nالرياض")
    customer = CustomerFactory(
        organization=organization,
        name=HEBREW_CUSTOMER,
        billing_address="רחוב הרצל 5, קומה 3, דירה 12\nתל אביב",
    )
    return make_document(
        customer=customer,
        lines=[
            LineInput(CHINESE_LINE, Decimal("1"), Decimal("80.00"), Decimal("0")),
            LineInput(LATIN_LINE, Decimal("2"), Decimal("25.00"), Decimal("0")),
        ],
        notes=EMOJI_NOTE,
    )


def placed_text(pdf: bytes, *, with_font: bool = False) -> list[tuple]:
    """(text, x) of each piece of text WeasyPrint placed on page one, x in points; with
    with_font, (text, x, font name) instead."""
    pieces: list[tuple] = []

    def visit(text, user_matrix, text_matrix, font, size):
        if text.strip():
            x = user_matrix[4] + text_matrix[4] * user_matrix[0]
            name = str(font["/BaseFont"]).split("+", 1)[-1] if font else ""
            pieces.append((text.strip(), x, name) if with_font else (text.strip(), x))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return pieces


def test_every_name_comes_back_out_of_the_pdf(invoice_in_many_scripts):
    pdf = document_pdf(document=invoice_in_many_scripts)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for name in (ARABIC_BUSINESS, HEBREW_CUSTOMER, CHINESE_LINE, EMOJI_NOTE, LATIN_LINE):
        assert name in text, name
    # (Digits inside right-to-left text come out where they are drawn, so the street and
    # its number are checked apart.)
    assert "شارع النخيل" in text and "الرياض" in text and "תל אביב" in text


def test_every_font_is_embedded_and_each_script_has_one_that_draws_it(invoice_in_many_scripts):
    reader = PdfReader(io.BytesIO(document_pdf(document=invoice_in_many_scripts)))
    fonts = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
            f"{font['/BaseFont']} is not embedded"
        )
        fonts[str(font["/BaseFont"]).split("+", 1)[-1]] = descriptor
    names = " ".join(fonts)
    assert "DejaVu" in names  # Latin, Arabic, Hebrew
    assert "WenQuanYi" in names  # Chinese
    assert "Emoji" in names  # the cake and the party


def test_right_to_left_names_align_right_in_their_column(invoice_in_many_scripts):
    """Each name sits in a column with left-to-right text that starts at the column's left
    edge (the business's email, the "Bill to" label) and is longer than the name; a name
    set right to left ends at the right edge instead, so it starts further right."""
    placed = placed_text(document_pdf(document=invoice_in_many_scripts))

    def x_of(needle: str) -> float:
        return next((x for text, x in placed if needle in text), None) or pytest.fail(
            f"{needle!r} not placed in {placed}"
        )

    assert x_of(ARABIC_BUSINESS) > x_of("@business.test") + 5
    assert x_of(HEBREW_CUSTOMER) > x_of("Bill to") + 5
    # Left-to-right text is untouched: a Latin line description starts where its column does.
    assert abs(x_of(LATIN_LINE) - x_of("Description")) < 1


def test_digits_and_latin_keep_the_text_font_when_emoji_are_on_the_page(invoice_in_many_scripts):
    """An emoji font has digits too (keycaps); were it preferred, every amount would be
    drawn in wide emoji digits."""
    placed = placed_text(document_pdf(document=invoice_in_many_scripts), with_font=True)
    amounts = [(text, font) for text, _, font in placed if any(c.isdigit() for c in text)]
    assert amounts
    assert all("DejaVu" in font for text, font in amounts if text.isascii()), amounts
