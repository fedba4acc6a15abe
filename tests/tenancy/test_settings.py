import io
import os

import pytest
from django.urls import reverse
from PIL import Image, ImageFile

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.tenancy.models import Organization
from solabooks.tenancy.services import update_organization
from tests.tenancy.images import image_bytes, png_claiming, upload

pytestmark = pytest.mark.django_db

URL = "organization-settings"


def settings_post(org: Organization, **overrides) -> dict:
    data = {
        "name": org.name,
        "address": org.address,
        "reply_to_email": org.reply_to_email,
        "brand_colour": org.brand_colour,
        "default_currency": org.default_currency,
        "time_zone": org.time_zone,
        "payment_terms_days": org.payment_terms_days,
        "invoice_prefix": org.invoice_prefix,
        "quote_prefix": org.quote_prefix,
        "sales_order_prefix": org.sales_order_prefix,
        "receipt_prefix": org.receipt_prefix,
        "credit_note_prefix": org.credit_note_prefix,
        "allow_portal_setup_from_link": "on" if org.allow_portal_setup_from_link else "",
    }
    data.update(overrides)
    if not data["allow_portal_setup_from_link"]:
        del data["allow_portal_setup_from_link"]  # an unticked checkbox is not sent
    return data


def save(client, org, **overrides):
    return client.post(reverse(URL), settings_post(org, **overrides))


# Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["manager_client", "accountant_client"])
@pytest.mark.parametrize("name", ["organization-settings", "member-list", "api-key-list"])
def test_only_owners_reach_owner_pages(request, org, client_fixture, name):
    client = request.getfixturevalue(client_fixture)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), settings_post(org, name="Taken over")).status_code == 403
    org.refresh_from_db()
    assert org.name == "Acme Ltd"


@pytest.mark.parametrize("client_fixture", ["manager_client", "accountant_client"])
def test_managers_and_accountants_do_not_see_settings_links(request, client_fixture):
    html = request.getfixturevalue(client_fixture).get(reverse("dashboard")).content.decode()
    for name in ["organization-settings", "member-list", "api-key-list"]:
        assert reverse(name) not in html


def test_owners_see_the_settings_link_and_tabs(owner_client):
    assert reverse(URL) in owner_client.get(reverse("dashboard")).content.decode()
    html = owner_client.get(reverse(URL)).content.decode()
    assert reverse("member-list") in html and reverse("api-key-list") in html


# Saving -------------------------------------------------------------------------------------


