"""costdash settings: one module, driven by environment variables.

Every variable is listed in .env.example. A bad value fails loudly at start-up.
Embedded default: SQLite and in-process tasks. DATABASE_URL / REDIS_URL switch
to PostgreSQL / Redis.
"""
import base64
from datetime import timedelta
import os
from pathlib import Path
import zoneinfo

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import SimpleLazyObject

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def crontab(**fields) -> SimpleLazyObject:
    """celery.schedules.crontab(**fields), made when beat (or anything) first reads it: importing Celery here
    would cost every process a tenth of a second, commands that never queue a task included."""
    def make():
        from celery.schedules import crontab

        return crontab(**fields)

    return SimpleLazyObject(make)


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("COSTDASH_ALLOW_INSECURE_KEY", False):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set (set DJANGO_DEBUG=true for local development)"
        )
    SECRET_KEY = "insecure-dev-key-only-for-local-use"


def env_fernet_keys(name: str) -> list[str]:
    """Fernet keys (urlsafe base64 of 32 bytes), comma-separated; a malformed one fails start-up."""
    keys = env_list(name, "")
    for i, key in enumerate(keys, 1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"{name}: key {i} is not a Fernet key (44 characters of urlsafe base64 encoding 32 bytes; make one "
                "with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            )
    return keys


# Encrypts stored secrets (Admin API keys): the first key encrypts, all decrypt; when empty, a key
# derived from SECRET_KEY is used (costdash.lib.encryption).
COSTDASH_ENCRYPTION_KEYS = env_fernet_keys("COSTDASH_ENCRYPTION_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "costdash.accounts.admin_config.CostdashAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from static/, no CDN
    "costdash.accounts",
    "costdash.pricing",
    "costdash.ingest",
    "costdash.rollups",
    "costdash.dashboard",
    "costdash.demo",
    "costdash.embedded",  # manage.py run_embedded: `make run`'s web server + worker with embedded beat
    "costdash.connectors",
    "costdash.limits",
    "costdash.budgets",
    "costdash.chargeback",
    "costdash.reports",
    "costdash.alerts",
    "costdash.ratelimits",
    "costdash.planning",
    "costdash.api",
    "costdash.sso",  # single sign-on with OpenID Connect (the OIDC_ block below)
    "auditlog",  # django-auditlog: the audit trail's LogEntry rows (costdash.audit registers what it follows)
    "costdash.audit",  # the audit trail: who changed what, when, before and after (the AUDITLOG_ block below)
    "costdash.ops",  # health (/healthz/, /readyz/), /metrics, JSON logs (the COSTDASH_HEALTH_ block below)
    "axes",  # login throttling (the AXES_ block below)
    "csp",  # Content-Security-Policy (the CONTENT_SECURITY_POLICY block below)
]

MIDDLEWARE = [
    "costdash.ops.middleware.OpsMiddleware",  # first: a request id for the logs, the whole request timed for /metrics
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "costdash.audit.actor.AuditMiddleware",  # the audit trail's actor: the request's login, read at each change
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: turns a lockout into its 429 page
]

ROOT_URLCONF = "costdash.urls"
WSGI_APPLICATION = "costdash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "costdash.dashboard.context_processors.role",
                "costdash.dashboard.context_processors.filter_query",
            ],
        },
    },
]

