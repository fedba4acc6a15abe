"""Upgrading removes the PDFs earlier versions cached in public media (`pdf-cache/` in the
default storage); the settings refuse a private storage a web server would serve."""

import importlib
import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.migrations.operations.special import RunPython
from django.db.migrations.recorder import MigrationRecorder

from tests.core.test_settings import run_settings

MIGRATION = "0001_remove_public_pdf_cache"

OLD_COPIES = [
    "pdf-cache/1/7-0123456789abcdef01234567.pdf",
    "pdf-cache/1/8-89abcdef0123456789abcdef.pdf",
    "pdf-cache/2/9-fedcba9876543210fedcba98.pdf",
]
KEPT = ["logos/1-00112233aabbccdd.png", "pdf-cache-notes.txt"]


def _fill_public_media() -> None:
    for name in OLD_COPIES + KEPT:
        assert default_storage.save(name, ContentFile(b"%PDF-1.7 old public copy")) == name


def _run_migration_code() -> None:
    module = importlib.import_module(f"solabooks.pdf.migrations.{MIGRATION}")
    operations = [op for op in module.Migration.operations if isinstance(op, RunPython)]
    assert len(operations) == 1
    operations[0].code(None, None)


def test_the_upgrade_removes_old_public_copies_and_keeps_the_logos(settings):
    _fill_public_media()
    _run_migration_code()
    for name in OLD_COPIES:
        assert not default_storage.exists(name), name
    for name in KEPT:
        assert default_storage.exists(name), name
    assert not (Path(settings.MEDIA_ROOT) / "pdf-cache").exists()  # the folders too
    _run_migration_code()  # again: nothing left to do, no error


def test_on_a_fresh_install_the_upgrade_does_nothing(settings):
    _run_migration_code()  # no media root at all
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    _run_migration_code()  # an empty one
    assert list(Path(settings.MEDIA_ROOT).iterdir()) == []


@pytest.mark.django_db
def test_the_migration_is_applied():
    applied = MigrationRecorder.Migration.objects.filter(app="pdf", name=MIGRATION)
    assert applied.exists()


def test_the_command_removes_copies_an_old_server_wrote_after_the_migration():
    # A rolling upgrade: app servers still on the old version cache into public media
    # after `migrate` ran; the command is the same clean-up, run again.
    _fill_public_media()
    call_command("remove_public_pdf_cache", verbosity=0)
    assert not any(default_storage.exists(name) for name in OLD_COPIES)
    assert all(default_storage.exists(name) for name in KEPT)


PRINT_PRIVATE = """
import json
from django.conf import settings
print(json.dumps({"private": str(settings.STORAGES["private"]["OPTIONS"]["location"])}))
"""


def test_private_storage_root_comes_from_the_environment(tmp_path):
    result = run_settings(
        PRINT_PRIVATE, SOLABOOKS_TESTING="1", PRIVATE_STORAGE_ROOT=str(tmp_path / "private")
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "private": str(tmp_path / "private")
    }
    default = run_settings(PRINT_PRIVATE, SOLABOOKS_TESTING="1", SOLABOOKS_VAR_DIR=str(tmp_path))
    assert json.loads(default.stdout.strip().splitlines()[-1]) == {
        "private": str(tmp_path / "private")
    }


@pytest.mark.parametrize(
    "layout",
    [
        {"MEDIA_ROOT": "{tmp}/media", "PRIVATE_STORAGE_ROOT": "{tmp}/media/private"},
        {"MEDIA_ROOT": "{tmp}/media", "PRIVATE_STORAGE_ROOT": "{tmp}/media"},
        {"MEDIA_ROOT": "{tmp}", "PRIVATE_STORAGE_ROOT": "{tmp}/private"},
        {"MEDIA_ROOT": "{tmp}/private/media", "PRIVATE_STORAGE_ROOT": "{tmp}/private"},
    ],
)
def test_a_private_root_inside_or_around_public_media_is_refused(tmp_path, layout):
    env = {name: value.format(tmp=tmp_path) for name, value in layout.items()}
    result = run_settings(PRINT_PRIVATE, SOLABOOKS_TESTING="1", **env)
    assert result.returncode != 0
    assert "PRIVATE_STORAGE_ROOT" in result.stderr and "ImproperlyConfigured" in result.stderr
