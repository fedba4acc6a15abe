"""Generated PDFs live in private storage: no URL maps to them, and the link page, the portal
and the staff page are the only ways to one, each after its own checks.

The app serves logos at /finance/media/logos/ in every mode (demo mode too, which these tests
turn on), so a cached PDF left in public media would be one request away.
"""

import hashlib
import importlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.urls import clear_url_caches

import solabooks.urls
from solabooks.activity.services import Actor
from solabooks.core.storage import PrivateFileSystemStorage
from solabooks.pdf import services
from solabooks.pdf.services import pdf_cache_path, pdf_fingerprint
from solabooks.portal.services import enable_portal_access
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import revoke_link, send_document
from tests.factories import make_document
from tests.portal.conftest import DASHBOARD, PORTAL_PASSWORD, customer_browser, portal_link_in
from tests.sharing.conftest import link_path_in

pytestmark = pytest.mark.django_db

# A 1×1 red PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d7"
    "63f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def _reload_urls() -> None:
    importlib.reload(solabooks.urls)
    clear_url_caches()


@pytest.fixture
def media_served(settings):
    """Demo mode, which adds URLs of its own: still only logos under /finance/media/."""
    settings.SOLABOOKS_DEMO = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _reload_urls()
    yield
    settings.SOLABOOKS_DEMO = False
    _reload_urls()


@pytest.fixture
def owner_actor(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer, kind="invoice")


@pytest.fixture
def link_path(invoice, owner_actor, django_capture_on_commit_callbacks) -> str:
    """The /finance/i/<token> path emailed to the customer by a real send."""
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        send_document(document=invoice, actor=owner_actor)
    invoice.refresh_from_db()
    return link_path_in(mail.outbox[-1])


@pytest.fixture
def customer_client() -> Client:
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR="203.0.113.7")


def private() -> object:
    return storages["private"]


def files_under(directory) -> list[Path]:
    root = Path(directory)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def render_spy():
    return mock.patch.object(services, "render_document_pdf", wraps=services.render_document_pdf)


def download_through_link(client: Client, path: str) -> bytes:
    response = client.get(f"{path}?format=pdf")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def public_guesses(invoice, cache_path: str) -> list[str]:
    """Every /finance/media/ and /finance/static/ path one could derive from what is known:
    the cached file's own name, its directory, the old unkeyed name, and escapes from the
    media root towards the private one."""
    name = cache_path.rsplit("/", 1)[1]
    unkeyed = f"pdf-cache/{invoice.organization_id}/{invoice.pk}-{pdf_fingerprint(invoice)}.pdf"
    private_root = Path(private().path(""))
    media_root = Path(django_settings.MEDIA_ROOT)
    escapes = [
        f"../{private_root.name}/{cache_path}",
        f"..%2F{private_root.name}%2F{cache_path}",
        f"{Path('..') / private_root.relative_to(media_root.parent)}/{cache_path}",
    ]
    relative = [
        cache_path,
        unkeyed,
        name,
        f"pdf-cache/{invoice.organization_id}/",
        "pdf-cache/",
        f"private/{cache_path}",
        *escapes,
    ]
    return [f"/finance/media/{r}" for r in relative] + [f"/finance/static/{r}" for r in relative]


# --- No URL maps to a cached PDF ----------------------------------------------------------


def test_a_pdf_downloaded_through_a_link_is_in_private_storage_and_under_no_public_url(
    org, invoice, link_path, customer_client, media_served
):
    # Media serving is really on: the logo, the one public file, is served; and nothing
    # outside the logo folder, whatever lands in the media root.
    org.logo.save("logo.png", ContentFile(PNG), save=True)
    logo = customer_client.get(org.logo.url)
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == PNG
    default_storage.save("stray/file.txt", ContentFile(b"not meant to be public"))
    assert customer_client.get("/finance/media/stray/file.txt").status_code == 404
    default_storage.delete("stray/file.txt")

    pdf = download_through_link(customer_client, link_path)
    path = pdf_cache_path(invoice)
    assert private().exists(path)
    with private().open(path, "rb") as handle:
        assert handle.read() == pdf
    assert not default_storage.exists(path)
    # Nothing but the logo in public media; no PDF among the static files either.
    assert [p.name for p in files_under(django_settings.MEDIA_ROOT)] == [Path(org.logo.name).name]
    static_dirs = [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]
    assert not [p for d in static_dirs for p in files_under(d) if p.suffix == ".pdf"]
    # The private root is no part of a served directory.
    private_root = Path(private().path("")).resolve()
    for served in [django_settings.MEDIA_ROOT, *static_dirs]:
        assert not private_root.is_relative_to(Path(served).resolve())

    for url in public_guesses(invoice, path):
        response = customer_client.get(url)
        assert response.status_code == 404, url
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_a_revoked_link_refuses_the_pdf_though_a_cached_copy_exists(
    invoice, link_path, customer_client, owner_actor, media_served
):
    download_through_link(customer_client, link_path)
    path = pdf_cache_path(invoice)
    assert private().exists(path)

    revoke_link(link=SecureLink.objects.get(document=invoice), actor=owner_actor)
    refused = customer_client.get(f"{link_path}?format=pdf")
    assert refused.status_code == 410
    assert refused["Content-Type"].startswith("text/html") and b"%PDF" not in refused.content
    assert private().exists(path)  # still cached, and still out of reach:
    for url in public_guesses(invoice, path):
        assert customer_client.get(url).status_code == 404, url