DATA_DIR = Path(os.environ.get("COSTDASH_DATA_DIR", BASE_DIR / "var"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'costdash.sqlite3'}",
        # Persistent connections: a new one per request cost a receiver ~15 ms of PostgreSQL CPU.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the dashboard read while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # Under `make run` the web server and the embedded worker (run_embedded) are two processes writing one
    # file: a writer waits this long for the other's transaction to end before "database is locked".
    DATABASES["default"]["OPTIONS"]["timeout"] = env_int("COSTDASH_SQLITE_BUSY_SECONDS", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+address before any password is checked (needs the request,
    # which Django's login views and the admin's pass; a bare authenticate() without one is refused).
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, refused to all but break-glass superusers when COSTDASH_PASSWORD_LOGIN is off.
    "costdash.sso.backends.PasswordBackend",
    "costdash.accounts.admin_site.AdminRoleBackend",  # the Django admin: an active superuser holds every permission
    "costdash.sso.backends.SsoBackend",  # OpenID Connect sign-in (the block below); signs no one in while off
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes, failures kept in the database): after COSTDASH_LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused (429, "try again in N minutes") for
# COSTDASH_LOGIN_COOLOFF_MINUTES, right password included; each refused try restarts the wait. Locking the
# pair, not the username alone, keeps an attacker from locking everyone else out of their own account.
# Password reset is not throttled (it reveals nothing, and the link needs the mailbox); a new password set from
# its link lifts that username's lockout (accounts.password_reset).
COSTDASH_LOGIN_FAILURE_LIMIT = env_int("COSTDASH_LOGIN_FAILURE_LIMIT", 10)
COSTDASH_LOGIN_COOLOFF_MINUTES = env_int("COSTDASH_LOGIN_COOLOFF_MINUTES", 15)
if COSTDASH_LOGIN_FAILURE_LIMIT < 1 or COSTDASH_LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("COSTDASH_LOGIN_FAILURE_LIMIT and COSTDASH_LOGIN_COOLOFF_MINUTES must be 1 or more")
AXES_FAILURE_LIMIT = COSTDASH_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=COSTDASH_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a right password (not locked out) forgets the earlier failures
AXES_LOCKOUT_CALLABLE = "costdash.accounts.lockout.lockout_response"
# The client's address: REMOTE_ADDR, unless costdash sits behind COSTDASH_PROXY_COUNT reverse proxies that set
# X-Forwarded-For (never trusted otherwise: a client could name any address and never be locked out).
COSTDASH_PROXY_COUNT = env_int("COSTDASH_PROXY_COUNT", 0)
if COSTDASH_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = COSTDASH_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Single sign-on with OpenID Connect (costdash/sso, on mozilla-django-oidc): on when COSTDASH_OIDC_ISSUER is set.
# The issuer (or its /.well-known/openid-configuration URL) gives the endpoints by discovery; the provider's client
# must allow the redirect URI <COSTDASH_BASE_URL>/sso/callback/. A sign-in needs a verified e-mail
# (email_verified true); its role comes from the groups claim through the admins' mapping (SSO -> Roles).
COSTDASH_OIDC_ISSUER = os.environ.get("COSTDASH_OIDC_ISSUER", "").strip().removesuffix(
    "/.well-known/openid-configuration").rstrip("/")
COSTDASH_OIDC_CLIENT_ID = os.environ.get("COSTDASH_OIDC_CLIENT_ID", "")
COSTDASH_OIDC_CLIENT_SECRET = os.environ.get("COSTDASH_OIDC_CLIENT_SECRET", "")
COSTDASH_OIDC_NAME = os.environ.get("COSTDASH_OIDC_NAME", "") or "single sign-on"  # "Sign in with <name>"
COSTDASH_OIDC_SCOPES = os.environ.get("COSTDASH_OIDC_SCOPES", "") or "openid email profile"
COSTDASH_OIDC_GROUPS_CLAIM = os.environ.get("COSTDASH_OIDC_GROUPS_CLAIM", "") or "groups"
COSTDASH_OIDC_DISCOVERY_SECONDS = env_int("COSTDASH_OIDC_DISCOVERY_SECONDS", 3600)  # discovery document kept
COSTDASH_SSO_ENABLED = bool(COSTDASH_OIDC_ISSUER)
if COSTDASH_SSO_ENABLED and not (COSTDASH_OIDC_CLIENT_ID and COSTDASH_OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("COSTDASH_OIDC_ISSUER is set: COSTDASH_OIDC_CLIENT_ID and COSTDASH_OIDC_CLIENT_SECRET "
                               "must be set too")
if COSTDASH_SSO_ENABLED and not COSTDASH_OIDC_ISSUER.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"COSTDASH_OIDC_ISSUER must be an http(s) URL, not {COSTDASH_OIDC_ISSUER!r}")
if "openid" not in COSTDASH_OIDC_SCOPES.split():
    raise ImproperlyConfigured(f"COSTDASH_OIDC_SCOPES must include openid, not {COSTDASH_OIDC_SCOPES!r}")
# Off: only the superusers named in COSTDASH_BREAK_GLASS_USERNAMES sign in with a password (everyone else through
# the identity provider), on the login page and in the Django admin alike.
COSTDASH_PASSWORD_LOGIN = env_bool("COSTDASH_PASSWORD_LOGIN", True)
COSTDASH_BREAK_GLASS_USERNAMES = env_list("COSTDASH_BREAK_GLASS_USERNAMES", "")
if not COSTDASH_PASSWORD_LOGIN and not COSTDASH_SSO_ENABLED:
    raise ImproperlyConfigured("COSTDASH_PASSWORD_LOGIN is off but single sign-on is not configured "
                               "(COSTDASH_OIDC_ISSUER): no one but a break-glass superuser could sign in")
# mozilla-django-oidc's own settings, from the above (the endpoints come from discovery: costdash.sso.config).
OIDC_RP_CLIENT_ID = COSTDASH_OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = COSTDASH_OIDC_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = os.environ.get("COSTDASH_OIDC_SIGN_ALGO", "") or "RS256"
OIDC_RP_SCOPES = COSTDASH_OIDC_SCOPES
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("COSTDASH_OIDC_TIMEOUT_SECONDS", 10)  # each call to the provider
# The provider's redirect back carries no password to guess (the provider signed the person in and throttles its
# own logins): django-axes neither counts nor locks it, so refused sign-ins cannot lock an office's address out.
AXES_WHITELIST_CALLABLE = "costdash.sso.backends.axes_skips_sso_callback"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage and server time; the org's reporting zone is OrgSettings.time_zone
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# The embedded default keeps its SQLite file, uploads and collected static files here.
for _folder in (DATA_DIR, STATIC_ROOT):
    _folder.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
COSTDASH_UPLOAD_MAX_BYTES = env_int("COSTDASH_UPLOAD_MAX_BYTES", 2 * 1024**3)
# Live bodies (push, LiteLLM callback, OTLP; costdash.lib.bodies) and archive members (ingest/files):
# checked while reading and inflating, so a bomb is refused before it is expanded.
COSTDASH_BODY_MAX_BYTES = env_int("COSTDASH_BODY_MAX_BYTES", 5 * 1024**2)  # as sent
COSTDASH_BODY_MAX_INFLATED_BYTES = env_int("COSTDASH_BODY_MAX_INFLATED_BYTES", 50 * 1024**2)
COSTDASH_BODY_MAX_RATIO = env_int("COSTDASH_BODY_MAX_RATIO", 500)  # inflated:sent, past 1 MB inflated
COSTDASH_BODY_MAX_RECORDS = env_int("COSTDASH_BODY_MAX_RECORDS", 100_000)  # records (good or bad) per body
COSTDASH_BODY_MAX_JSON_OBJECTS = env_int("COSTDASH_BODY_MAX_JSON_OBJECTS", 1_000_000)
COSTDASH_BODY_MAX_PROTOBUF_MESSAGES = env_int("COSTDASH_BODY_MAX_PROTOBUF_MESSAGES", 250_000)
COSTDASH_ARCHIVE_MAX_MEMBER_BYTES = env_int("COSTDASH_ARCHIVE_MAX_MEMBER_BYTES", 4 * 1024**3)
COSTDASH_ARCHIVE_MAX_TOTAL_BYTES = env_int("COSTDASH_ARCHIVE_MAX_TOTAL_BYTES", 16 * 1024**3)
COSTDASH_ARCHIVE_MAX_RATIO = env_int("COSTDASH_ARCHIVE_MAX_RATIO", 100)  # inflated:compressed, past 1 MB

DEFAULT_ORG_TIME_ZONE = os.environ.get("COSTDASH_DEFAULT_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(DEFAULT_ORG_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"COSTDASH_DEFAULT_TIME_ZONE={DEFAULT_ORG_TIME_ZONE!r} is not a known time zone"
    ) from None

# Alerts: absolute links in messages start with this site's address.
COSTDASH_BASE_URL = os.environ.get("COSTDASH_BASE_URL", "http://localhost:8000").rstrip("/")
if not COSTDASH_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"COSTDASH_BASE_URL must start with http:// or https://, not {COSTDASH_BASE_URL!r}")
COSTDASH_ALERT_LOOKBACK_DAYS = env_int("COSTDASH_ALERT_LOOKBACK_DAYS", 7)  # older days never alert
COSTDASH_ALERT_RETRY_SECONDS = env_int("COSTDASH_ALERT_RETRY_SECONDS", 30)  # first retry; doubles each time
COSTDASH_ALERT_RESEND_SECONDS = env_int("COSTDASH_ALERT_RESEND_SECONDS", 300)  # sweeper re-queues after this
COSTDASH_ALERT_HTTP_TIMEOUT_SECONDS = env_int("COSTDASH_ALERT_HTTP_TIMEOUT_SECONDS", 10)  # webhook/Slack POST
# Digest channels get yesterday's (or last week's) digest at the first check on or after this hour, org time.
COSTDASH_ALERT_DIGEST_HOUR = env_int("COSTDASH_ALERT_DIGEST_HOUR", 8)
if not 0 <= COSTDASH_ALERT_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(
        f"COSTDASH_ALERT_DIGEST_HOUR must be an hour from 0 to 23, not {COSTDASH_ALERT_DIGEST_HOUR}")
# Admin API connections: https only; plain http to a loopback host (127.0.0.0/8, ::1, localhost) only when
# this is on (tests and local stand-ins). lib/http.py refuses to send a credential header otherwise.
COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = env_bool("COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK", False)
# Budgets: an admin may push a developer's or a team's budget to a LiteLLM proxy (its address and master key are
# entered on the Budgets page, the key stored encrypted). Off by default.
COSTDASH_LITELLM_ENFORCEMENT = env_bool("COSTDASH_LITELLM_ENFORCEMENT", False)

# E-mail (alert channels, monthly reports, password reset): Django's SMTP backend.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "costdash@localhost")

# Monthly reports: the hour (UTC) beat e-mails last month's report, on the 1st and the 2nd.
COSTDASH_MONTHLY_REPORT_HOUR = env_int("COSTDASH_MONTHLY_REPORT_HOUR", 6)
if not 0 <= COSTDASH_MONTHLY_REPORT_HOUR <= 23:
    raise ImproperlyConfigured(f"COSTDASH_MONTHLY_REPORT_HOUR must be 0 to 23, not {COSTDASH_MONTHLY_REPORT_HOUR}")

# Imports (ingest.sweep): a pending upload not started this long after it was queued is queued again; a
# running import whose heartbeat (renewed at least every COSTDASH_IMPORT_HEARTBEAT_SECONDS while it works)
# is older than COSTDASH_IMPORT_STALE_SECONDS lost its worker, and is failed with that reason.
COSTDASH_IMPORT_PENDING_GRACE_SECONDS = env_int("COSTDASH_IMPORT_PENDING_GRACE_SECONDS", 120)
COSTDASH_IMPORT_HEARTBEAT_SECONDS = env_int("COSTDASH_IMPORT_HEARTBEAT_SECONDS", 15)
COSTDASH_IMPORT_STALE_SECONDS = env_int("COSTDASH_IMPORT_STALE_SECONDS", 600)
if COSTDASH_IMPORT_STALE_SECONDS < 4 * COSTDASH_IMPORT_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("COSTDASH_IMPORT_STALE_SECONDS must be at least 4 x COSTDASH_IMPORT_HEARTBEAT_SECONDS")
# `manage.py import_usage` over transcripts all as the last import left them runs before Django is set up
# (costdash/ingest/fast_reimport.py reads the variable itself; here so a bad value fails loudly).
COSTDASH_IMPORT_FAST_PATH = env_bool("COSTDASH_IMPORT_FAST_PATH", True)

# Celery: Redis when REDIS_URL is set. Without it (the embedded default) tasks queued by the web server and by
# commands run in-process, and the broker is a folder under DATA_DIR (kombu's filesystem transport, no server):
# `make run` (manage.py run_embedded) starts a Celery worker with embedded beat on it beside the web server, so
# CELERY_BEAT_SCHEDULE runs as in production. A worker never runs tasks in-process (costdash.celery).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"  # the host is a name only
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
if not REDIS_URL:
    # The embedded worker's beat keeps its schedule's state (each entry's last run) here.
    CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celery" / "beat-schedule")
    _queue_folder = DATA_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_folder),  # one folder: what beat and tasks publish, the worker takes
        "data_folder_out": str(_queue_folder),
        "control_folder": str(DATA_DIR / "celery" / "control"),
        "polling_interval": 1,  # seconds between looks at an empty queue
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # one worker, nobody to broadcast to
    _queue_folder.mkdir(parents=True, exist_ok=True)
