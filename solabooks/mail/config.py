"""Email settings from one EMAIL_URL.

    smtp://host:25                      plain SMTP (a local relay)
    smtp+tls://user:pass@host:587       STARTTLS (also: submission://)
    smtp+ssl://user:pass@host:465       implicit TLS
    ...?timeout=20                      SMTP timeout in seconds (default 10; 0.5 too)
    mailbox://                          .eml files in var/mailbox (the demo mailbox page)
    locmem://                           Django's in-memory backend (tests)

User and password are percent-decoded, so "p%40ss" is "p@ss".

Without EMAIL_URL mail goes to the local mailbox directory, demo or not: never to the
console, because an email holds a secret link and the console ends up in logs.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MAILBOX_BACKEND = "solabooks.mail.backends.MailboxBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "submission": 587, "smtp+ssl": 465}
DEFAULT_TIMEOUT = 10


def email_settings_from_url(url: str, *, demo_mailbox: bool = False) -> dict:
    """Django EMAIL_* settings for `url`.

    `demo_mailbox` is kept for settings.py's call; an empty URL means the local mailbox
    either way (see the module docstring).
    """
    if not url:
        return {"EMAIL_BACKEND": MAILBOX_BACKEND}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "mailbox":
        return {"EMAIL_BACKEND": MAILBOX_BACKEND}
    if scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not supported.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from exc
    query = parse_qs(parts.query)
    try:
        timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[0])
    except ValueError as exc:
        raise ImproperlyConfigured("EMAIL_URL timeout must be a number of seconds.") from exc
    # Never unbounded: the outbox lease is checked against it (mail/checks.py).
    if not 0 < timeout < float("inf"):
        raise ImproperlyConfigured("EMAIL_URL timeout must be a positive number of seconds.")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme in {"smtp+tls", "submission"},
        "EMAIL_USE_SSL": scheme == "smtp+ssl",
        "EMAIL_TIMEOUT": int(timeout) if timeout.is_integer() else timeout,
    }
