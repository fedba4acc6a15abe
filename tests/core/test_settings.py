"""Settings come from the environment. Each case imports the settings in a fresh process
with exactly the environment it names, as a server would start."""

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solabooks.core.logging import RedactTokensFilter, redact
from solabooks.core.middleware import ClientIPMiddleware, client_ip_from

REPO = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"],
    "proxies": [str(net) for net in settings.TRUSTED_PROXIES],
    "secret_key": settings.SECRET_KEY,
}, default=str))
"""


def run_settings(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(REPO)}
    clean["DJANGO_SETTINGS_MODULE"] = "solabooks.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def loaded_settings(**env: str) -> dict:
    result = run_settings(PRINT_SETTINGS, SOLABOOKS_TESTING="1", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_url_selects_postgresql_with_persistent_connections():
    db = loaded_settings(DATABASE_URL="postgres://app:s3cret@db.internal:6543/books")["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("books", "app", "s3cret")
    assert (db["HOST"], int(db["PORT"])) == ("db.internal", 6543)
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is False  # Django's default: no round trip per request
    checked = loaded_settings(
        DATABASE_URL="postgres://app:s3cret@db.internal:6543/books", CONN_HEALTH_CHECKS="1"
    )["db"]
    assert checked["CONN_HEALTH_CHECKS"] is True


def test_sqlite_connections_persist_too(tmp_path):
    db = loaded_settings(SOLABOOKS_VAR_DIR=str(tmp_path))["db"]
    assert db["CONN_MAX_AGE"] == 60


def test_without_database_url_sqlite_lives_in_the_var_dir(tmp_path):
    db = loaded_settings(SOLABOOKS_VAR_DIR=str(tmp_path))["db"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "solabooks.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_file_database_runs_in_wal_mode(tmp_path):
    database = tmp_path / "wal-check.sqlite3"
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    result = run_settings(code, SOLABOOKS_TESTING="1", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().lower() == "wal"
    assert database.exists()


def test_secret_key_is_required_outside_demo_and_test_runs():
    result = run_settings("import solabooks.settings")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("env", [{"SOLABOOKS_DEMO": "1"}, {"SOLABOOKS_TESTING": "1"}])
def test_demo_and_test_runs_get_a_development_key(env):
    result = run_settings(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    assert "insecure" in json.loads(result.stdout.strip().splitlines()[-1])["secret_key"]


def test_a_given_secret_key_is_used():
    result = run_settings(PRINT_SETTINGS, SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["secret_key"] == "k" * 50


def test_trusted_proxies_are_parsed_as_networks():
    proxies = loaded_settings(TRUSTED_PROXIES=" 10.0.0.0/8, 192.168.1.7 ,,::1")["proxies"]
    assert proxies == ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]
    assert loaded_settings()["proxies"] == []


@pytest.fixture
def trust_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


def test_forwarded_for_from_an_untrusted_peer_is_ignored(trust_proxy):
    assert client_ip_from("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_never_believed(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip_from("10.0.0.5", "1.2.3.4") == "10.0.0.5"


def test_through_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(trust_proxy):
    # The client forged "1.2.3.4"; our proxies appended the real address, then each other.
    assert client_ip_from("10.0.0.2", "1.2.3.4, 198.51.100.20, 10.0.0.3") == "198.51.100.20"
    assert client_ip_from("10.0.0.2", "198.51.100.20") == "198.51.100.20"


def test_a_garbled_forwarded_hop_falls_back_to_the_last_trusted_peer(trust_proxy):
    assert client_ip_from("10.0.0.2", "198.51.100.20, not-an-ip") == "10.0.0.2"


def test_the_middleware_sets_request_client_ip(trust_proxy, rf):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="9.9.9.9, 192.0.2.1")
    ClientIPMiddleware(lambda req: None)(request)
    assert request.client_ip == "192.0.2.1"


TOKEN = "Yx3kQ9_vLr2-Tn8wPz4bHs7dMf6cJa1e"


@pytest.mark.parametrize(
    "prefix", ["/finance/i/", "/finance/q/", "/p/", "/t/", "/setup/", "/reset/"]
)
def test_redact_hides_tokens_in_paths(prefix):
    line = f'"GET {prefix}{TOKEN} HTTP/1.1" 200'
    assert redact(line) == f'"GET {prefix}[redacted] HTTP/1.1" 200'
    assert TOKEN not in redact(line)


def test_redact_leaves_ordinary_paths_alone():
    for line in ["/finance/document/42/", "/finance/i/short", "/finance/invoices/2024"]:
        assert redact(line) == line


def test_the_log_filter_redacts_formatted_messages():
    import logging

    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        (f"/finance/q/{TOKEN}",),
        None,
    )
    assert RedactTokensFilter().filter(record) is True
    assert TOKEN not in record.getMessage()
    assert "[redacted]" in record.getMessage()


def test_health_answers_ok_without_the_database(client):
    """The load balancer check and the benchmark baseline: no query, no session.

    No django_db mark: pytest-django turns any database access here into an error."""
    response = client.get("/finance/health/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Set-Cookie" not in response.headers
