"""Solabooks settings. Everything that differs between machines comes from the environment."""

import datetime
import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOLABOOKS_VAR_DIR", BASE_DIR / "var"))


# Checks silenced on purpose, each with its reason where it is appended. `manage.py check
# --deploy` is otherwise clean with production settings (tests/core/test_deploy_check.py).
SILENCED_SYSTEM_CHECKS: list[str] = []


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# Published in this repository: fine for the demo and the tests, refused anywhere else,
# whether it comes from the environment or not.
DEMO_SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789"  # noqa: S105
_DEMO_OR_TESTS = DEBUG or env_bool("SOLABOOKS_DEMO") or env_bool("SOLABOOKS_TESTING")
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (DEMO_SECRET_KEY if _DEMO_OR_TESTS else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set outside demo and test runs.")
if SECRET_KEY == DEMO_SECRET_KEY and not _DEMO_OR_TESTS:
    raise ImproperlyConfigured(
        "SECRET_KEY is the demo's published key. Set a secret one of your own, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

# Where customer-facing links point. Emails carry absolute links built from it.
BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [BASE_URL]

# Proxies whose X-Forwarded-For we believe; anyone else's header is ignored.
TRUSTED_PROXIES = [
    ipaddress.ip_network(cidr.strip(), strict=False)
    for cidr in os.environ.get("TRUSTED_PROXIES", "").split(",")
    if cidr.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "solabooks.core",
    "solabooks.tenancy",
    "solabooks.customers",
    "solabooks.documents",
    "solabooks.activity",
    "solabooks.projects",
    "solabooks.sharing",
    "solabooks.portal",
    "solabooks.mail",
    "solabooks.notifications",
    "solabooks.pdf",
    "solabooks.einvoice",
    "solabooks.api",
]

MIDDLEWARE = [
    "solabooks.core.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "solabooks.core.middleware.ClientIPMiddleware",
    "solabooks.core.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "solabooks.tenancy.middleware.StaffSessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "solabooks.tenancy.middleware.CurrentOrganizationMiddleware",
]

ROOT_URLCONF = "solabooks.urls"
WSGI_APPLICATION = "solabooks.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "solabooks" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "solabooks.tenancy.context_processors.current_organization",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'solabooks.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
        # so concurrent writers queue instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Covering-index columns (INCLUDE) speed up PostgreSQL; SQLite simply ignores them.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
# Persistent connections on both engines: opening one (and on SQLite running the PRAGMAs
# above) cost more than the rest of a cached page. Health checks (a SELECT 1 before each
# request's first query) are Django's default, off: a connection the server dropped fails
# one request and is replaced; CONN_HEALTH_CHECKS=1 trades a round trip per request for that.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", False)

# PostgreSQL prepares the statements a connection runs again and again (parsed and planned
# once per connection: planning the portal's session lookup cost more database CPU than
# running it). psycopg does it, for statements bound on the server, once one has run
# `prepare_threshold` times on the connection; Django's default binds on the client and
# never prepares. Turn it off behind a transaction-pooling PgBouncer older than 1.21.
SOLABOOKS_DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and SOLABOOKS_DB_PREPARED_STATEMENTS
):
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": 5,  # psycopg's own default
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "staff-login"
LOGIN_REDIRECT_URL = "dashboard"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("SOLABOOKS_FAST_HASHER"):
    # Test runs only: argon2 is deliberately slow and tests create thousands of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# NIST SP 800-63B-4 for single-factor accounts (solabooks/core/passwords.py): at least
# 15 characters, long passphrases welcome, not common, not the account's own words.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "solabooks.core.passwords.ContextWordsValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "solabooks.core.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            # Lets several deployments (or benchmark runs) share one Redis.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
        }
    }
else:
    # A database table is shared by every app server, which rate limits need.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "solabooks_cache",
        }
    }

# Sessions stay in the database (they outlive a cache flush); with Redis configured, reads
# come from the cache, so a signed-in page costs no session query.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Session lifetimes (OWASP ASVS 3.3; core/sessions.py): staff sessions end 12 hours after
# sign-in and after 2 hours without a request (both configurable); portal sessions after
# 12 hours and 30 minutes (fixed by the product spec). The cookie never outlives them.
STAFF_SESSION_MAX_AGE = int(os.environ.get("STAFF_SESSION_MAX_AGE", str(12 * 3600)))
STAFF_SESSION_IDLE = int(os.environ.get("STAFF_SESSION_IDLE", str(2 * 3600)))
PORTAL_SESSION_MAX_AGE = 12 * 3600
PORTAL_SESSION_IDLE = 30 * 60
SESSION_COOKIE_AGE = max(STAFF_SESSION_MAX_AGE, PORTAL_SESSION_MAX_AGE)

# HTTPS: with an https BASE_URL the app only ever answers over https (a plain-http request
# is redirected, except the load balancer's health check), tells browsers so for a year
# (HSTS, subdomains included) and keeps its cookies off plain http.
HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^finance/health/$"]
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading is a promise browsers keep for months about the whole domain: the deployer's
# decision (HSTS_PRELOAD=1), not a default.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("HSTS_PRELOAD")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload: the deployer's choice, above
# Behind a TLS-terminating load balancer the request reaches the app as http; its
# X-Forwarded-Proto tells the scheme. Believed only from TRUSTED_PROXIES: the header is
# dropped from any other peer (core.middleware.ForwardedProtoMiddleware).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/finance/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "solabooks" / "static"]
MEDIA_URL = "/finance/media/"
# Where files live: FILE_STORAGE=local (the default: the two directories below) or s3 (one
# S3-compatible bucket shared by every app server; core.storage_config reads its S3_* vars).
# Public media: uploaded logos, the only files meant to be fetched by anyone; the app serves
# them at MEDIA_URL (tenancy.media_views). Nothing else is ever written to the default storage.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private storage: generated PDFs, acceptance records, outbox attachments. No URL maps to it
# (its url() raises); the link page, the portal and staff pages stream its files after their
# own checks. Never serve this directory.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", VAR_DIR / "private"))
from solabooks.core.storage_config import storages_from_env  # noqa: E402

