"""Production: no default secret, HTTPS everywhere, `check --deploy` clean."""

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import MIDDLEWARE

# WhiteNoise serves the collected, compressed, hashed static files (no CDN needed).
MIDDLEWARE = [
    MIDDLEWARE[0],  # SecurityMiddleware first
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECRET_KEY = env_str("SECRET_KEY")  # required: no default in production
# No development key: until this is set, connecting a calendar is refused in words.
CALENDAR_ENCRYPTION_KEY = env_str("CALENDAR_ENCRYPTION_KEY", "")
CALENDAR_ALLOW_PRIVATE_NETWORKS = env_bool("CALENDAR_ALLOW_PRIVATE_NETWORKS", False)

# Persistent database connections: a new one per request costs ~5 ms and PostgreSQL CPU.
# Django checks a reused connection before a request, so a restarted database or a pooler
# that dropped it costs one reconnect, not an error. Behind PgBouncer in transaction mode set
# DATABASE_CONN_MAX_AGE=0 and let the pooler keep them.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator()) would outlive
# the transaction that lent it its server connection: set this to true there.
_no_server_side_cursors = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = _no_server_side_cursors  # noqa: F405
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Webhook receivers must speak https in production unless the operator says otherwise.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
# ...and must be public addresses: a subscription is no way into the servers behind Loopwise.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
