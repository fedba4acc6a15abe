import pytest
from django.core.exceptions import ImproperlyConfigured

from solabooks.mail.config import MAILBOX_BACKEND, SMTP_BACKEND, email_settings_from_url


@pytest.mark.parametrize("demo", [True, False])
def test_no_url_keeps_mail_in_the_local_mailbox_never_the_console(demo):
    # The console would print secret links into logs.
    assert email_settings_from_url("", demo_mailbox=demo) == {"EMAIL_BACKEND": MAILBOX_BACKEND}


def test_plain_smtp_defaults_to_port_25_without_tls():
    s = email_settings_from_url("smtp://relay.internal", demo_mailbox=False)
    assert s["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("relay.internal", 25)
    assert not s["EMAIL_USE_TLS"] and not s["EMAIL_USE_SSL"]
    assert s["EMAIL_HOST_USER"] == s["EMAIL_HOST_PASSWORD"] == ""
    assert s["EMAIL_TIMEOUT"] == 10


def test_starttls_with_percent_encoded_credentials():
    s = email_settings_from_url("smtp+tls://apikey:p%40ss%2Fw0rd@smtp.example.com:2525")
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("smtp.example.com", 2525)
    assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == ("apikey", "p@ss/w0rd")
    assert s["EMAIL_USE_TLS"] and not s["EMAIL_USE_SSL"]


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp+tls://h", 587, True, False),
        ("submission://h", 587, True, False),
        ("smtp+ssl://u:p@h", 465, False, True),
        ("SMTP+SSL://h:1465", 1465, False, True),
    ],
)
def test_scheme_defaults(url, port, tls, ssl):
    s = email_settings_from_url(url)
    assert (s["EMAIL_PORT"], s["EMAIL_USE_TLS"], s["EMAIL_USE_SSL"]) == (port, tls, ssl)


def test_timeout_query_parameter():
    assert email_settings_from_url("smtp://h?timeout=25")["EMAIL_TIMEOUT"] == 25
    assert email_settings_from_url("smtp://h?timeout=0.5")["EMAIL_TIMEOUT"] == 0.5


def test_locmem_and_mailbox():
    assert email_settings_from_url("locmem://")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    assert email_settings_from_url("mailbox://")["EMAIL_BACKEND"] == MAILBOX_BACKEND


@pytest.mark.parametrize(
    "url",
    [
        "console://",
        "http://example.com",
        "smtp://h:notaport",
        "smtp://h?timeout=soon",
        # A send without a time limit could outlast any outbox lease.
        "smtp://h?timeout=0",
        "smtp://h?timeout=-5",
        "smtp://h?timeout=inf",
        "smtp://h?timeout=nan",
    ],
)
def test_bad_urls_are_refused_at_startup(url):
    with pytest.raises(ImproperlyConfigured):
        email_settings_from_url(url)
