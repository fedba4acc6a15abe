"""PDFs that versions before the private storage cached in public media.

They sat in the default storage under `pdf-cache/`, which a deployment serves to anyone.
The pdf app's first migration removes them on upgrade; `manage.py remove_public_pdf_cache`
does it again (app servers still on the old version during a rolling upgrade may write new
ones after `migrate` ran). Keep this module as long as that migration exists.
"""

import contextlib

from django.core.files.storage import Storage, storages

LEGACY_PUBLIC_PREFIX = "pdf-cache"


def remove_public_pdf_cache() -> int:
    """Delete the `pdf-cache/` tree from public media; returns how many files went.
    Nothing else in public media is touched; harmless when there is no such tree."""
    return _remove_tree(storages["default"], LEGACY_PUBLIC_PREFIX)


def _remove_tree(storage: Storage, directory: str) -> int:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # a fresh install, or already removed
        return 0
    removed = 0
    for name in files:
        storage.delete(f"{directory}/{name}")
        removed += 1
    for name in directories:
        removed += _remove_tree(storage, f"{directory}/{name}")
    # The emptied folder itself: a file system storage removes an empty directory (object
    # storages have no folders and ignore a missing key). A file written into it meanwhile
    # keeps it, and the next run removes both.
    with contextlib.suppress(OSError):
        storage.delete(directory)
    return removed