STORAGES = storages_from_env(
    os.environ,
    private_root=PRIVATE_STORAGE_ROOT,
    served_dirs=[
        ("MEDIA_ROOT", MEDIA_ROOT),
        ("STATIC_ROOT", STATIC_ROOT),
        *(("STATICFILES_DIRS", d) for d in STATICFILES_DIRS),
    ],
    staticfiles_backend=(
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("SOLABOOKS_TESTING")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    ),
)
WHITENOISE_USE_FINDERS = DEBUG or env_bool("SOLABOOKS_TESTING")

# Request bodies: forms stay small; a logo upload is the largest thing staff send.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
LOGO_MAX_BYTES = 1024 * 1024

# Email: the outbox commits messages with the request; a task delivers them.
SOLABOOKS_DEMO = env_bool("SOLABOOKS_DEMO")
EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@solabooks.test")
DEMO_MAILBOX_DIR = VAR_DIR / "mailbox"
from solabooks.mail.config import email_settings_from_url  # noqa: E402

globals().update(email_settings_from_url(EMAIL_URL, demo_mailbox=SOLABOOKS_DEMO))
# How long a claimed outbox row belongs to the worker sending it (solabooks/mail/delivery.py):
# only after it may a sweep take the row back. A system check (mail/checks.py) refuses a
# lease shorter than the SMTP timeout lets a live send last.
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "600"))

# Access records (views, downloads, API calls) are written in batches by a background
# thread of each app process (activity/accesslog.py); "immediate" writes each in its request.
SOLABOOKS_ACCESS_LOG = os.environ.get(
    "ACCESS_LOG", "immediate" if env_bool("SOLABOOKS_TESTING") else "background"
)

# Customer events for one document (or customer) within this window after the first make
# one email to each recipient (solabooks/notifications/services.py).
NOTIFICATION_BURST_WINDOW = datetime.timedelta(
    minutes=float(os.environ.get("NOTIFICATION_BURST_MINUTES", "5"))
)

# The longest a cached answer (link page, portal page, API list) is kept whatever the
# business's data version says: the bound for rows written around the services
# (tenancy/versions.py). Lower only to test that bound.
ANSWER_MAX_AGE = int(os.environ.get("ANSWER_MAX_AGE", "60"))
if ANSWER_MAX_AGE < 1:
    raise ImproperlyConfigured("ANSWER_MAX_AGE must be a whole number of seconds, 1 or more.")

TASK_BACKEND = os.environ.get("TASK_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASK_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "solabooks.api.authentication.APIKeyAuthentication",
        "solabooks.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["solabooks.api.permissions.IsOrganizationMember"],
    "DEFAULT_THROTTLE_CLASSES": ["solabooks.api.throttling.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "solabooks.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "solabooks.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
# Staff API limits: requests per window (seconds) per API key, and the largest JSON body.
SOLABOOKS_API_RATE_LIMIT = (
    int(os.environ.get("API_RATE_LIMIT", "600")),
    int(os.environ.get("API_RATE_WINDOW", "60")),
)
SOLABOOKS_API_MAX_BODY_BYTES = 1024 * 1024
SPECTACULAR_SETTINGS = {
    "TITLE": "Solabooks API",
    "DESCRIPTION": "Staff API for customers, documents, payments, secure links, portal "
    "access, and projects and time.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Enum component names that two fields share are named here, not guessed.
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "solabooks.core.money.CURRENCY_CHOICES",
        "DocumentKindEnum": "solabooks.documents.models.Kind",
        "DocumentStateEnum": "solabooks.documents.models.State",
        "CreatableKindEnum": "solabooks.api.serializers.CREATABLE_KINDS",
        "ConvertibleKindEnum": "solabooks.api.serializers.CONVERTIBLE_KINDS",
        "LinkStateEnum": "solabooks.api.serializers.LINK_STATES",
        "PortalAccessStateEnum": "solabooks.api.serializers.PORTAL_STATES",
        "ProjectStatusEnum": "solabooks.projects.models.ProjectStatus",
        "TimeEntryStateEnum": "solabooks.projects.models.EntryState",
        "ApprovalRequestStateEnum": "solabooks.projects.models.RequestState",
        "ApprovalDecisionEnum": "solabooks.projects.models.ItemDecision",
        "ProjectLinkPurposeEnum": "solabooks.api.project_serializers.PROJECT_LINK_PURPOSES",
        "InvoiceGroupingEnum": "solabooks.api.project_serializers.GROUPING_CHOICES",
        "BudgetKindEnum": "solabooks.api.project_serializers.BURN_KINDS",
        "BudgetLevelEnum": "solabooks.api.project_serializers.BURN_LEVELS",
    },
    "SCHEMA_PATH_PREFIX": r"/finance/api/v[0-9]+",
    # Enum values are listed by the schema itself; no "* `AUD` - AUD" prose in descriptions.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "solabooks.api.schema.document_error_headers",
        "solabooks.api.schema.document_idempotency_key",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "solabooks.core.logging.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry paths; token paths must never be logged whole.
        # The filter sits on the loggers too, so a handler added later still gets redacted
        # records (it rewrites the record itself).
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
            "filters": ["redact_tokens"],
        },
        "django.security": {
            "handlers": ["console"],
            "propagate": False,
            "filters": ["redact_tokens"],
        },
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
    },
}
