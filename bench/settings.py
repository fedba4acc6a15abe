"""The production settings, with static files collected into the run's own directory."""

import os
from pathlib import Path

from solabooks.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])

if os.environ.get("BENCH_COMPRESS_STATIC", "1") == "0":
    # Tests that start servers skip the gzip and Brotli copies (seconds of CPU per run);
    # the pages and their hashed static URLs are the same.
    STORAGES = {  # noqa: F405
        **STORAGES,  # noqa: F405
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
