"""Files by environment (core.storage_config) and the logos the app serves itself.

FILE_STORAGE=s3 is tested against a real S3-compatible server: bench.object_store (moto's
server) in a process of its own, reached over HTTP by boto3 and django-storages, exactly
as the app servers of a cluster reach their shared bucket. Each test gets a bucket of its
own (ids repeat once a test's transaction rolls back; the bucket would not).
"""

import hashlib
import os
import re
import selectors
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

import boto3
import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.core.storage import private_storage
from solabooks.core.storage_config import storages_from_env
from solabooks.documents.acceptance import acceptance_file
from solabooks.documents.models import AcceptanceRecord
from solabooks.pdf import services as pdf_services
from solabooks.sharing.services import send_document
from tests.factories import make_document
from tests.sharing.conftest import link_path_in
from tests.tenancy.images import image_bytes, upload
from tests.tenancy.test_settings import settings_post

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"object store ready on (http://127\.0\.0\.1:\d+) bucket (\S+)")
STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "solabooks-test", "AWS_SECRET_ACCESS_KEY": "solabooks-test"}


def s3_env(**extra: str) -> dict[str, str]:
    return {"FILE_STORAGE": "s3", "S3_BUCKET": "books", **extra}


def build(environ: dict[str, str], tmp_path: Path) -> dict:
    return storages_from_env(
        environ,
        private_root=tmp_path / "private",
        served_dirs=[("MEDIA_ROOT", tmp_path / "media")],
        staticfiles_backend=STATIC,
    )


# --- The STORAGES setting from the environment --------------------------------------------


def test_local_is_the_default_and_is_what_it_always_was(tmp_path):
    expected = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "solabooks.core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
        "staticfiles": {"BACKEND": STATIC},
    }
    assert build({}, tmp_path) == expected
    assert build({"FILE_STORAGE": "local"}, tmp_path) == expected
    # The S3 variables mean nothing without FILE_STORAGE=s3.
    assert build({"S3_BUCKET": "books"}, tmp_path) == expected
    with pytest.raises(ImproperlyConfigured, match="must not overlap MEDIA_ROOT"):
        storages_from_env(
            {},
            private_root=tmp_path / "media" / "private",
            served_dirs=[("MEDIA_ROOT", tmp_path / "media")],
            staticfiles_backend=STATIC,
        )


@pytest.mark.parametrize("bucket", [None, "", "  "])
def test_s3_without_a_bucket_is_refused(tmp_path, bucket):
    environ = {"FILE_STORAGE": "s3"} if bucket is None else s3_env(S3_BUCKET=bucket)
    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET"):
        build(environ, tmp_path)


@pytest.mark.parametrize("value", ["disk", "S4", "gcs"])
def test_an_unknown_file_storage_is_refused_naming_the_choices(tmp_path, value):
    with pytest.raises(ImproperlyConfigured, match="local, s3"):
        build({"FILE_STORAGE": value}, tmp_path)


def test_an_unknown_addressing_style_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="path, virtual"):
        build(s3_env(S3_ADDRESSING_STYLE="sideways"), tmp_path)


def test_s3_is_one_private_bucket_with_two_prefixes(tmp_path):
    environ = s3_env(
        S3_ENDPOINT_URL="http://127.0.0.1:9000", S3_ADDRESSING_STYLE="path", **CREDENTIALS
    )
    built = build(environ, tmp_path)
    default, private = built["default"], built["private"]
    assert default["BACKEND"] == "solabooks.core.storage_s3.PublicMediaS3Storage"
    assert private["BACKEND"] == "solabooks.core.storage_s3.PrivateS3Storage"
    assert (default["OPTIONS"]["location"], private["OPTIONS"]["location"]) == ("media", "private")
    for options in (default["OPTIONS"], private["OPTIONS"]):
        assert options["bucket_name"] == "books"
        assert options["endpoint_url"] == "http://127.0.0.1:9000"
        assert options["region_name"] == "us-east-1"
        assert options["addressing_style"] == "path"
        assert options["default_acl"] is None  # the bucket's own: private
        assert options["file_overwrite"] is False  # like the local storage
        # boto3 reads the credentials itself; settings never hold them.
        assert "solabooks-test" not in repr(options)
    assert built["staticfiles"] == {"BACKEND": STATIC}
    plain = build(s3_env(S3_REGION="eu-west-3"), tmp_path)["private"]["OPTIONS"]
    assert plain["endpoint_url"] is None and plain["addressing_style"] is None
    assert plain["region_name"] == "eu-west-3"