# run_embedded's worker logs at this level: WARNING keeps `make run`'s terminal quiet; INFO shows each task it takes.
COSTDASH_WORKER_LOG_LEVEL = os.environ.get("COSTDASH_WORKER_LOG_LEVEL", "WARNING").strip().upper()
if COSTDASH_WORKER_LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"COSTDASH_WORKER_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {COSTDASH_WORKER_LOG_LEVEL!r}")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Imports queue a recompute when they commit; the sweep catches any whose enqueue was lost.
# Dirty marks are written in the same transaction as the events, so nothing else can drift.
CELERY_BEAT_SCHEDULE = {
    "sweep-dirty-days": {
        "task": "costdash.rollups.tasks.daily_cost_recompute_dirty",
        "schedule": env_int("COSTDASH_SWEEP_SECONDS", 60),
    },
    # Each enabled Admin API connection pulls usage, cost and Claude Code analytics (a trailing window).
    "admin-api-pull": {
        "task": "costdash.connectors.tasks.admin_api_pull_all",
        "schedule": env_int("COSTDASH_ADMIN_API_PULL_SECONDS", 3600),
    },
    # Imports nobody is running: a pending upload whose enqueue was lost is queued again, a running
    # batch whose worker stopped (heartbeat older than COSTDASH_IMPORT_STALE_SECONDS) is failed (ingest.sweep).
    "imports-sweep": {
        "task": "costdash.ingest.tasks.import_batches_sweep",
        "schedule": env_int("COSTDASH_IMPORT_SWEEP_SECONDS", 60),
    },
    # Bodies the live receivers stored: claims of a worker that died given back, a drain queued when bodies
    # wait (one lost or skipped), old done bodies deleted (ingest.received).
    "received-sweep": {
        "task": "costdash.ingest.tasks.received_bodies_sweep",
        "schedule": env_int("COSTDASH_RECEIVED_SWEEP_SECONDS", 10),
    },
    # Every rule (limits, team averages, operational; the developer-day ones also run after each recompute).
    "alerts-evaluate": {
        "task": "costdash.alerts.tasks.alerts_evaluate",
        "schedule": env_int("COSTDASH_ALERT_CHECK_SECONDS", 300),
    },
    # Re-queues alerts whose delivery was lost or is overdue.
    "alerts-sweep": {
        "task": "costdash.alerts.tasks.alerts_sweep",
        "schedule": env_int("COSTDASH_ALERT_SWEEP_SECONDS", 60),
    },
    # Daily and weekly digests of the channels that ask for one, once per channel and period (alerts.digests).
    "alerts-digests": {
        "task": "costdash.alerts.tasks.alerts_digests",
        "schedule": env_int("COSTDASH_ALERT_DIGEST_CHECK_SECONDS", 600),
    },
    # Last month's report e-mailed to the billing group (reports.tasks), at this hour UTC on the 1st and again on
    # the 2nd for org time zones where the month had not ended yet; a month already sent is never sent again.
    "reports-monthly": {
        "task": "costdash.reports.tasks.reports_monthly_send",
        "schedule": crontab(minute=0, hour=COSTDASH_MONTHLY_REPORT_HOUR, day_of_month="1,2"),
    },
    # Report files asked for on the Reports page or the API are built on a worker; this queues again a build
    # whose enqueue was lost (broker down) or whose worker died (reports.services.reports_build_stuck).
    "reports-build-sweep": {
        "task": "costdash.reports.tasks.reports_build_sweep",
        "schedule": env_int("COSTDASH_REPORT_SWEEP_SECONDS", 60),
    },
    # Beat and worker liveness for /readyz/ and /metrics: beat stamps its heartbeat as it sends this, the worker
    # that runs it stamps the worker's (costdash.ops.heartbeats).
    "ops-heartbeat": {
        "task": "costdash.ops.tasks.ops_heartbeat",
        "schedule": env_int("COSTDASH_HEARTBEAT_SECONDS", 30),
    },
    # PostgreSQL: usage events' month partitions created ahead (ingest.partitions); raw events older than
    # COSTDASH_RAW_EVENT_RETENTION_MONTHS removed, rollups kept (ingest.retention; SQLite too, by DELETE).
    "usage-partitions": {
        "task": "costdash.ingest.tasks.usage_partitions_maintain",
        "schedule": env_int("COSTDASH_USAGE_PARTITIONS_SECONDS", 6 * 3600),
    },
}

