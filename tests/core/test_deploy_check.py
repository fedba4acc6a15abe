"""Production settings: HTTPS everywhere (HSTS for a year with subdomains, secure cookies, a
redirect to https except the health check), `manage.py check --deploy` clean, and the demo's
published SECRET_KEY refused outside demo and test runs."""

import secrets
import tempfile

import pytest
from django.test import Client, override_settings

from .test_settings import REPO, run_settings

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "BASE_URL": "https://books.example.com",
    "ALLOWED_HOSTS": "books.example.com",
    "TRUSTED_PROXIES": "10.0.0.0/8",
    "SOLABOOKS_VAR_DIR": tempfile.mkdtemp(prefix="solabooks-deploy-check-"),
}
DEMO_KEY = "insecure-development-key-never-use-in-production-0123456789"


def manage(*args: str, **env: str):
    import os
    import subprocess
    import sys

    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(REPO)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_only_the_consciously_silenced_checks_are_silenced():
    code = "from django.conf import settings; print(sorted(settings.SILENCED_SYSTEM_CHECKS))"
    result = run_settings(code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    # Preloading HSTS is the deployer's promise for the whole domain (HSTS_PRELOAD=1);
    # models.W040: covering-index columns that SQLite ignores (SQLite default only).
    assert result.stdout.strip() == "['models.W040', 'security.W021']"
    preloaded = run_settings(code, HSTS_PRELOAD="1", **PRODUCTION)
    assert preloaded.stdout.strip() == "['models.W040']"


def test_https_settings_follow_the_base_url():
    code = (
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE)"
    )
    secure = run_settings(code, **PRODUCTION)
    assert secure.stdout.split() == ["31536000", "True", "True", "True", "True"]
    plain = run_settings(code, SOLABOOKS_DEMO="1")
    assert plain.stdout.split() == ["0", "False", "False", "False", "False"]


@pytest.mark.parametrize("env", [{}, {"SOLABOOKS_DEMO": "0"}])
def test_the_demo_secret_key_is_refused_in_production(env):
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": DEMO_KEY, **env})
    assert result.returncode != 0
    assert "SECRET_KEY is the demo's published key" in result.stderr


@pytest.mark.parametrize("env", [{"SOLABOOKS_DEMO": "1"}, {"SOLABOOKS_TESTING": "1"}])
def test_the_demo_secret_key_still_runs_the_demo_and_the_tests(env):
    result = run_settings("from django.conf import settings; print(settings.SECRET_KEY)", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == DEMO_KEY


def test_no_secret_key_at_all_is_refused_in_production():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.fixture
def https_site(settings):
    import ipaddress

    with override_settings(**HTTPS, TRUSTED_PROXIES=[ipaddress.ip_network("10.0.0.0/8")]):
        yield


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check(https_site):
    client = Client(REMOTE_ADDR="203.0.113.5")
    response = client.get("/finance/customer-portal/login")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/finance/customer-portal/login"
    assert client.get("/finance/health/").status_code == 200


@pytest.mark.django_db
def test_https_answers_carry_hsts_for_a_year_with_subdomains(https_site):
    response = Client().get("/finance/customer-portal/login", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_a_trusted_proxy_may_say_https_and_nobody_else_may(https_site):
    proxied = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.get("/finance/customer-portal/login").status_code == 200
    forged = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https")
    assert forged.get("/finance/customer-portal/login").status_code == 301


@pytest.mark.django_db
def test_cookies_are_secure_over_https(https_site):
    response = Client().get("/finance/login/", secure=True)
    assert response.cookies["csrftoken"]["secure"]