def test_the_settings_module_refuses_to_start_on_a_bad_storage_choice():
    from tests.core.test_settings import run_settings

    code = "from django.conf import settings; print(settings.STORAGES['private']['BACKEND'])"
    refused = run_settings(code, SOLABOOKS_TESTING="1", FILE_STORAGE="s3")
    assert refused.returncode != 0 and "S3_BUCKET" in refused.stderr
    chosen = run_settings(code, SOLABOOKS_TESTING="1", FILE_STORAGE="s3", S3_BUCKET="books")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == "solabooks.core.storage_s3.PrivateS3Storage"


# --- The logo view (local storage) ---------------------------------------------------------

PNG = image_bytes("PNG")


@pytest.fixture
def local_logo(settings) -> str:
    storage = storages["default"]
    name = storage.save("logos/7-0123456789abcdef.png", ContentFile(PNG))
    storage.save("logos/7-0123456789abcdef.txt", ContentFile(b"<script>x</script>"))
    storage.save("elsewhere/secret.png", ContentFile(PNG))
    private_storage().save("pdf-cache/1/1-abc.pdf", ContentFile(b"%PDF-1.7 private"))
    return name


def test_the_logo_is_served_with_its_type_nosniff_and_a_public_cache(local_logo):
    client = Client()
    response = client.get(f"/finance/media/{local_logo}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    again = client.get(f"/finance/media/{local_logo}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]
    assert client.head(f"/finance/media/{local_logo}").status_code == 200
    assert client.post(f"/finance/media/{local_logo}").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "logos/7-0123456789abcdef.txt",  # in the folder, not an image type
        "logos/missing.png",
        "logos/../elsewhere/secret.png",
        "logos/..%2Felsewhere%2Fsecret.png",
        "logos/%2E%2E/elsewhere/secret.png",
        "logos/..%5Celsewhere%5Csecret.png",
        "logos//etc/passwd.png",
        "logos/%2Fetc%2Fpasswd.png",
        "logos/../../private/pdf-cache/1/1-abc.pdf",
        "logos/.hidden.png",
        "logos/a/b.png",
        "logos/a.png%00.txt",
        "logos/" + "a" * 2000 + ".png",
        "logos/%C0%AE%C0%AE/x.png",
        "logos/",
        "elsewhere/secret.png",
        "pdf-cache/1/1-abc.pdf",
    ],
)
def test_nothing_but_a_logo_comes_out(local_logo, path):
    response = Client().get(f"/finance/media/{path}")
    assert response.status_code == 404, path
    body = b"".join(getattr(response, "streaming_content", [response.content]))
    assert PNG not in body and b"%PDF" not in body and b"<script>x" not in body


# --- FILE_STORAGE=s3, against a real S3-compatible server --------------------------------


@pytest.fixture(scope="module")
def object_store():
    """bench.object_store on a free port: (endpoint, its own first bucket)."""
    env = {**os.environ, **CREDENTIALS}
    bucket = f"solabooks-{uuid.uuid4().hex[:12]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.object_store", "--port", "0", "--bucket", bucket],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = _ready_line(process, timeout=60)
        found = READY.fullmatch(ready)
        assert found and found.group(2) == bucket, ready
        yield found.group(1)
    finally:
        process.terminate()
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise
    assert code == 0, process.stderr.read()


