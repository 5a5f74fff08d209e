"""irflow's one settings module: everything a site changes comes from the environment.

`IRFLOW_DATA_DIR` holds the SQLite database, the secret key, received DICOM/HL7 input and
attachments. `DATABASE_URL` switches to PostgreSQL. See docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.utils.csp import CSP


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envstr(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(envstr("IRFLOW_DATA_DIR", "./data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("IRFLOW_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must not write different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    """`postgres://user:pass@host:port/name?opt=v` or `sqlite:///path` -> a DATABASES entry."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        # An unreachable server must fail a request quickly (a 503), not hang it.
        options.setdefault("connect_timeout", str(envint("IRFLOW_DB_CONNECT_TIMEOUT_S", 5)))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": envint("IRFLOW_DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            # Behind a pooler in transaction mode (PgBouncer pool_mode=transaction) a cursor
            # must not outlive its transaction: no server-side cursors (docs/operations.md).
            "DISABLE_SERVER_SIDE_CURSORS": envbool("IRFLOW_DB_TRANSACTION_POOLING", False),
            "OPTIONS": options,
            "TEST": {"NAME": options.pop("test_name", None)},
        }
    if parts.scheme == "sqlite":
        return sqlite_database(Path(unquote(parts.path)) if parts.path else DATA_DIR / "irflow.db")
    raise ValueError(
        f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres:// or sqlite://)"
    )


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Each server thread keeps its connection (opened, PRAGMAs run, functions registered
        # once) instead of opening one per request: 1.7 ms against a few microseconds.
        "CONN_MAX_AGE": envint("IRFLOW_DB_CONN_MAX_AGE", 60),
        "OPTIONS": {
            # Writers queue on the busy timeout instead of failing; IMMEDIATE takes the write
            # lock at BEGIN so a read-then-write transaction cannot deadlock on upgrade.
            "timeout": envint("IRFLOW_SQLITE_TIMEOUT_S", 30),
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-20000;"
            ),
        },
        # Tests use a file too (not :memory:), so that threads and processes share one
        # database with WAL and the busy timeout, as in production.
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
    }


SECRET_KEY = _secret_key()
DEBUG = envbool("IRFLOW_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in envstr("IRFLOW_ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("IRFLOW_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "irflow.accounts",
    "irflow.audit",
    "irflow.catalogue",
    "irflow.patients",
    "irflow.orders",
    "irflow.referrals",
    "irflow.board",
    "irflow.scheduling",
    "irflow.readiness",
    "irflow.checklists",
    "irflow.dose",
    "irflow.followup",
    "irflow.procedures",
    "irflow.reports",
    "irflow.recovery",
    "irflow.outcomes",
    "irflow.devices",
    "irflow.training",
    "irflow.dayofcase",
    "irflow.timeline",
    "irflow.quality",
    "irflow.dicomserver",
    "irflow.hl7server",
    "irflow.administration",
    "irflow.web",
    "irflow.runtime",
    "irflow.demo",
    "irflow.fhirserver",
    "irflow.registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "irflow.web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "irflow.web.middleware.RequestSizeMiddleware",
    "irflow.administration.middleware.FirstRunMiddleware",
    "irflow.accounts.middleware.SignedOutAnswerMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "irflow.accounts.middleware.IdleTimeoutMiddleware",
    "irflow.accounts.middleware.SecondFactorMiddleware",
    "irflow.accounts.middleware.PasswordChangeMiddleware",
    "irflow.audit.middleware.RequestContextMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "irflow.web.middleware.ServiceErrorMiddleware",
    # Last, so that its process_exception runs first: a database outage is a calm 503.
    "irflow.web.outage.DatabaseAwayMiddleware",
]

ROOT_URLCONF = "irflow.urls"
WSGI_APPLICATION = "irflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "irflow.web.context_processors.site",
                "irflow.referrals.context_processors.notifications",
            ],
        },
    }
]

