from pathlib import Path

import pytest

from tests.smtp_server import smtp_server, stopped_smtp_server  # noqa: F401

TEMPLATE_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _mail_test_setup(settings, tmp_path):
    # Test-only email templates (email/test_*.{txt,html}) beside the real ones.
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATE_DIR]}
    ]
    settings.DEMO_MAILBOX_DIR = tmp_path / "mailbox"
    settings.BASE_URL = "https://books.example.test"
    settings.DEFAULT_FROM_EMAIL = "no-reply@solabooks.test"
