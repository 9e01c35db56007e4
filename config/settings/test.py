"""Settings for the test suite. ``make test`` runs it twice (scripts/test.sh): on real
PostgreSQL and Redis, then the API and browser tests on the embedded default of
``make run`` (SQLite, the filesystem broker, a per-process cache).

- DATABASE_URL unset: the test services' PostgreSQL. Set: that database, parsed and tuned by
  ``base`` exactly as under ``make run`` (a ``sqlite:///`` file waits for locks, WAL,
  immediate transactions); empty: the embedded SQLite in LOOPWISE_VAR_DIR.
- REDIS_URL unset: the test services' Redis. Empty: no Redis, as under ``make run``.
"""

import os
from pathlib import Path

import dj_database_url

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = "postgres://loopwise@127.0.0.1:54329/loopwise"
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3" and _db["NAME"] not in ("", ":memory:"):
    # The test database is a file beside the named one, never Django's shared in-memory
    # database: the live server, Chromium's requests and worker processes each open their
    # own connection, as web, worker and beat do under `make run`.
    _name = Path(str(_db["NAME"]))
    _db["TEST"] = {"NAME": str(_name.with_name(f"test_{_name.name}"))}
    _name.parent.mkdir(parents=True, exist_ok=True)

REDIS_URL = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:63799/0")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
# else: base's filesystem broker and per-process cache, the embedded default

SECRET_KEY = "test-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Workers in the delivery fault tests set EMAIL_BACKEND to talk to a real SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The suite's clients share one address and fire thousands of calls; throttling has its own
# test, with low rates of its own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min"},
}
# Tests sign recruiters and superusers in with force_login and the login form; two-factor's own
# tests (tests/test_two_factor.py) turn the production default back on.
TWO_FACTOR_REQUIRED_FOR = []