def test_the_private_storage_has_no_url(settings, tmp_path):
    storage = private()
    assert storage is not default_storage
    with pytest.raises(NotImplementedError):
        storage.url("pdf-cache/1/1-abc.pdf")
    # Its own location, never the media root (which a deployment serves).
    assert Path(storage.path("")) != Path(settings.MEDIA_ROOT)
    # Misconfigured, it refuses to exist rather than fall back to MEDIA_ROOT / MEDIA_URL.
    with pytest.raises(ImproperlyConfigured):
        PrivateFileSystemStorage()
    with pytest.raises(ImproperlyConfigured):
        PrivateFileSystemStorage(location=tmp_path, base_url="/finance/media/")


# --- The cache file name is keyed with SECRET_KEY -----------------------------------------


def test_the_cache_name_is_keyed_with_the_secret_key(invoice, settings):
    fingerprint = pdf_fingerprint(invoice)
    settings.SECRET_KEY = "first-secret-key-" + "a" * 40
    first = pdf_cache_path(invoice)
    settings.SECRET_KEY = "second-secret-key-" + "b" * 40
    second = pdf_cache_path(invoice)
    # Same document, same fingerprint: only the secret changed the name.
    assert pdf_fingerprint(invoice) == fingerprint
    assert first != second
    prefix = f"pdf-cache/{invoice.organization_id}/{invoice.pk}-"
    assert first.startswith(prefix) and second.startswith(prefix)
    # Whoever knows everything printed on the document knows the fingerprint; it gives no
    # name: neither the fingerprint itself nor any plain hash of it.
    secret_part = second[len(prefix) : -len(".pdf")]
    assert len(secret_part) >= 32
    assert fingerprint not in second
    for algorithm in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b"):
        digest = hashlib.new(algorithm, fingerprint.encode()).hexdigest()
        assert secret_part not in digest


def test_a_new_secret_key_renders_anew_and_drops_the_old_file(invoice, settings):
    services.document_pdf(document=invoice)
    old_path = pdf_cache_path(invoice)
    settings.SECRET_KEY = "rotated-secret-key-" + "c" * 40
    services.RECENT_PDFS.clear()
    with render_spy() as spy:
        services.document_pdf(document=invoice)
    assert spy.call_count == 1
    assert private().exists(pdf_cache_path(invoice)) and not private().exists(old_path)


def test_storing_a_version_keeps_a_racing_writers_copy_of_it(invoice):
    """Two requests render the same uncached PDF at once (two accepts, two downloads): the
    second saves its copy as "<name>_<random>.pdf" and deletes it itself. The first one's
    clean-up of earlier versions must leave that copy alone, or the second one's save fails
    half-way (FileNotFoundError from its chmod: a 500)."""
    path = pdf_cache_path(invoice)
    directory, name = path.rsplit("/", 1)
    older = private().save(f"{directory}/{invoice.pk}-0000older.pdf", ContentFile(b"%PDF old"))
    racing = private().save(
        f"{directory}/{name.removesuffix('.pdf')}_r4c1ng.pdf", ContentFile(b"%PDF being written")
    )

    services.document_pdf(document=invoice)

    assert private().exists(path)
    assert not private().exists(older)  # an earlier version: dead weight, gone
    assert private().exists(racing)  # the other writer's, for it to delete


# --- The routes that do their checks still stream it, from the cache ----------------------


def test_repeat_link_downloads_hit_the_private_cache(invoice, link_path, customer_client):
    with render_spy() as spy:
        first = download_through_link(customer_client, link_path)
        services.RECENT_PDFS.clear()  # the next one is read back from private storage
        second = download_through_link(customer_client, link_path)
        third = download_through_link(customer_client, link_path)
    assert spy.call_count == 1
    assert first == second == third


def test_portal_and_staff_stream_the_cached_pdf_after_their_checks(
    invoice,
    customer,
    link_path,
    customer_client,
    owner_client,
    other_client,
    owner_actor,
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    pdf = download_through_link(customer_client, link_path)
    services.RECENT_PDFS.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=owner_actor)
    portal = customer_browser()
    with django_capture_on_commit_callbacks(execute=True):
        signed_up = portal.post(
            portal_link_in(mail.outbox[-1], "setup"),
            {"new_password1": PORTAL_PASSWORD, "new_password2": PORTAL_PASSWORD},
        )
    assert signed_up["Location"] == DASHBOARD

    portal_url = f"/finance/customer-portal/documents/{invoice.pk}/pdf/"
    staff_url = f"/finance/document/{invoice.pk}/pdf/"
    with render_spy() as spy:
        from_portal = portal.get(portal_url)
        from_staff = owner_client.get(staff_url)
        # Their checks still stand: no session, another business.
        assert Client().get(portal_url).status_code == 302
        assert Client().get(staff_url).status_code == 302
        assert other_client.get(staff_url).status_code == 404
    assert spy.call_count == 0
    for response in (from_portal, from_staff):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]  # no shared cache keeps a copy
        assert response.content == pdf
    assert from_staff["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'


def test_the_staff_document_page_offers_the_pdf(invoice, owner_client):
    page = owner_client.get(f"/finance/document/{invoice.pk}/").content.decode()
    assert f'href="/finance/document/{invoice.pk}/pdf/"' in page


# --- Public media holds logos only --------------------------------------------------------


def test_the_logo_is_the_only_file_field_in_public_media():
    """Every file a model keeps goes to public media unless it names another storage; today
    that is the logo alone. A new file field must choose: public (say so here) or
    private_storage()."""
    from django.apps import apps
    from django.db.models import FileField

    public = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, FileField) and field.storage is default_storage
    }
    assert public == {"tenancy.Organization.logo"}
