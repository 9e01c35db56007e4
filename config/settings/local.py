"""The embedded default: SQLite and a serverless Celery transport unless DATABASE_URL /
REDIS_URL say otherwise. Safe for a laptop, never for production."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env_bool("DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)
