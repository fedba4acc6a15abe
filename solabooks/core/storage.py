"""The two file storages (settings.STORAGES):

- "default", public media: business logos, the only files meant to be fetched by anyone.
  The app serves it at MEDIA_URL (tenancy.media_views).
- "private": files only the application hands out, after its own checks (generated PDFs).
  No URL maps to it. Code reaches it through `private_storage()` and uses only
  exists / open / save / delete / listdir, so STORAGES may point it at another backend
  with no code change.

settings.STORAGES is built by core.storage_config from FILE_STORAGE: these directories
(local), or one S3-compatible bucket (core.storage_s3). Either way the app serves the logos
itself (tenancy.media_views), so no web server or shared disk is assumed.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages

PRIVATE_STORAGE = "private"


def private_storage() -> Storage:
    """The private storage, as configured in settings.STORAGES (looked up on every call:
    tests and deployments may swap it)."""
    return storages[PRIVATE_STORAGE]


class PrivateFileSystemStorage(FileSystemStorage):
    """A directory no web server serves: files come out only through views that check
    access first. It has no URL, and it needs a location of its own (FileSystemStorage
    would otherwise fall back to MEDIA_ROOT, the public directory)."""

    def __init__(
        self,
        location=None,
        file_permissions_mode: int = 0o640,
        directory_permissions_mode: int = 0o750,
        **kwargs,
    ) -> None:
        if not location:
            raise ImproperlyConfigured(
                "The private storage needs its own location (PRIVATE_STORAGE_ROOT); "
                "without one it would write into MEDIA_ROOT, which is served publicly."
            )
        if kwargs.get("base_url"):
            raise ImproperlyConfigured("The private storage has no URL; drop base_url.")
        super().__init__(
            location=location,
            file_permissions_mode=file_permissions_mode,
            directory_permissions_mode=directory_permissions_mode,
            **kwargs,
        )

    def url(self, name: str | None) -> str:
        raise NotImplementedError(
            "Private files have no URL: stream them from a view that checks access."
        )
