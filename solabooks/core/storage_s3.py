"""The two storages on an S3-compatible bucket (FILE_STORAGE=s3, core.storage_config).

A module of its own so that boto3 (a fifth of a second to import) loads only in processes
whose STORAGES name these classes. Neither gives out bucket URLs: the bucket is never public.
"""

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class PublicMediaS3Storage(S3Storage):
    """Logos, kept in the bucket but served by the app (tenancy.media_views) at MEDIA_URL,
    the same URL as with local storage: pages and emails never point into the bucket."""

    querystring_auth = False

    def url(self, name: str | None, parameters=None, expire=None, http_method=None) -> str:
        return settings.MEDIA_URL + filepath_to_uri(name or "")


class PrivateS3Storage(S3Storage):
    """Private files in the bucket: like core.storage.PrivateFileSystemStorage, no URL of
    any kind (not even a signed one); views stream them after their own checks."""

    def url(self, name: str | None, parameters=None, expire=None, http_method=None) -> str:
        raise NotImplementedError(
            "Private files have no URL: stream them from a view that checks access."
        )
