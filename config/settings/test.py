"""Settings for the test suite: real PostgreSQL and Redis, started by `make test`."""

import os

import dj_database_url

from config.env import env_str

from .base import *  # noqa: F403

os.environ.setdefault("DATABASE_URL", "postgres://loopwise@127.0.0.1:54329/loopwise")
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
REDIS_URL = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:63799/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}

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