# Raw-event retention (ingest.retention): usage events of the current UTC month and the N months before it are kept,
# older ones removed (rollups, reports and closed months stay; an import skips requests that old). 0: kept forever.
COSTDASH_RAW_EVENT_RETENTION_MONTHS = env_int("COSTDASH_RAW_EVENT_RETENTION_MONTHS", 0)
if COSTDASH_RAW_EVENT_RETENTION_MONTHS < 0:
    raise ImproperlyConfigured("COSTDASH_RAW_EVENT_RETENTION_MONTHS must be 0 (keep forever) or a number of months")
# PostgreSQL: month partitions of usage events created this many months ahead of the current one.
COSTDASH_USAGE_PARTITIONS_AHEAD = env_int("COSTDASH_USAGE_PARTITIONS_AHEAD", 3)

# Live bodies (ingest.received): a worker claims up to COSTDASH_RECEIVED_BATCH_BODIES at a time; a claim older than
# COSTDASH_RECEIVED_CLAIM_SECONDS whose worker holds no lock on it (it died) is given back by the sweep, and a body
# claimed COSTDASH_RECEIVED_MAX_ATTEMPTS times is failed; done bodies are deleted after COSTDASH_RECEIVED_KEEP_DAYS.
COSTDASH_RECEIVED_SWEEP_SECONDS = CELERY_BEAT_SCHEDULE["received-sweep"]["schedule"]
COSTDASH_RECEIVED_BATCH_BODIES = env_int("COSTDASH_RECEIVED_BATCH_BODIES", 250)
COSTDASH_RECEIVED_CLAIM_SECONDS = env_int("COSTDASH_RECEIVED_CLAIM_SECONDS", 120)
COSTDASH_RECEIVED_MAX_ATTEMPTS = env_int("COSTDASH_RECEIVED_MAX_ATTEMPTS", 3)
COSTDASH_RECEIVED_KEEP_DAYS = env_int("COSTDASH_RECEIVED_KEEP_DAYS", 7)

