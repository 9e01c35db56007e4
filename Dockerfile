# One image for every Loopwise process: web (gunicorn, the default CMD), worker and beat
# (docker-compose.yml overrides the command). Configuration comes from the environment;
# see the settings table in README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install uv==0.13.8

WORKDIR /app

# Dependencies first, so editing the source does not invalidate this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

ENV PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOOPWISE_VAR_DIR=/app/var \
    PORT=8000

COPY . .
RUN uv sync --frozen --no-dev --no-install-project

# The dummy key exists only for this RUN line: it is not in any ENV and not in the image's
# configuration, so the production settings still refuse to start without a real one.
RUN SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput

# Source and static files stay root-owned (read-only for the app); only var/ is writable.
RUN groupadd --system --gid 10001 loopwise \
    && useradd --system --uid 10001 --gid loopwise --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin loopwise \
    && mkdir -p /app/var \
    && chown loopwise:loopwise /app/var
USER loopwise:loopwise

EXPOSE 8000

# `sh -c` so ${PORT} is expanded at run time; `exec` replaces the shell, so gunicorn is
# PID 1 and receives the SIGTERM of `docker stop` directly.
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-3} --access-logfile - --error-logfile -"]
