"""settings.STORAGES from the environment (FILE_STORAGE), kept out of settings.py so each
choice can be tested without starting a process.

- local (the default): public media in MEDIA_ROOT, private files in PRIVATE_STORAGE_ROOT,
  two directories that must not overlap each other or the static files.
- s3: one bucket on any S3-compatible service, shared by every app server; logos under
  `media/`, private files under `private/`. Nothing in the bucket is public: the app
  streams logos itself (tenancy.media_views) and private files after its own checks.
  Credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
  an instance role...); they are never copied into settings.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_STORAGE_CHOICES = ("local", "s3")
ADDRESSING_STYLES = ("path", "virtual")
S3_MEDIA_PREFIX = "media"
S3_PRIVATE_PREFIX = "private"


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def _local(private_root: Path, served_dirs: Iterable[tuple[str, Path]]) -> dict:
    # A private directory inside a served one is public (and a served one inside it blurs
    # what is private): refuse to start rather than serve generated PDFs.
    for name, served in served_dirs:
        if _overlaps(private_root, served):
            raise ImproperlyConfigured(
                f"PRIVATE_STORAGE_ROOT ({private_root}) must not overlap "
                f"{name} ({served}): that directory is served to anyone."
            )
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "solabooks.core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": private_root},
        },
    }


def _s3(environ: Mapping[str, str]) -> dict:
    bucket = environ.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET, the bucket's name.")
    style = environ.get("S3_ADDRESSING_STYLE", "").strip() or None
    if style is not None and style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)} (or unset), "
            f"not {style!r}."
        )
    common = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("S3_ENDPOINT_URL", "").strip() or None,
        "region_name": environ.get("S3_REGION", "").strip() or "us-east-1",
        "addressing_style": style,
        # No ACL header: objects get the bucket's own (private) access. Buckets with ACLs
        # disabled, AWS's default, refuse any other canned ACL.
        "default_acl": None,
        # Like the local storage: a taken name gets a new one instead of being replaced.
        "file_overwrite": False,
    }
    return {
        "default": {
            "BACKEND": "solabooks.core.storage_s3.PublicMediaS3Storage",
            "OPTIONS": {**common, "location": S3_MEDIA_PREFIX},
        },
        "private": {
            "BACKEND": "solabooks.core.storage_s3.PrivateS3Storage",
            "OPTIONS": {**common, "location": S3_PRIVATE_PREFIX},
        },
    }


def storages_from_env(
    environ: Mapping[str, str],
    *,
    private_root: Path,
    served_dirs: Iterable[tuple[str, Path]],
    staticfiles_backend: str,
) -> dict:
    """The STORAGES setting for FILE_STORAGE in `environ`. `served_dirs` are the
    directories anyone may fetch (MEDIA_ROOT, the static files): with local storage the
    private root must stay clear of them."""
    choice = environ.get("FILE_STORAGE", "").strip().lower() or "local"
    if choice == "local":
        storages = _local(private_root, served_dirs)
    elif choice == "s3":
        storages = _s3(environ)
    else:
        raise ImproperlyConfigured(
            f"FILE_STORAGE must be one of {', '.join(FILE_STORAGE_CHOICES)}, not {choice!r}."
        )
    return {**storages, "staticfiles": {"BACKEND": staticfiles_backend}}