# Health (costdash.ops: /healthz/ liveness, /readyz/ readiness, 503 naming what fails). A heartbeat older than
# COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS fails beat or worker; the oldest dirty developer-day waiting longer than
# COSTDASH_HEALTH_ROLLUP_LAG_SECONDS fails rollup_lag; the oldest pending or running import older than
# COSTDASH_HEALTH_IMPORT_LAG_SECONDS fails import_lag. The answer is kept COSTDASH_HEALTH_CACHE_SECONDS per process.
COSTDASH_HEARTBEAT_SECONDS = CELERY_BEAT_SCHEDULE["ops-heartbeat"]["schedule"]
COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS = env_int("COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS",
                                                  max(120, 4 * COSTDASH_HEARTBEAT_SECONDS))
COSTDASH_HEALTH_ROLLUP_LAG_SECONDS = env_int("COSTDASH_HEALTH_ROLLUP_LAG_SECONDS", 900)
COSTDASH_HEALTH_IMPORT_LAG_SECONDS = env_int("COSTDASH_HEALTH_IMPORT_LAG_SECONDS", 3600)
# The oldest live body stored and not yet turned into events (ingest.ReceivedBody) waiting longer fails received_lag.
COSTDASH_HEALTH_RECEIVED_LAG_SECONDS = env_int("COSTDASH_HEALTH_RECEIVED_LAG_SECONDS", 300)
COSTDASH_HEALTH_CACHE_SECONDS = env_int("COSTDASH_HEALTH_CACHE_SECONDS", 5)
if COSTDASH_HEARTBEAT_SECONDS < 1 or COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS < 2 * COSTDASH_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("COSTDASH_HEARTBEAT_SECONDS must be 1 or more, and "
                               "COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS at least twice it")
# /metrics (Prometheus): a bearer token; unset, only requests from this host (loopback, not through a proxy).
COSTDASH_METRICS_TOKEN = os.environ.get("COSTDASH_METRICS_TOKEN", "")

# The API (/api/v1/): a user's API token, or their session (the docs page); every call needs one.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "costdash.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "costdash.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # the docs page is /api/docs/
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "costdash API",
    "DESCRIPTION": "What a team spends on Claude Code and the Anthropic API, as data. Money is US dollars as "
                   "decimal strings (never floats); days are the org's days. See README.md, section API.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",  # tags: daily-costs, developers, alerts, reports
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The audit trail (costdash.audit, on django-auditlog): changes as JSON, a related object by its name, secrets
# masked by costdash.audit.tracked.secret_mask (never a part of them). Actors come from costdash.audit.actor.
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUDITLOG_MASK_CALLABLE = "costdash.audit.tracked.secret_mask"
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # loaddata and fixtures are not a person's change

# Members (accounts.members): an invite link (to choose a password) works once, for this many days.
COSTDASH_INVITE_DAYS = env_int("COSTDASH_INVITE_DAYS", 7)
if COSTDASH_INVITE_DAYS < 1:
    raise ImproperlyConfigured("COSTDASH_INVITE_DAYS must be 1 or more")

# The cache: Redis (REDIS_URL) when set, so what the web processes count together (the per-token request rates
# below) is counted once for all of them; otherwise each process's memory, right for `make run`'s one web process.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "costdash"}}


def env_rate(name: str, default: str) -> str:
    """A request rate, "<count>/<second|minute|hour|day>" (the unit may be cut to s, m, h or d)."""
    raw = os.environ.get(name, "") or default
    count, _, unit = raw.strip().partition("/")
    if not (count.isdigit() and int(count) > 0 and unit[:1] in ("s", "m", "h", "d")):
        raise ImproperlyConfigured(f"{name} must be a rate like 600/minute, not {raw!r}")
    return raw.strip()


# API tokens (costdash.api): a new token lasts this many days unless its maker picks another expiry ("never" is for
# admins only); each token may make COSTDASH_API_TOKEN_RATE requests (429 with Retry-After past it).
COSTDASH_API_TOKEN_DAYS = env_int("COSTDASH_API_TOKEN_DAYS", 90)
COSTDASH_API_TOKEN_RATE = env_rate("COSTDASH_API_TOKEN_RATE", "600/minute")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["costdash.api.throttling.ApiTokenRateThrottle"]
# Ingest tokens (the OTLP, LiteLLM, transcript push and file receivers): requests per token, by kind, before 429
# with Retry-After. Generous: one OTLP token may serve a whole org's Claude Code (logs every 5 s per developer).
COSTDASH_INGEST_RATES = {
    "otlp": env_rate("COSTDASH_INGEST_RATE_OTLP", "30000/minute"),
    "litellm": env_rate("COSTDASH_INGEST_RATE_LITELLM", "30000/minute"),
    "transcripts": env_rate("COSTDASH_INGEST_RATE_TRANSCRIPTS", "600/minute"),
    "files": env_rate("COSTDASH_INGEST_RATE_FILES", "120/minute"),
}

# Log lines: text, or one JSON object per line (time, level, logger, message, request_id); secrets masked in both
# (costdash.ops.logs).
COSTDASH_LOG_FORMAT = os.environ.get("COSTDASH_LOG_FORMAT", "text").strip().lower() or "text"
if COSTDASH_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"COSTDASH_LOG_FORMAT must be text or json, not {COSTDASH_LOG_FORMAT!r}")
# One line per request (logger costdash.access: method, URL name, status, milliseconds, request id; never the path),
# e.g. instead of gunicorn's --access-logfile when logs are JSON.
COSTDASH_ACCESS_LOG = env_bool("COSTDASH_ACCESS_LOG", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "costdash.ops.logs.TextFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "costdash.ops.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": COSTDASH_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("COSTDASH_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In-process tasks would otherwise log every run on a command's output.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
        # Drawing a report's charts (kaleido driving Chromium) logs every browser step at INFO.
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line at every start and login otherwise; lockouts are still logged
    },
}

# Content-Security-Policy (django-csp) on every response: scripts only from this site's files (no inline script,
# no eval: charts.js and the other files in static/js read their data from json_script blocks and data- attributes;
# the Swagger UI's start-up script is served as a file by SpectacularSwaggerSplitView); nothing loaded from
# elsewhere; no framing, plugins, or forms posting to another site.
EMPTY_INLINE_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"  # sha256 of ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # plotly.js creates an empty <style> element and fills it through the CSSOM (insertRule), which a policy
        # does not govern; the hash of the empty text lets exactly that element in, and no <style> with content
        # nor any style="" attribute (so no 'unsafe-inline'). Checked in Chromium by tests/e2e.
        "style-src": ["'self'", EMPTY_INLINE_STYLE],
        "img-src": ["'self'", "data:", "blob:"],  # Swagger UI's icons and plotly.js's PNG export are data:/blob: URLs
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
