"""The embedded default: SQLite and a serverless Celery transport unless DATABASE_URL /
REDIS_URL say otherwise. Safe for a laptop, never for production."""

from config.env import env_bool, env_list
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env_bool("DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Two-factor is not required under `make run`: the demo's passwords are published in the README,
# so a second factor protects nothing here, and every demo sign-in would start by installing an
# authenticator app. Anyone may still turn it on at /account/two-factor/, and
# TWO_FACTOR_REQUIRED_FOR=superusers,recruiters make run tries the production default.
TWO_FACTOR_REQUIRED_FOR = env_list("TWO_FACTOR_REQUIRED_FOR", [])