def _ready_line(process: subprocess.Popen, *, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the object store stopped: {process.stderr.read()}")
        if selector.select(timeout=0.5):
            return process.stdout.readline().strip()
    pytest.fail("the object store did not start in time")


class Bucket:
    def __init__(self, endpoint: str, name: str) -> None:
        self.name = name
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(object_store, settings, monkeypatch, tmp_path) -> Bucket:
    """settings.STORAGES as FILE_STORAGE=s3 builds it, on a new bucket; the local
    directories stay empty, which the tests check."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = Bucket(object_store, f"solabooks-{uuid.uuid4().hex[:16]}")
    bucket.client.create_bucket(Bucket=bucket.name)
    environ = s3_env(S3_BUCKET=bucket.name, S3_ENDPOINT_URL=object_store)
    settings.STORAGES = storages_from_env(
        environ,
        private_root=tmp_path / "unused",
        served_dirs=[],
        staticfiles_backend=settings.STORAGES["staticfiles"]["BACKEND"],
    )
    return bucket


def no_local_files(settings, tmp_path) -> bool:
    return (
        not [p for p in tmp_path.rglob("*") if p.is_file()]
        and not Path(settings.MEDIA_ROOT).exists()
    )


@pytest.mark.django_db
def test_s3_storages_keep_the_rules_of_the_local_ones(bucket):
    private, public = storages["private"], storages["default"]
    with pytest.raises(NotImplementedError):
        private.url("pdf-cache/1/1-abc.pdf")
    assert public.url("logos/1-ab.png") == "/finance/media/logos/1-ab.png"
    # A taken name is never silently replaced: the second save gets a name of its own.
    first = private.save("acceptances/1/x.pdf", ContentFile(b"one"))
    second = private.save("acceptances/1/x.pdf", ContentFile(b"two"))
    assert first == "acceptances/1/x.pdf" and second != first
    assert bucket.read(f"private/{first}") == b"one"
    assert bucket.read(f"private/{second}") == b"two"
    assert private.listdir("acceptances/1") == ([], sorted(Path(n).name for n in (first, second)))
    private.delete(second)
    assert not private.exists(second) and private.exists(first)


@pytest.mark.django_db
def test_a_logo_uploaded_in_settings_lives_in_the_bucket_and_the_app_serves_it(
    bucket, owner_client, org, settings, tmp_path
):
    logo = image_bytes("PNG")
    response = owner_client.post(
        reverse("organization-settings"), {**settings_post(org), "logo": upload(logo)}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert bucket.keys("media/") == [f"media/{org.logo.name}"]
    assert org.logo.name.startswith("logos/")
    assert bucket.read(f"media/{org.logo.name}") == logo

    page = owner_client.get(reverse("organization-settings")).content.decode()
    src = re.search(r'<img class="logo-preview" src="([^"]+)"', page).group(1)
    assert src == f"/finance/media/{org.logo.name}"
    served = Client().get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == logo
    assert Client().get(src, HTTP_IF_NONE_MATCH=served["ETag"]).status_code == 304
    for bad in ("missing.png", "a" * 2000 + ".png", "..%2F..%2Fprivate%2Fx.pdf", "x.png/"):
        assert Client().get(f"/finance/media/logos/{bad}").status_code == 404, bad
    # The PDF embeds it, read back from the bucket.
    assert pdf_services.logo_data_uri(org).startswith("data:image/png;base64,")
    assert no_local_files(settings, tmp_path)


@pytest.mark.django_db
def test_the_pdf_cache_is_in_the_bucket_and_serves_the_second_download(
    bucket, owner_client, customer, settings, tmp_path
):
    invoice = make_document(customer=customer, kind="invoice")
    url = f"/finance/document/{invoice.pk}/pdf/"
    spy = mock.patch.object(
        pdf_services, "render_document_pdf", wraps=pdf_services.render_document_pdf
    )
    with spy as render:
        first = owner_client.get(url)
        pdf_services.RECENT_PDFS.clear()  # the next one must come from the bucket
        second = owner_client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content.startswith(b"%PDF") and second.content == first.content
    assert render.call_count == 1
    invoice.refresh_from_db()
    cached = pdf_services.pdf_cache_path(invoice)
    assert bucket.keys("private/pdf-cache/") == [f"private/{cached}"]
    assert bucket.read(f"private/{cached}") == first.content
    assert bucket.keys("media/") == []
    assert no_local_files(settings, tmp_path)


@pytest.mark.django_db
def test_an_accepted_quotes_record_is_in_the_bucket_and_mailed_from_it(
    bucket, owner, customer, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    quote = make_document(customer=customer, kind="quote")
    actor = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        send_document(document=quote, actor=actor)
    path = link_path_in(mail.outbox[-1])
    quote.refresh_from_db()
    customer_client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR="203.0.113.7")
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = customer_client.post(
            path,
            {
                "op": "accept",
                "accept-version": quote.content_version,
                "accept-signer_name": "Jane Baker",
            },
        )
    assert accepted.status_code == 302
    record = AcceptanceRecord.objects.get(document=quote)
    assert bucket.keys("private/acceptances/") == sorted(
        [f"private/{record.pdf_name}", f"private/{record.certificate_name}"]
    )
    stored_pdf = bucket.read(f"private/{record.pdf_name}")
    assert hashlib.sha256(stored_pdf).hexdigest() == record.pdf_sha256
    assert acceptance_file(record, "pdf") == stored_pdf
    # The confirmation's attachments were read back from the bucket at delivery.
    (confirmation,) = mail.outbox[before:]
    attached = [content for _, content, _ in confirmation.attachments]
    assert attached == [stored_pdf, bucket.read(f"private/{record.certificate_name}")]
    assert no_local_files(settings, tmp_path)
