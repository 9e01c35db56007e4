"""The container definition agrees with the code it runs.

docker-compose.yml and the Dockerfile are checked statically (nothing here needs Docker, a
database or Redis): the services, their commands and wiring, and that every variable handed
to the app is one the settings read. The production settings are then loaded in a
subprocess with exactly the compose environment, the way the containers would load them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = ("web", "worker", "beat", "migrate")
ALL_SERVICES = ("db", "redis", "mail", *APP_SERVICES)
PRODUCTION_SETTINGS = "config.settings.production"

# Read outside the settings modules: manage.py / wsgi.py / celery_app.py read
# DJANGO_SETTINGS_MODULE, and the image's gunicorn command line reads PORT.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE", "PORT"}

_ENV_READ = re.compile(
    r"""(?:
        \benv_(?:str|bool|int|list)\(\s*
      | \bos\.environ\.get\(\s*
      | \bos\.environ\.setdefault\(\s*
      | \bos\.getenv\(\s*
      | \bos\.environ\[\s*
    )["'](?P<name>[A-Z][A-Z0-9_]*)["']""",
    re.VERBOSE,
)
_INTERPOLATION = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\})"
)


# --- helpers ---------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def service(name: str) -> dict[str, Any]:
    services = compose().get("services") or {}
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


def interpolate(value: str) -> str:
    """Resolve compose ``${VAR:-default}`` interpolation as on a machine where none of the
    variables is set (the plain `docker compose up` case), so the result is deterministic."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            pytest.fail(f"${{{name}}} is required by docker-compose.yml: {arg}")
        return ""  # ${VAR}, ${VAR:+alt}, ${VAR+alt} with VAR unset

    return _INTERPOLATION.sub(replace, value)


def environment(name: str) -> dict[str, str]:
    """The service's environment as compose hands it to the container."""
    raw = service(name).get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        raw = dict(pairs)
    env = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            pytest.fail(f"{name}: {key} is a YAML boolean; quote it so compose passes a string")
        env[str(key)] = interpolate("" if value is None else str(value))
    return env


def command(name: str) -> list[str]:
    raw = service(name).get("command")
    assert raw, f"{name} has no command"
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def build_spec(name: str) -> tuple[Path, Path]:
    """(context, dockerfile) of a service's build section, as absolute paths."""
    build = service(name).get("build")
    assert build, f"{name} has no build section"
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, (context / build.get("dockerfile", "Dockerfile")).resolve()


def container_ports(name: str) -> set[int]:
    """Container-side ports a service publishes or exposes."""
    ports: set[int] = set()
    for entry in (service(name).get("ports") or []) + (service(name).get("expose") or []):
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def settings_env_names() -> set[str]:
    sources = sorted((ROOT / "config" / "settings").glob("*.py")) + sorted(
        (ROOT / "config").glob("*.py")
    )
    names: set[str] = set()
    for source in sources:
        names.update(m.group("name") for m in _ENV_READ.finditer(source.read_text("utf-8")))
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text("utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile ends with a line continuation"
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            for token in shlex.split(args):
                key, sep, value = token.partition("=")
                assert sep, f"use ENV KEY=value, not the legacy form: ENV {args}"
                env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def subprocess_env(overrides: dict[str, str]) -> dict[str, str]:
    """A clean environment: nothing leaks in from pytest (config.settings.test writes
    DATABASE_URL and REDIS_URL into os.environ, pytest-django sets DJANGO_SETTINGS_MODULE)."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {**base, "PYTHONDONTWRITEBYTECODE": "1", **overrides}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


# --- services and images ---------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_service_exists(name: str) -> None:
    assert isinstance(service(name), dict)


def test_app_services_build_the_same_image_from_the_dockerfile() -> None:
    specs = {name: build_spec(name) for name in APP_SERVICES}
    assert len(set(specs.values())) == 1, specs
    context, dockerfile = specs["web"]
    assert context == ROOT
    assert dockerfile == DOCKERFILE.resolve()
    assert dockerfile.is_file()
    assert len({service(name).get("image") for name in APP_SERVICES}) == 1


def test_app_services_share_one_environment() -> None:
    envs = {name: environment(name) for name in APP_SERVICES}
    for name, env in envs.items():
        assert env == envs["web"], f"{name}'s environment differs from web's"


def test_backing_services_use_the_expected_images() -> None:
    assert service("db")["image"].split(":")[0] == "postgres"
    assert service("db")["image"].split(":")[1].split(".")[0] == "16"
    assert service("redis")["image"].split(":")[0] == "redis"
    assert service("mail")["image"].split(":")[0] == "axllent/mailpit"
    assert "build" not in service("db")
    assert service("db").get("volumes"), "the database needs a volume to survive restarts"


# --- commands --------------------------------------------------------------------------


def test_web_runs_gunicorn_on_port_8000() -> None:
    argv = command("web")
    assert argv[0] == "gunicorn"
    assert "config.wsgi:application" in argv
    bind = " ".join(argv)
    assert re.search(r"(--bind[= ]|-b )0\.0\.0\.0:8000\b", bind), argv
    assert 8000 in container_ports("web")


def test_worker_runs_celery_worker() -> None:
    assert command("worker")[:4] == ["celery", "-A", "config", "worker"]


def test_beat_runs_celery_beat_with_a_writable_schedule() -> None:
    argv = command("beat")
    assert argv[:4] == ["celery", "-A", "config", "beat"]
    assert "--schedule" in argv
    assert argv[argv.index("--schedule") + 1].startswith("/tmp/")


def test_migrate_runs_migrations_once() -> None:
    argv = command("migrate")
    assert argv[:3] == ["python", "manage.py", "migrate"]
    assert "--noinput" in argv
    # A one-shot job must not be restarted after it completes.
    assert str(service("migrate").get("restart", "no")) == "no"


# --- health and start-up order ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needle"),
    [("db", "pg_isready"), ("redis", "redis-cli ping"), ("web", "/healthz")],
)
def test_healthcheck(name: str, needle: str) -> None:
    healthcheck = service(name).get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable")
    test = healthcheck["test"]
    text = test if isinstance(test, str) else " ".join(str(part) for part in test)
    assert needle in text


def test_web_healthcheck_is_valid_python_without_curl() -> None:
    test = service("web")["healthcheck"]["test"]
    assert isinstance(test, list)
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has python, not curl/wget"
    code = test[3]
    compile(code, "<web healthcheck>", "exec")
    assert "urllib" in code
    assert "http://127.0.0.1:8000/healthz" in code


def _depends_on(name: str) -> dict[str, str]:
    depends = service(name).get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on needs the long form with conditions"
    return {dep: spec.get("condition") for dep, spec in depends.items()}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "web",
            {
                "db": "service_healthy",
                "redis": "service_healthy",
                "migrate": "service_completed_successfully",
            },
        ),
        ("worker", {"redis": "service_healthy", "migrate": "service_completed_successfully"}),
        ("beat", {"redis": "service_healthy", "migrate": "service_completed_successfully"}),
        ("migrate", {"db": "service_healthy"}),
    ],
)
def test_depends_on_with_conditions(name: str, expected: dict[str, str]) -> None:
    actual = _depends_on(name)
    for dependency, condition in expected.items():
        assert actual.get(dependency) == condition, f"{name} -> {dependency}"


def test_every_service_healthy_dependency_has_a_healthcheck() -> None:
    for name in compose()["services"]:
        depends = service(name).get("depends_on") or {}
        if not isinstance(depends, dict):
            continue
        for dependency, spec in depends.items():
            if spec.get("condition") == "service_healthy":
                assert service(dependency).get("healthcheck"), f"{name} waits on {dependency}"


# --- environment -----------------------------------------------------------------------


def test_settings_scan_finds_the_settings_variables() -> None:
    # Guards the regex: if it found nothing, the next test would pass vacuously.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST"} <= settings_env_names()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_variable_is_read_by_the_settings(name: str) -> None:
    known = settings_env_names() | READ_OUTSIDE_SETTINGS
    unknown = sorted(set(environment(name)) - known)
    assert not unknown, f"{name} sets variables nothing reads (typo?): {unknown}"


def test_app_runs_production_settings() -> None:
    assert environment("web")["DJANGO_SETTINGS_MODULE"] == PRODUCTION_SETTINGS


def test_secret_key_has_a_usable_local_default() -> None:
    raw = str(service("web")["environment"]["SECRET_KEY"])
    assert raw.startswith("${SECRET_KEY:-"), "let the shell or .env override SECRET_KEY"
    # Django's security.W009 wants at least 50 characters, 5 of them distinct.
    secret = environment("web")["SECRET_KEY"]
    assert len(secret) >= 50
    assert len(set(secret)) >= 5
    assert not secret.startswith("django-insecure-")


def test_database_url_points_at_the_db_service() -> None:
    db_env = environment("db")
    user = db_env["POSTGRES_USER"]
    password = db_env["POSTGRES_PASSWORD"]
    database = db_env.get("POSTGRES_DB", user)  # the image's default database name

    url = urlsplit(environment("web")["DATABASE_URL"])
    assert url.scheme in {"postgres", "postgresql", "pgsql"}
    assert url.hostname == "db"
    assert (url.port or 5432) == 5432
    assert url.username == user
    assert url.password == password
    assert url.path.lstrip("/") == database


def test_redis_url_points_at_the_redis_service() -> None:
    env = environment("web")
    url = urlsplit(env["REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"
    assert (url.port or 6379) == 6379
    # An explicit broker URL would win over REDIS_URL; if present it must agree.
    assert env.get("CELERY_BROKER_URL", env["REDIS_URL"]) == env["REDIS_URL"]


def test_email_goes_to_the_mail_service_smtp_port() -> None:
    env = environment("web")
    assert env["EMAIL_HOST"] == "mail"
    bind = environment("mail").get("MP_SMTP_BIND_ADDR", "0.0.0.0:1025")  # Mailpit default
    smtp_port = int(bind.rsplit(":", 1)[-1])
    assert int(env["EMAIL_PORT"]) == smtp_port
    assert smtp_port in container_ports("mail")
    assert 8025 in container_ports("mail"), "Mailpit's web UI"


# --- Dockerfile ------------------------------------------------------------------------


def test_dockerfile_runs_gunicorn_with_production_settings() -> None:
    instructions = dockerfile_instructions()
    entry = [args for keyword, args in instructions if keyword in {"CMD", "ENTRYPOINT"}]
    assert entry, "the Dockerfile has no CMD/ENTRYPOINT"
    argv = " ".join(" ".join(exec_form(args)) for args in entry)
    assert "gunicorn" in argv
    assert "config.wsgi:application" in argv
    assert "0.0.0.0:${PORT:-8000}" in argv
    # The default command runs with the production settings module, set in the image or on
    # the command line itself.
    assert (
        dockerfile_env().get("DJANGO_SETTINGS_MODULE") == PRODUCTION_SETTINGS
        or PRODUCTION_SETTINGS in argv
    )


def test_dockerfile_build_steps() -> None:
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")

    env = dockerfile_env()
    assert env.get("UV_PYTHON_DOWNLOADS") == "never"
    assert "SECRET_KEY" not in env, "no secret may be baked into the image"

    runs = [args for keyword, args in instructions if keyword == "RUN"]
    copies = [(i, args) for i, (keyword, args) in enumerate(instructions) if keyword == "COPY"]
    assert any("pip install uv==0.13.8" in run for run in runs)

    # Lock files first and dependencies installed before the source arrives (layer cache).
    lock_copy = next(i for i, args in copies if "pyproject.toml" in args and "uv.lock" in args)
    source_copy = next(i for i, args in copies if args.split()[0] == ".")
    sync = next(
        i
        for i, (keyword, args) in enumerate(instructions)
        if keyword == "RUN" and "uv sync" in args
    )
    assert lock_copy < sync < source_copy
    sync_args = instructions[sync][1]
    for flag in ("--frozen", "--no-dev", "--no-install-project"):
        assert flag in sync_args

    collect = [run for run in runs if "collectstatic" in run]
    assert collect, "collectstatic must run at build time"
    assert "--noinput" in collect[0]
    assert re.search(r"\bSECRET_KEY=\S+", collect[0]), "build-time dummy key on the RUN line"

    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert keywords.index("USER") < max(
        i for i, k in enumerate(keywords) if k in {"CMD", "ENTRYPOINT"}
    )
    assert any("8000" in args.split() for keyword, args in instructions if keyword == "EXPOSE")


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    patterns = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (
        ".venv",
        "var",
        ".git",
        "staticfiles",
        "artifacts",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
    ):
        assert required in patterns, required
    assert patterns & {"__pycache__", "**/__pycache__"}


# --- the production settings load with this environment ---------------------------------


def test_production_settings_pass_check_deploy_with_the_compose_environment() -> None:
    """The compose environment minus the two plain-HTTP overrides: i.e. what a real
    deployment behind TLS runs. `check` needs no database connection."""
    env = environment("web")
    env.pop("SECURE_SSL_REDIRECT", None)
    env.pop("SECURE_HSTS_SECONDS", None)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output


def test_compose_overrides_only_relax_https_settings() -> None:
    """With the compose environment as is, the settings load and the only deploy warnings
    are the documented plain-HTTP ones (no SSL redirect, no HSTS)."""
    result = manage("check", "--deploy", env=environment("web"))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = set(re.findall(r"\(([a-z_]+\.[WE]\d+)\)", output))
    assert warnings <= {"security.W004", "security.W008"}, output


def test_production_settings_refuse_to_start_without_secret_key() -> None:
    env = environment("web")
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr
