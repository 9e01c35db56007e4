"""Settings shared by every environment. Everything deployment-specific comes from the
environment through ``config.env``; see the configuration table in README.md."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("LOOPWISE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "import_export",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hiring",
    "scorecards",
    "axes",
    # Two-factor for password sign-ins (signin.two_factor): authenticator apps, recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "signin",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (config.logs).
    "config.logs.RequestIdMiddleware",
    # Request and database metrics for /metrics (config.metrics): counted in memory, around
    # every other middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.metrics.QueryMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out a session idle too long or past its lifetime (SESSION_* below).
    "signin.sessions.SessionLifetimeMiddleware",
    # Which second factor this session passed (signin.two_factor asks for it below).
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # A password session owing its second factor (or an enrolment TWO_FACTOR_REQUIRED_FOR
    # demands) reaches only that page; after the policy headers, so its redirects carry them.
    "signin.two_factor.TwoFactorMiddleware",
    # Responses by status and view, and each view's latency (after axes' lockout answer).
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # Empty counts as unset (as for REDIS_URL): the embedded SQLite database.
        env_str("DATABASE_URL", "") or f"sqlite:///{VAR_DIR / 'loopwise.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "hiring.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # With LOCAL_PASSWORD_LOGIN off, refuses password sign-ins but superusers' (signin.oidc).
    "signin.oidc.PasswordLoginGate",
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",  # magic links in e-mails, scoped to one scorecard
    "signin.oidc.OIDCBackend",  # sessions signed in through the identity provider
]
SESAME_MAX_AGE = env_int("MAGIC_LINK_MAX_AGE_DAYS", 7, minimum=1) * 24 * 3600
SESAME_TOKEN_NAME = "sesame"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in protection (django-axes, signin.protection): after LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused for
# LOGIN_COOLOFF_MINUTES after its latest attempt, on /login/ and /admin/login/ alike. A
# success resets the count; a superuser unlocks early in the admin (Access attempts).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
# Every username's failures from one address added up (password spraying): from this many,
# password sign-in from that address pauses for the cool-off. 0 turns it off.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=0)
# Reverse proxies in front of the app that append to X-Forwarded-For; 0: the connection's
# own address is the client's. Behind one TLS proxy, 1.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
# Username *and* address: one address cannot lock everyone out, and a stranger elsewhere
# cannot lock a colleague out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "signin.protection.client_ip"
AXES_LOCKOUT_CALLABLE = "signin.protection.lockout_response"
AXES_HANDLER = "signin.protection.Handler"  # adds LOGIN_ADDRESS_FAILURE_LIMIT
AXES_WHITELIST_CALLABLE = "signin.protection.is_magic_link"  # magic links are not passwords
# Only failed attempts are kept, and only until the first sign-in after their cool-off: no
# log of every sign-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False  # signin.admin registers the attempts, with an Unlock action

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded files (candidates' attachments) go through the "default" storage: a folder under
# MEDIA_ROOT here; an S3-compatible bucket is a STORAGES setting (django-storages). They are
# never served from MEDIA_URL: hiring.attachments checks the access policy on each download.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
ATTACHMENT_MAX_MB = env_int("ATTACHMENT_MAX_MB", 10, minimum=1)
# A CSV import (candidates, outcomes) larger than this is refused before a row is read.
IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 2, minimum=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Loopwise <loopwise@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs
# no server (the embedded default of `make run`).
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: the outbox sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's default scheduler, writing beat's heartbeat for /readyz (hiring.heartbeats).
CELERY_BEAT_SCHEDULER = "hiring.heartbeats:HeartbeatScheduler"
# /readyz: not ready when a worker's or beat's heartbeat (written every 15 s) is older than
# this, or when committed work has waited in the outbox longer than this.
READINESS_HEARTBEAT_SECONDS = env_int("READINESS_HEARTBEAT_SECONDS", 90, minimum=30)
READINESS_OUTBOX_LAG_SECONDS = env_int("READINESS_OUTBOX_LAG_SECONDS", 300, minimum=60)
# Queues: e-mail, webhooks and the calibration batches each have their own, so the scale-out
# profile (docker-compose.scale.yml) gives each its workers and concurrency; everything else
# goes to "celery". A worker without -Q consumes all of them (make run's, docker-compose.yml's).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("celery", "email", "webhooks", "calibration")
]
CELERY_TASK_ROUTES = {
    "hiring.tasks.send_due_notifications": {"queue": "email"},
    "hiring.tasks.deliver_webhooks": {"queue": "webhooks"},
    "scorecards.tasks.nightly_calibration": {"queue": "calibration"},
    "scorecards.tasks.refresh_summary_batch": {"queue": "calibration"},
    "scorecards.tasks.summarise_loops": {"queue": "calibration"},
}
# How often beat runs the one-minute sweeps below (delivery, reminders, calendars). Lower it
# only for tests (the scale-out test runs them every 2 s); a nudge after each commit does the
# prompt work anyway.
BEAT_SWEEP_SECONDS = float(env_int("BEAT_SWEEP_SECONDS", 60, minimum=1))
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "nightly-calibration": {
        "task": "scorecards.tasks.nightly_calibration",
        "schedule": crontab(hour=2, minute=30),
    },
    # The outbox is nudged after every commit; this sweep delivers what a nudge missed.
    "dispatch-outbox": {"task": "hiring.tasks.dispatch_outbox", "schedule": BEAT_SWEEP_SECONDS},
    "refresh-open-loop-statuses": {
        "task": "scorecards.tasks.refresh_open_loop_statuses",
        "schedule": 300.0,
    },
    # Reminders are rows with a due time (hiring.notifications); these two sweeps create the
    # rows that have fallen due and send what is due.
    "schedule-reminders": {
        "task": "scorecards.tasks.schedule_reminders",
        "schedule": BEAT_SWEEP_SECONDS,
    },
    "send-due-notifications": {
        "task": "hiring.tasks.send_due_notifications",
        "schedule": BEAT_SWEEP_SECONDS,
    },
    # Webhook deliveries are rows too; commits nudge the sender, this sweep retries.
    "deliver-webhooks": {"task": "hiring.tasks.deliver_webhooks", "schedule": BEAT_SWEEP_SECONDS},
    # Interviewers' calendars: each source is a row with its own due time (backoff included).
    "calendars-sync-due": {
        "task": "hiring.tasks.calendars_sync_due",
        "schedule": BEAT_SWEEP_SECONDS,
    },
    "calendars-write-back": {
        "task": "hiring.tasks.calendars_write_back",
        "schedule": BEAT_SWEEP_SECONDS,
    },
    "purge-idempotency-keys": {"task": "hiring.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # Personal data (DESIGN §7): candidates past retention are anonymised nightly.
    "anonymise-expired-candidates": {
        "task": "hiring.tasks.anonymise_expired_candidates",
        "schedule": crontab(hour=3, minute=15),
    },
    # A candidate's documents whose rows are gone but whose files a failing storage kept.
    "delete-orphaned-attachments": {
        "task": "hiring.tasks.delete_orphaned_attachments",
        "schedule": crontab(hour=3, minute=45),
    },
    # Outcomes after the hire: ask hiring managers for due ones, once per loop and checkpoint.
    "remind-due-outcomes": {
        "task": "hiring.tasks.remind_due_outcomes",
        "schedule": crontab(hour=7, minute=45),
    },
}


# Reminders and notifications (hiring.notifications, scorecards.reminders). The delays of a
# requisition's reminders are fields of the requisition; these are global.
def _hour(name: str, default: int) -> int:
    hour = env_int(name, default, minimum=0)
    if hour > 23:
        raise ImproperlyConfigured(f"{name}={hour} must be an hour from 0 to 23.")
    return hour


QUIET_HOURS_START = _hour("QUIET_HOURS_START", 21)  # in each recipient's own time zone
QUIET_HOURS_END = _hour("QUIET_HOURS_END", 8)  # reminders wait until this hour; equal: none
RECRUITER_DIGEST_HOUR = _hour("RECRUITER_DIGEST_HOUR", 9)  # in the recruiter's time zone
SCORECARD_REMINDER_DAYS = env_int("SCORECARD_REMINDER_DAYS", 14, minimum=1)  # then stop chasing
# A scorecard opens at its interview's start; drafts may be saved before it unless this is off.
SCORECARD_EARLY_DRAFTS = env_bool("SCORECARD_EARLY_DRAFTS", True)
NOTIFICATION_BATCH_SIZE = env_int("NOTIFICATION_BATCH_SIZE", 50, minimum=1)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8, minimum=1)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30, minimum=1)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 3600, minimum=1)
# A row stays claimed this long before another worker may take it over. Keep it well above
# the longest SMTP conversation (EMAIL_TIMEOUT per step), or a slow send gets a twin.
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 300, minimum=1)

# Webhooks (hiring.webhooks): retried with backoff up to a cap, then marked failed.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 50, minimum=1)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120, minimum=1)
# Plain-http receivers are for development; production settings turn this off.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", True)
# Receivers on loopback or private networks likewise (the tests' receiver is on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)

# Interviewers' calendars (hiring.scheduling.busy): CalDAV calendars and ICS feeds, read by
# the calendars-sync-due sweep. Their addresses and passwords are encrypted with this Fernet
# key (several, comma-separated, rotate: the first encrypts). Unset: a fixed development key
# here; production settings have none, so connecting a calendar there needs it set.
CALENDAR_ENCRYPTION_KEY = (
    env_str("CALENDAR_ENCRYPTION_KEY", "")
    or base64.urlsafe_b64encode(
        hashlib.sha256(b"loopwise-development-calendar-key").digest()
    ).decode()
)
for _key in filter(None, (k.strip() for k in CALENDAR_ENCRYPTION_KEY.split(","))):
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            "CALENDAR_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from None
# A calendar last read longer ago than this is "unknown", never free.
CALENDAR_STALE_MINUTES = env_int("CALENDAR_STALE_MINUTES", 180, minimum=1)
CALENDAR_SYNC_MINUTES = env_int("CALENDAR_SYNC_MINUTES", 15, minimum=1)  # after a success
CALENDAR_SYNC_DAYS = env_int("CALENDAR_SYNC_DAYS", 60, minimum=1)  # how far ahead to read
CALENDAR_SYNC_BATCH_SIZE = env_int("CALENDAR_SYNC_BATCH_SIZE", 20, minimum=1)
CALENDAR_TIMEOUT_SECONDS = env_int("CALENDAR_TIMEOUT_SECONDS", 20, minimum=1)
CALENDAR_FEED_MAX_BYTES = env_int("CALENDAR_FEED_MAX_MB", 10, minimum=1) * 1024 * 1024
# CalDAV write-back: how often a failing write is retried, and from how long a wait.
CALENDAR_WRITE_MAX_ATTEMPTS = env_int("CALENDAR_WRITE_MAX_ATTEMPTS", 10, minimum=1)
CALENDAR_WRITE_RETRY_BASE_SECONDS = env_int("CALENDAR_WRITE_RETRY_BASE_SECONDS", 30, minimum=1)
# Calendars on loopback or private networks (the tests' Radicale is on 127.0.0.1); production
# settings turn this off, so a calendar address is no way into the servers behind Loopwise.
CALENDAR_ALLOW_PRIVATE_NETWORKS = env_bool("CALENDAR_ALLOW_PRIVATE_NETWORKS", True)

# Proposed schedules (hiring/scheduling/proposals.py): interviewers' meeting hours on weekdays,
# in each one's own time zone, and how many interviews a day and a week they take.
SCHEDULING_MEETING_HOURS = env_str("SCHEDULING_MEETING_HOURS", "09:00-17:00")
if not re.fullmatch(
    r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", SCHEDULING_MEETING_HOURS
) or (SCHEDULING_MEETING_HOURS[:5] >= SCHEDULING_MEETING_HOURS[6:]):
    raise ImproperlyConfigured(
        "SCHEDULING_MEETING_HOURS must be HH:MM-HH:MM with the start before the end, "
        f"not {SCHEDULING_MEETING_HOURS!r}."
    )
SCHEDULING_DAY_LIMIT = env_int("SCHEDULING_DAY_LIMIT", 2, minimum=1)
SCHEDULING_WEEK_LIMIT = env_int("SCHEDULING_WEEK_LIMIT", 8, minimum=1)
SCHEDULING_POOL_MAX = env_int("SCHEDULING_POOL_MAX", 300, minimum=1)
# Candidate booking links: how long a new link works, and how soon a booked interview may start.
BOOKING_LINK_DAYS = env_int("BOOKING_LINK_DAYS", 7, minimum=1)
BOOKING_MIN_NOTICE_HOURS = env_int("BOOKING_MIN_NOTICE_HOURS", 24, minimum=0)

# API tokens (signin.tokens): each expires; its owner picks up to API_TOKEN_MAX_DAYS, and
# API_TOKEN_DAYS when they do not say. Its last use is written at most this often.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
if API_TOKEN_DAYS > API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured(
        f"API_TOKEN_DAYS={API_TOKEN_DAYS} is more than API_TOKEN_MAX_DAYS={API_TOKEN_MAX_DAYS}."
    )
API_TOKEN_LAST_USED_SECONDS = 60

# SCIM provisioning (signin.scim) at /scim/v2/: the identity provider's bearer token is kept
# as its SHA-256 (64 hex characters); empty turns SCIM off (every request is a 401).
SCIM_TOKEN_SHA256 = env_str("SCIM_TOKEN_SHA256", "").strip().lower()
if SCIM_TOKEN_SHA256 and not re.fullmatch(r"[0-9a-f]{64}", SCIM_TOKEN_SHA256):
    raise ImproperlyConfigured("SCIM_TOKEN_SHA256 is the SHA-256 of the token: 64 hex characters.")
# The identity provider's groups SCIM manages, as "their name=Loopwise group" pairs. Only the
# Recruiters group exists: hiring managers and interviewers come from a requisition's staffing.
SCIM_GROUPS = {
    theirs.strip(): (ours.strip() or theirs.strip())
    for theirs, _, ours in (p.partition("=") for p in env_list("SCIM_GROUPS", ["Recruiters"]))
}

# Sessions (signin.sessions): signed out after SESSION_IDLE_MINUTES without a request, and
# SESSION_MAX_HOURS after signing in however busy.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 120, minimum=1)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# Single sign-on with OpenID Connect (signin.oidc): on when the client id, its secret and the
# provider's discovery document (or its endpoints) are set. The role claim's values map to
# roles (OIDC_ROLE_MAP "value=role,..."; roles: recruiter, hiring_manager, interviewer);
# superuser is not a role a claim can grant.
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = env_str("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", "")  # without discovery, the endpoints below
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT", "")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your company account")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_ROLE_MAP = {
    value.strip(): role.strip()
    for value, _, role in (item.partition("=") for item in env_list("OIDC_ROLE_MAP", []))
}
if not set(OIDC_ROLE_MAP.values()) <= {"recruiter", "hiring_manager", "interviewer"}:
    raise ImproperlyConfigured(
        f"OIDC_ROLE_MAP={OIDC_ROLE_MAP!r} may map to recruiter, hiring_manager or interviewer "
        "only (a claim never makes a superuser)."
    )
OIDC_ALLOWED_EMAIL_DOMAINS = env_list("OIDC_ALLOWED_EMAIL_DOMAINS", [])  # empty: any
# Off: only superusers (the break-glass accounts) may sign in with a password.
LOCAL_PASSWORD_LOGIN = env_bool("LOCAL_PASSWORD_LOGIN", True)

# Two-factor authentication (signin.two_factor) for password sign-ins: who must enrol before
# reaching anything else (superusers, recruiters, everyone; empty: nobody, all may opt in).
TWO_FACTOR_REQUIRED_FOR = env_list("TWO_FACTOR_REQUIRED_FOR", ["superusers", "recruiters"])
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "Loopwise")  # the name authenticator apps show
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The REST API keeps the first answer to a POST with an Idempotency-Key this long.
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24, minimum=1)

# Personal data (hiring.privacy): a decided candidate is anonymised this long after the
# decision (0 turns the automatic anonymisation off).
CANDIDATE_RETENTION_DAYS = env_int("CANDIDATE_RETENTION_DAYS", 730, minimum=0)

# Outcomes after the hire (hiring.outcomes): the performance scale's labels, worst first,
# comma-separated. Each outcome keeps the size of the scale it was recorded on.
OUTCOME_PERFORMANCE_SCALE = env_list(
    "OUTCOME_PERFORMANCE_SCALE",
    [
        "Well below expectations",
        "Below expectations",
        "Meets expectations",
        "Exceeds expectations",
        "Far exceeds expectations",
    ],
)
if not 2 <= len(OUTCOME_PERFORMANCE_SCALE) <= 10:
    raise ImproperlyConfigured("OUTCOME_PERFORMANCE_SCALE needs 2 to 10 labels, worst first.")

# Predictive validity (issue 18): a correlation needs this many hires with an outcome before
# it is shown, and its bootstrap interval this many resamples.
VALIDITY_MIN_HIRES = env_int("VALIDITY_MIN_HIRES", 15, minimum=3)
VALIDITY_RESAMPLES = env_int("VALIDITY_RESAMPLES", 1000, minimum=100)


def _rate(name: str, default: str) -> str:
    value = env_str(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 600/min or 50/s.")
    return value


# API rate limits, per user (token or session) and per address for anonymous calls: a
# runaway integration gets 429 with Retry-After instead of starving everyone else.
API_THROTTLE_USER = _rate("API_THROTTLE_USER", "1200/min")
API_THROTTLE_ANON = _rate("API_THROTTLE_ANON", "60/min")

# The throttles count in the cache: Redis when there is one, so every web process shares
# the count; otherwise each process counts for itself. With Redis down the cache fails open
# (config.cache): no rate limits until it returns, never a 500.
CACHES = {
    "default": (
        {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
    | {"KEY_PREFIX": "loopwise"}
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a request without valid credentials is a 401 with WWW-Authenticate.
        "signin.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, with JSON that refuses bodies nested too deep (400, not a 500), and
    # its exception handler, with a JSON 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
    "EXCEPTION_HANDLER": "hiring.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "hiring.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Keyset pages (`?cursor=` from `next`/`previous`, `?page_size=` up to 200): one query a
    # page, never a COUNT or an OFFSET, however large the tenant (issue 14).
    "DEFAULT_PAGINATION_CLASS": "hiring.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": API_THROTTLE_USER, "anon": API_THROTTLE_ANON},
    # The caller's address as the sign-in lockout sees it: behind TRUSTED_PROXY_COUNT
    # proxies, only the entries they added to X-Forwarded-For are believed.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loopwise API",
    # Shown at the top of Swagger UI and Redoc: auth, errors, idempotency and webhooks.
    "DESCRIPTION": (BASE_DIR / "config" / "api.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc are served by the app itself: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Ids in addresses are <id:...> (config.ids): integers, 64-bit at most.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}
    },
}

# Error tracking (config.observability): on when SENTRY_DSN is set; personal data is
# scrubbed from every event before it leaves.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.observability import init_sentry

    init_sentry(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", ""))

# /metrics for Prometheus (config.metrics): scraped with this bearer token, or from these
# networks (CIDRs, the connection's own address); neither set, nobody may scrape.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(n.strip())
        for n in env_list("METRICS_ALLOWED_NETWORKS", [])
        if n.strip()
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# plain: readable lines (make run); json: one object a line with request_id, user_id and
# task_id (config.logs), for a log pipeline.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# SQLite (the embedded default) is shared by web, worker and beat: wait for locks instead of
# failing, and let readers run beside the one writer.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A PostgreSQL server that does not answer (a host gone, a dropped packet) fails a request
# after this many seconds with a clean 503 (config.errors) instead of holding it for minutes.
# A `?connect_timeout=` in DATABASE_URL wins.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", DATABASE_CONNECT_TIMEOUT
    )