def test_owner_saves_every_setting(owner_client, org):
    response = save(
        owner_client,
        org,
        name="Acme Trading",
        address="9 Dock Road",
        reply_to_email="Accounts@Acme.test",
        brand_colour="#AA3300",
        default_currency="EUR",
        time_zone="Europe/Paris",
        payment_terms_days="14",
        invoice_prefix="acme-inv",
        quote_prefix="Q",
        sales_order_prefix="ORD",
        receipt_prefix="R",
        credit_note_prefix="avoir",
        allow_portal_setup_from_link="",
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Acme Trading"
    assert org.reply_to_email == "accounts@acme.test"
    assert org.brand_colour == "#aa3300"
    assert (org.default_currency, org.time_zone, org.payment_terms_days) == (
        "EUR",
        "Europe/Paris",
        14,
    )
    assert (org.invoice_prefix, org.quote_prefix) == ("ACME-INV", "Q")
    assert org.credit_note_prefix == "AVOIR"
    assert org.allow_portal_setup_from_link is False


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", "x" * 10_000),
        ("name", ""),
        ("address", "x" * 10_000),
        ("reply_to_email", "not-an-email"),
        ("brand_colour", "red"),
        ("brand_colour", "#12345g"),
        ("brand_colour", "#fff"),
        ("brand_colour", "#123456; } body { display:none"),
        ("default_currency", "XXX"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", "x" * 10_000),
        ("payment_terms_days", "-1"),
        ("payment_terms_days", "366"),
        ("payment_terms_days", "abc"),
        ("payment_terms_days", "9" * 10_000),
        ("invoice_prefix", "INV 1"),
        ("invoice_prefix", "x" * 10_000),
        ("quote_prefix", ""),
    ],
)
def test_bad_settings_are_form_errors_and_change_nothing(owner_client, org, field, value):
    response = save(owner_client, org, **({"name": "Renamed"} | {field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    org.refresh_from_db()
    assert org.name == "Acme Ltd"
    # The page is rendered from the stored business, not the rejected input.
    assert "--brand: #1f6feb;" in response.content.decode()


@pytest.mark.parametrize(
    "change,bumps",
    [
        ({"name": "New name"}, True),
        ({"address": "New address"}, True),
        ({"reply_to_email": "new@acme.test"}, True),
        ({"brand_colour": "#000000"}, True),
        ({"payment_terms_days": "45"}, False),
        ({"time_zone": "Asia/Tokyo"}, False),
        ({"invoice_prefix": "BILL"}, False),
        ({}, False),
    ],
)
def test_branding_changes_bump_the_branding_version(owner_client, org, change, bumps):
    before = org.branding_version
    assert save(owner_client, org, **change).status_code == 302
    org.refresh_from_db()
    assert org.branding_version == before + (1 if bumps else 0)


def test_service_refuses_bad_values_too(org):
    for bad in (
        {"time_zone": "Nowhere/Land"},
        {"brand_colour": "blue"},
        {"payment_terms_days": -5},
        {"payment_terms_days": 1000},
        {"invoice_prefix": "bad prefix"},
        {"name": " "},
    ):
        with pytest.raises(DomainError):
            update_organization(organization=org, actor=Actor.system(), **bad)


# Logo ---------------------------------------------------------------------------------------


def post_logo(client, org, file):
    return client.post(reverse(URL), {**settings_post(org), "logo": file})


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_logo_upload_in_each_allowed_format(owner_client, org, fmt, ext):
    before = org.branding_version
    # The name and content type lie on purpose: the decoded format decides.
    file = upload(image_bytes(fmt), name="evil.html", content_type="text/html")
    assert post_logo(owner_client, org, file).status_code == 302
    org.refresh_from_db()
    assert org.logo.name.startswith(f"logos/{org.pk}-")
    assert org.logo.name.endswith(f".{ext}")
    assert org.branding_version == before + 1
    assert org.logo.storage.exists(org.logo.name)


@pytest.mark.parametrize(
    "content,name,content_type,message",
    [
        (b"just some text, honest", "logo.png", "image/png", "PNG, JPEG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "image/svg+xml", "PNG"),
        (image_bytes("GIF"), "logo.gif", "image/gif", "PNG, JPEG or WebP"),
        (image_bytes("BMP"), "logo.png", "image/png", "PNG, JPEG or WebP"),
        (image_bytes("PNG")[:60], "logo.png", "image/png", "could not be read"),
        (image_bytes("PNG", size=(4001, 10)), "logo.png", "image/png", "4001×10"),
        (png_claiming(100_000, 100_000), "logo.png", "image/png", "far too large"),
        (png_claiming(5000, 5000), "logo.png", "image/png", "5000×5000"),
        (b"", "logo.png", "image/png", "empty"),
    ],
    ids=["text", "svg", "gif", "bmp", "truncated", "too-wide", "bomb", "too-big", "empty"],
)
def test_bad_logos_are_refused_with_a_clear_error(
    owner_client, org, content, name, content_type, message
):
    response = post_logo(owner_client, org, upload(content, name, content_type))
    assert response.status_code == 200
    [error] = response.context["form"].errors["logo"]
    assert message in error
    org.refresh_from_db()
    assert not org.logo


def noise_image(fmt: str, size: tuple[int, int] = (200, 200)) -> bytes:
    """Random pixels, so a cut anywhere falls inside real image data."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("load_truncated", [False, True])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_logos_are_refused_whatever_pillows_global_flag(
    owner_client, org, monkeypatch, load_truncated, fmt, cut
):
    # WeasyPrint turns this process-wide flag on when imported; validation must not care.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated)
    data = noise_image(fmt)
    response = post_logo(owner_client, org, upload(data[: int(len(data) * cut)]))
    assert response.status_code == 200
    assert response.context["form"].errors["logo"]
    org.refresh_from_db()
    assert not org.logo


def test_logo_over_the_size_limit_is_refused(owner_client, org, settings):
    settings.LOGO_MAX_BYTES = 1024 * 1024
    # A real, decodable PNG just over 1 MiB (noise does not compress).
    data = noise_image("PNG", (700, 700))
    assert len(data) > settings.LOGO_MAX_BYTES
    response = post_logo(owner_client, org, upload(data))
    assert response.status_code == 200
    assert "largest allowed is 1 MB" in response.context["form"].errors["logo"][0]


def test_a_huge_upload_is_refused_not_a_500(owner_client, org):
    response = post_logo(owner_client, org, upload(b"\x89PNG" + b"\0" * (5 * 1024 * 1024)))
    assert response.status_code == 200
    assert response.context["form"].errors["logo"]


def test_replacing_and_removing_the_logo(owner_client, org, django_capture_on_commit_callbacks):
    post_logo(owner_client, org, upload(image_bytes("PNG")))
    org.refresh_from_db()
    first, storage = org.logo.name, org.logo.storage
    with django_capture_on_commit_callbacks(execute=True):
        post_logo(owner_client, org, upload(image_bytes("JPEG"), name="b.jpg"))
    org.refresh_from_db()
    second = org.logo.name
    assert second != first and second.endswith(".jpg")
    assert not storage.exists(first), "the replaced logo is deleted once the change commits"
    version = org.branding_version
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse(URL), {**settings_post(org), "remove_logo": "on"})
    org.refresh_from_db()
    assert not org.logo
    assert not storage.exists(second)
    assert org.branding_version == version + 1


def test_service_validates_the_logo_itself(org):
    with pytest.raises(DomainError):
        update_organization(
            organization=org, actor=Actor.system(), logo=upload(b"not an image at all")
        )
