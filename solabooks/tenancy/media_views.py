"""Business logos, streamed by the app from whatever storage holds them (a local directory or
the bucket: core.storage_config), so no web server needs the files on its own disk and the
bucket stays private. Logos are the only public files: nothing outside their folder, and
only the image types the settings form accepts, ever comes out here."""

import hashlib
import re

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from solabooks.tenancy.models import LOGO_FOLDER

# By extension; the names are ours (tenancy.services.update_settings names each logo after
# its decoded format), so the extension is the format. One path segment, no leading dot.
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_LOGO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.([A-Za-z]+)")
# Organization.logo's max_length (the folder included): longer names were never stored, and
# a bucket would answer an error rather than "not found" for an over-long key.
LOGO_NAME_MAX = 100
# Every new logo gets a new name (a random part), so a copy may be kept a while; modest all
# the same, so a logo removed from the settings drops out of caches soon.
LOGO_MAX_AGE = 60 * 60


@require_safe
def logo_file(request: HttpRequest, name: str) -> HttpResponse:
    match = _LOGO_NAME.fullmatch(name) if len(name) <= LOGO_NAME_MAX else None
    content_type = LOGO_TYPES.get(match.group(1).lower()) if match else None
    if content_type is None:
        raise Http404("No such logo.")
    try:
        handle = storages["default"].open(f"{LOGO_FOLDER}/{name}", "rb")
    except (OSError, SuspiciousOperation):  # missing, a directory, unreadable
        raise Http404("No such logo.") from None
    try:
        # The name changes with every upload; with the size it tells one file from another
        # without reading it (and without a second request to a bucket).
        digest = hashlib.sha256(f"{name}:{handle.size}".encode()).hexdigest()
        etag = f'"{digest[:32]}"'
        response = get_conditional_response(request, etag=etag)
    except OSError:
        handle.close()
        raise Http404("No such logo.") from None
    if response is not None:  # 304, the browser's copy is this file (or 412 for If-Match)
        handle.close()
        if response.status_code != 304:
            return response
    else:
        response = FileResponse(handle, content_type=content_type)  # closes the handle
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=LOGO_MAX_AGE)
    return response