if url := os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(url)}
else:
    DATABASES = {"default": sqlite_database(DATA_DIR / "irflow.db")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The password policy, applied wherever a password is set: an administrator's new user or
# reset, one's own change, `irflow createsuperuser`. Only the demo and the tests bypass it, and
# say so (`user_create(check_password=False)`).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lockout after repeated failures (django-axes): per username, so one attacker behind a
# hospital NAT cannot lock out the whole department.
AXES_FAILURE_LIMIT = envint("IRFLOW_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = envint("IRFLOW_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Locking by username alone is deliberate (see above); axes warns that IP is not included.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions: idle timeout enforced by IdleTimeoutMiddleware; the cookie outlives it a little.
IRFLOW_IDLE_TIMEOUT_S = envint("IRFLOW_IDLE_TIMEOUT_MINUTES", 15) * 60
SESSION_COOKIE_AGE = max(IRFLOW_IDLE_TIMEOUT_S * 4, 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_COOKIES = envbool("IRFLOW_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# htmx requests get a marker instead of the page (irflow.js then renews the token).
CSRF_FAILURE_VIEW = "irflow.accounts.views.csrf_failure"
if envbool("IRFLOW_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Two-factor: TOTP is available to everyone; required for administrators when enabled.
IRFLOW_REQUIRE_2FA_FOR_ADMINS = envbool("IRFLOW_REQUIRE_2FA_FOR_ADMINS", True)
OTP_TOTP_ISSUER = envstr("IRFLOW_SITE_NAME", "irflow")

# Content Security Policy: no inline script anywhere; styles from our own origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LANGUAGE_CODE = envstr("IRFLOW_LANGUAGE", "en-gb")
TIME_ZONE = envstr("IRFLOW_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js from the installed plotly package, never a copy in the repository.
    "irflow.web.staticfiles.PlotlyFinder",
]
# `irflow up` (or `irflow collectstatic`) writes hashed, compressed copies to STATIC_ROOT;
# whitenoise serves those (gzip or brotli, cached for a year) and, for a file not collected
# yet, the original from the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "irflow.web.staticfiles.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "files"

# Uploads: refuse big bodies before Django reads them (oversized payloads get a 413/400).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("IRFLOW_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
IRFLOW_MAX_ATTACHMENT_BYTES = envint("IRFLOW_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
# One request with everything in it, uploaded files included (RequestSizeMiddleware).
IRFLOW_MAX_UPLOAD_BYTES = envint("IRFLOW_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)

TASKS = {
    "default": {
        "BACKEND": envstr("IRFLOW_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The task worker (irflow.runtime.worker): a heartbeat every few seconds; a worker silent for
# longer than GONE_AFTER is gone, and the sweep (every SWEEP seconds, run by the workers)
# fails its running tasks so that their work is queued again. While the database is away a
# worker waits, doubling its wait up to RETRY_MAX seconds.
IRFLOW_WORKER_HEARTBEAT_S = envint("IRFLOW_WORKER_HEARTBEAT_S", 5)
IRFLOW_WORKER_GONE_AFTER_S = envint("IRFLOW_WORKER_GONE_AFTER_S", 30)
IRFLOW_TASK_SWEEP_S = envint("IRFLOW_TASK_SWEEP_S", 15)
IRFLOW_WORKER_RETRY_MAX_S = envint("IRFLOW_WORKER_RETRY_MAX_S", 5)
# HL7 outbox (irflow.hl7server.sender): a failed delivery is tried again after
# IRFLOW_HL7_RETRY_BASE_S seconds, doubling per failed attempt, at most IRFLOW_HL7_RETRY_MAX_S;
# connecting to a destination gives up after IRFLOW_HL7_CONNECT_TIMEOUT_S.
IRFLOW_HL7_RETRY_BASE_S = envint("IRFLOW_HL7_RETRY_BASE_S", 10)
IRFLOW_HL7_RETRY_MAX_S = envint("IRFLOW_HL7_RETRY_MAX_S", 600)
IRFLOW_HL7_CONNECT_TIMEOUT_S = envint("IRFLOW_HL7_CONNECT_TIMEOUT_S", 10)
# While the database is away, pages and the API answer 503 with this Retry-After.
IRFLOW_DB_RETRY_AFTER_S = envint("IRFLOW_DB_RETRY_AFTER_S", 10)

# Site identity, used in identifiers and documents.
IRFLOW_SITE_NAME = envstr("IRFLOW_SITE_NAME", "irflow")
IRFLOW_MRN_ISSUER = envstr("IRFLOW_MRN_ISSUER", "HOSP")
# The quality dashboards' thresholds (docs/quality.md); empty: the shipped file.
IRFLOW_QUALITY_THRESHOLDS = envstr("IRFLOW_QUALITY_THRESHOLDS", "")
IRFLOW_UID_ROOT = envstr("IRFLOW_UID_ROOT", "1.2.826.0.1.3680043.10.1293")
# FHIR (docs/fhir.md): the URI the site's own identifier and code systems hang under, the
# identifier system of each patient-identifier issuer (JSON object, issuer -> URI; others get
# <base>/sid/patient/<issuer>), and the site's public address for absolute links (a report's
# PDF); empty: links relative to the site.
IRFLOW_FHIR_SYSTEM_BASE = envstr("IRFLOW_FHIR_SYSTEM_BASE", "http://irflow.invalid/fhir")
IRFLOW_FHIR_ISSUER_SYSTEMS = envstr("IRFLOW_FHIR_ISSUER_SYSTEMS", "{}")
IRFLOW_FHIR_BASE_URL = envstr("IRFLOW_FHIR_BASE_URL", "")
# FHIR Bulk Data export ($export): a finished export's files are deleted (by the worker's
# sweep) this many hours after it finished.
IRFLOW_FHIR_EXPORT_KEEP_H = envint("IRFLOW_FHIR_EXPORT_KEEP_H", 24)

# HL7 in (irflow.hl7server.apply; docs/hl7-interface.md). A message that names an identifier
# merged away by an A40: "accept" (applied to the surviving record) or "reject" (AE, PID-3).
IRFLOW_HL7_MERGED_IDENTIFIER = envstr("IRFLOW_HL7_MERGED_IDENTIFIER", "accept")
# PID-3.4 assigning authorities → irflow issuers, "ADT1=HOSP,EPIC=HOSP"; an authority not
# listed is the issuer as sent, an empty one the hospital MRN issuer (IRFLOW_MRN_ISSUER).
IRFLOW_HL7_ISSUERS = dict(
    pair.split("=", 1) for pair in envstr("IRFLOW_HL7_ISSUERS", "").split(",") if "=" in pair
)
# The issuer of PID-19 (social security / national number sent outside PID-3).
IRFLOW_HL7_SSN_ISSUER = envstr("IRFLOW_HL7_SSN_ISSUER", "SSN")

# Booking fit (docs/referral-to-booking.md): modalities every room has at hand (a portable
# ultrasound), and how long after its start a booking may still be entered without a reason.
IRFLOW_PORTABLE_MODALITIES = [
    m.strip() for m in envstr("IRFLOW_PORTABLE_MODALITIES", "US").split(",") if m.strip()
]
IRFLOW_RETROSPECTIVE_GRACE_MIN = envint("IRFLOW_RETROSPECTIVE_GRACE_MINUTES", 30)

# DICOM listener (irflow dicom; part of irflow up). See docs/dicom-conformance.md.
# IRFLOW_DICOM_ENABLED=false (irflow up --no-dicom) leaves the listener out of /health.
IRFLOW_DICOM_ENABLED = envbool("IRFLOW_DICOM_ENABLED", True)
IRFLOW_DICOM_HOST = envstr("IRFLOW_DICOM_HOST", "127.0.0.1")
IRFLOW_DICOM_PORT = envint("IRFLOW_DICOM_PORT", 11112)
IRFLOW_DICOM_AE_TITLE = envstr("IRFLOW_DICOM_AE_TITLE", "IRFLOW")
# Accepted associations at once, in all and from one peer address; open connections
# (associated or not), in all and from one peer address.
IRFLOW_DICOM_MAX_ASSOCIATIONS = envint("IRFLOW_DICOM_MAX_ASSOCIATIONS", 10)
IRFLOW_DICOM_MAX_ASSOCIATIONS_PER_PEER = envint("IRFLOW_DICOM_MAX_ASSOCIATIONS_PER_PEER", 5)
IRFLOW_DICOM_MAX_CONNECTIONS = envint("IRFLOW_DICOM_MAX_CONNECTIONS", 200)
IRFLOW_DICOM_MAX_CONNECTIONS_PER_PEER = envint("IRFLOW_DICOM_MAX_CONNECTIONS_PER_PEER", 40)
# ARTIM: how long a new connection may stay silent before its A-ASSOCIATE-RQ. Network: how
# long a peer may stay silent mid-PDU or on an idle association. DIMSE: wait for a message.
IRFLOW_DICOM_ARTIM_TIMEOUT_S = envint("IRFLOW_DICOM_ARTIM_TIMEOUT_S", 10)
IRFLOW_DICOM_NETWORK_TIMEOUT_S = envint("IRFLOW_DICOM_NETWORK_TIMEOUT_S", 60)
IRFLOW_DICOM_DIMSE_TIMEOUT_S = envint("IRFLOW_DICOM_DIMSE_TIMEOUT_S", 60)
# Calling AEs must be configured (admin: remote AEs) whenever the listener is bound beyond
# loopback; with this setting on loopback too.
IRFLOW_DICOM_REFUSE_UNKNOWN_AE = envbool("IRFLOW_DICOM_REFUSE_UNKNOWN_AE", False)
# DICOM over TLS (BCP 195) on its own port, 0 = off (2762 is the registered port).
IRFLOW_DICOM_TLS_PORT = envint("IRFLOW_DICOM_TLS_PORT", 0)
IRFLOW_DICOM_TLS_CERT = envstr("IRFLOW_DICOM_TLS_CERT", "")
IRFLOW_DICOM_TLS_KEY = envstr("IRFLOW_DICOM_TLS_KEY", "")
# CA certificates for client certificates; with VERIFY_CLIENT, clients must present one.
IRFLOW_DICOM_TLS_CA = envstr("IRFLOW_DICOM_TLS_CA", "")
IRFLOW_DICOM_TLS_VERIFY_CLIENT = envbool("IRFLOW_DICOM_TLS_VERIFY_CLIENT", False)
# Worklist answers to AEs that are not configured: in this character set.
IRFLOW_DICOM_DEFAULT_CHARSET = envstr("IRFLOW_DICOM_DEFAULT_CHARSET", "ISO_IR 192")

# HL7 v2 listener (irflow hl7; part of irflow up). See docs/operations.md.
# IRFLOW_HL7_ENABLED=false (irflow up --no-hl7) leaves the listener out of /health.
IRFLOW_HL7_ENABLED = envbool("IRFLOW_HL7_ENABLED", True)
IRFLOW_HL7_HOST = envstr("IRFLOW_HL7_HOST", "127.0.0.1")
IRFLOW_HL7_PORT = envint("IRFLOW_HL7_PORT", 2575)
# A frame larger than this is answered AR (a report with its PDF is 1-2 MB).
IRFLOW_HL7_MAX_BYTES = envint("IRFLOW_HL7_MAX_BYTES", 8 * 1024 * 1024)
# A frame begun and not finished within this is dropped with its connection (idle
# connections between frames are kept: engines keep one open).
IRFLOW_HL7_FRAME_TIMEOUT_S = envint("IRFLOW_HL7_FRAME_TIMEOUT_S", 60)
# Who may send beyond loopback (MLLP has no sign-in): addresses or networks, comma-separated.
# Bound beyond loopback with none, the listener refuses to start.
IRFLOW_HL7_ALLOWED_PEERS = envstr("IRFLOW_HL7_ALLOWED_PEERS", "")
# MSH-11 processing IDs accepted: P (production) only by default; a test instance: P,T.
IRFLOW_HL7_PROCESSING_IDS = envstr("IRFLOW_HL7_PROCESSING_IDS", "P")

# Background tasks log a line per task at INFO (hundreds once the demo is created): WARNING by
# default; failed tasks are errors and always show. IRFLOW_TASK_LOG_LEVEL=INFO shows each one.
IRFLOW_TASK_LOG_LEVEL = envstr("IRFLOW_TASK_LOG_LEVEL", "WARNING")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("IRFLOW_LOG_LEVEL", "INFO")},
    "loggers": {
        "pynetdicom": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "weasyprint": {"level": "WARNING"},
        "django.tasks": {"level": IRFLOW_TASK_LOG_LEVEL},
        "django_tasks_db": {"level": IRFLOW_TASK_LOG_LEVEL},
    },
}
