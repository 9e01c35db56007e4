"""The container definition agrees with the code it runs.

docker-compose.yml and the Dockerfile are checked statically (nothing here needs Docker, a
database or Redis): the services, their commands and wiring, and that every variable handed
to the app is one the settings read. The production settings are then loaded in a
subprocess with exactly the compose environment, the way the containers would load them.

The scale-out profile (docker-compose.scale.yml with deploy/: nginx in front of the web
replicas, PgBouncer in front of PostgreSQL, a worker service per queue, one beat) is checked
the same way, and every Celery task against the workers of each way to run Loopwise
(Procfile, docker-compose.yml, docker-compose.scale.yml): a task routed to a queue that no
worker consumes would wait there forever. (nginx is not installed here, so its configuration
is parsed rather than `nginx -t`-ed.)
"""

from __future__ import annotations

import configparser
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
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
def compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def service(name: str, path: Path = COMPOSE_FILE) -> dict[str, Any]:
    services = compose(path).get("services") or {}
    assert name in services, f"{path.name} has no service {name!r}"
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


def environment(name: str, path: Path = COMPOSE_FILE) -> dict[str, str]:
    """The service's environment as compose hands it to the container."""
    raw = service(name, path).get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        raw = dict(pairs)
    env = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            pytest.fail(f"{name}: {key} is a YAML boolean; quote it so compose passes a string")
        env[str(key)] = interpolate("" if value is None else str(value))
    return env


def command(name: str, path: Path = COMPOSE_FILE) -> list[str]:
    raw = service(name, path).get("command")
    assert raw, f"{name} has no command"
    argv = shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]
    return [interpolate(part) for part in argv]


def build_spec(name: str, path: Path = COMPOSE_FILE) -> tuple[Path, Path]:
    """(context, dockerfile) of a service's build section, as absolute paths."""
    build = service(name, path).get("build")
    assert build, f"{name} has no build section"
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, (context / build.get("dockerfile", "Dockerfile")).resolve()


def container_ports(name: str, path: Path = COMPOSE_FILE) -> set[int]:
    """Container-side ports a service publishes or exposes."""
    ports: set[int] = set()
    spec = service(name, path)
    for entry in (spec.get("ports") or []) + (spec.get("expose") or []):
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


# --- the scale-out profile: docker-compose.scale.yml and deploy/ --------------------------

SCALE_FILE = ROOT / "docker-compose.scale.yml"
DEPLOY = ROOT / "deploy"
SCALE_WORKERS = ("worker-default", "worker-email", "worker-webhooks", "worker-calibration")
SCALE_APP_SERVICES = ("web", *SCALE_WORKERS, "beat", "migrate")
# What the scale-out environment changes from docker-compose.yml's, and only that.
POOLER_ENVIRONMENT = {
    "DATABASE_URL": "postgres://loopwise:loopwise@pgbouncer:5432/loopwise",
    "DATABASE_CONN_MAX_AGE": "0",
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
    "TRUSTED_PROXY_COUNT": "1",
}


def scale_service(name: str) -> dict[str, Any]:
    return service(name, SCALE_FILE)


def pgbouncer_ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parser.optionxform = str  # keep names as written
    assert parser.read(DEPLOY / "pgbouncer.ini", encoding="utf-8")
    return parser


def nginx_directives() -> list[tuple[tuple[str, ...], list[str]]]:
    """deploy/nginx.conf as (enclosing blocks, directive words), braces and semicolons
    checked: enough of nginx's grammar to catch a typo that `nginx -t` would."""
    text = re.sub(r"#[^\n]*", "", (DEPLOY / "nginx.conf").read_text("utf-8"))
    tokens = re.findall(r'"[^"]*"|[{};]|[^\s{};"]+', text)
    blocks: list[str] = []
    words: list[str] = []
    directives: list[tuple[tuple[str, ...], list[str]]] = []
    for token in tokens:
        if token == "{":
            assert words, "a block without a name"
            blocks.append(" ".join(words))
            words = []
        elif token == "}":
            assert not words, f"directive without ';' before '}}': {words}"
            assert blocks, "unbalanced '}'"
            blocks.pop()
        elif token == ";":
            assert words, "an empty directive"
            directives.append((tuple(blocks), words))
            words = []
        else:
            words.append(token.strip('"'))
    assert not blocks, f"unclosed blocks: {blocks}"
    assert not words, f"trailing directive without ';': {words}"
    return directives


def nginx(name: str, block: str = "") -> list[list[str]]:
    """The arguments of every ``name`` directive inside a block whose name starts with
    ``block``."""
    return [
        words[1:]
        for blocks, words in nginx_directives()
        if words[0] == name and (not block or any(b.startswith(block) for b in blocks))
    ]


def option(argv: list[str], *names: str) -> str | None:
    """The value of a command-line option given as ``--name=value`` or ``--name value``."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def replicas(name: str) -> int:
    raw = (scale_service(name).get("deploy") or {}).get("replicas", 1)
    return int(interpolate(str(raw)))


def test_scale_out_has_its_services() -> None:
    expected = {"db", "pgbouncer", "redis", "mail", "proxy", *SCALE_APP_SERVICES}
    assert set(compose(SCALE_FILE)["services"]) == expected
    # the same project, so it takes over docker-compose.yml's database and Redis volumes
    assert compose(SCALE_FILE)["name"] == compose()["name"]
    assert set(compose(SCALE_FILE)["volumes"]) == set(compose()["volumes"])
    assert scale_service("db")["volumes"] == service("db")["volumes"]


def test_scale_out_app_services_run_the_same_image_and_configuration() -> None:
    base = environment("web")
    for name in SCALE_APP_SERVICES:
        assert build_spec(name, SCALE_FILE) == build_spec("web"), name
        assert scale_service(name)["image"] == service("web")["image"], name
        env = environment(name, SCALE_FILE)
        if name == "migrate":  # straight to PostgreSQL, past the pooler
            assert env["DATABASE_URL"] == base["DATABASE_URL"]
            env["DATABASE_URL"] = POOLER_ENVIRONMENT["DATABASE_URL"]
        assert env == base | POOLER_ENVIRONMENT, name
    known = settings_env_names() | READ_OUTSIDE_SETTINGS
    assert set(POOLER_ENVIRONMENT) <= known


def test_the_app_reaches_postgresql_through_pgbouncer_in_transaction_mode() -> None:
    ini = pgbouncer_ini()
    bouncer = ini["pgbouncer"]
    assert bouncer["pool_mode"] == "transaction"
    url = urlsplit(POOLER_ENVIRONMENT["DATABASE_URL"])
    assert url.hostname == "pgbouncer"
    assert url.port == int(bouncer["listen_port"])
    assert int(bouncer["listen_port"]) in container_ports("pgbouncer", SCALE_FILE)
    # the pooled database is the db service's, by the same name
    target = dict(pair.split("=", 1) for pair in ini["databases"][url.path.lstrip("/")].split())
    db = environment("db", SCALE_FILE)
    assert (target["host"], target["port"], target["dbname"]) == ("db", "5432", db["POSTGRES_DB"])
    # the credentials in the URL are a user of the auth file the container mounts
    mounts = dict(v.rsplit(":", 2)[:2] for v in scale_service("pgbouncer")["volumes"])
    assert mounts["./deploy/pgbouncer.ini"] == "/etc/pgbouncer/pgbouncer.ini"
    assert mounts["./deploy/userlist.txt"] == bouncer["auth_file"]
    users = dict(re.findall(r'"([^"]+)"\s+"([^"]*)"', (DEPLOY / "userlist.txt").read_text()))
    assert users[url.username or ""] == url.password == db["POSTGRES_PASSWORD"]
    assert bouncer["auth_type"] in {"scram-sha-256", "md5", "plain"}


def test_the_settings_load_what_transaction_pooling_needs() -> None:
    """Django behind PgBouncer in transaction mode: no server-side cursors (a cursor would
    outlive the transaction that lent it its connection) and no persistent connections of
    its own (the pooler keeps them). Loaded in a subprocess with the scale environment."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(db['DISABLE_SERVER_SIDE_CURSORS'], db['CONN_MAX_AGE'], db['HOST'], db['PORT'])"
    )
    env = environment("web", SCALE_FILE)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["True", "0", "pgbouncer", "5432"]
    # and without the pooler, the production default keeps both as they were
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(environment("web")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["False", "60", "db", "5432"]


def test_the_pools_fit_postgresql_and_every_client() -> None:
    """Sizing (README "Scale-out"): PgBouncer takes a client connection from every web
    process and every worker process (pool children and the main process's heartbeat), and
    spends at most default + reserve pool connections of PostgreSQL's max_connections."""
    bouncer = pgbouncer_ini()["pgbouncer"]
    gunicorn_workers = int(option(command("web", SCALE_FILE), "--workers") or 1)
    clients = replicas("web") * gunicorn_workers
    for name in SCALE_WORKERS:
        concurrency = int(option(command(name, SCALE_FILE), "--concurrency", "-c") or 1)
        clients += replicas(name) * (concurrency + 1)
    clients += 1  # beat
    assert int(bouncer["max_client_conn"]) >= 2 * clients
    argv = command("db", SCALE_FILE)
    settings_pairs = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-c")
    max_connections = int(settings_pairs["max_connections"])
    spent = int(bouncer["default_pool_size"]) + int(bouncer.get("reserve_pool_size", "0"))
    superuser_reserved, migrate = 3, 1
    assert spent + migrate + superuser_reserved <= max_connections


def test_web_replicas_are_reached_only_through_the_proxy() -> None:
    web = scale_service("web")
    assert replicas("web") >= 2
    assert not web.get("ports"), "replicas cannot share a host port: the proxy publishes it"
    argv = command("web", SCALE_FILE)
    assert argv[:2] == ["gunicorn", "config.wsgi:application"]
    bind = option(argv, "--bind", "-b")
    assert bind == "0.0.0.0:8000"
    assert 8000 in container_ports("web", SCALE_FILE)
    assert web["healthcheck"]["test"] == service("web")["healthcheck"]["test"]

    proxy = scale_service("proxy")
    assert proxy["image"].split(":")[0] == "nginx"
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    listen = {int(args[0]) for args in nginx("listen", "server")}
    published = {int(str(p).split(":")[0]): int(str(p).split(":")[1]) for p in proxy["ports"]}
    assert published == {8000: next(iter(listen))}, "the host's :8000 goes to nginx's listen"


def test_nginx_passes_every_request_to_the_web_service_with_the_callers_headers() -> None:
    upstreams = {
        block.split()[1]
        for blocks, _ in nginx_directives()
        for block in blocks
        if block.startswith("upstream ")
    }
    assert len(upstreams) == 1
    upstream = upstreams.pop()
    assert nginx("server", f"upstream {upstream}")[0][0] == "web:8000"  # service:gunicorn port
    assert ["http://" + upstream] in nginx("proxy_pass", "location /")
    headers = {args[0]: args[1] for args in nginx("proxy_set_header", "location /")}
    assert headers["Host"] == "$host"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"  # SECURE_PROXY_SSL_HEADER
    assert headers["X-Request-ID"] == "$request_id"  # config.logs takes a proxy's request id
    # one proxy appending to X-Forwarded-For: the app believes exactly one entry
    assert environment("web", SCALE_FILE)["TRUSTED_PROXY_COUNT"] == "1"
    # an attachment at the largest size the app accepts is not refused by the proxy first
    (size,) = nginx("client_max_body_size", "http")[0]
    assert size.endswith("m")
    attachment_mb = int(environment("web", SCALE_FILE).get("ATTACHMENT_MAX_MB", "10"))
    assert int(size[:-1]) > attachment_mb


def test_every_mounted_file_exists() -> None:
    for name, spec in compose(SCALE_FILE)["services"].items():
        for volume in spec.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name} mounts {source}, which is missing"


def test_scale_out_start_up_order_waits_on_health() -> None:
    for name in (*SCALE_APP_SERVICES, "pgbouncer", "proxy"):
        for dependency, spec in (scale_service(name).get("depends_on") or {}).items():
            if spec.get("condition") == "service_healthy":
                assert scale_service(dependency).get("healthcheck"), f"{name} on {dependency}"
    for name in ("web", *SCALE_WORKERS, "beat"):
        depends = scale_service(name)["depends_on"]
        assert depends["pgbouncer"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert "db" not in depends, f"{name} talks to PgBouncer, not to the database"


def test_exactly_one_scheduler() -> None:
    """Beat sends the sweeps; two would send each twice (harmless: the sweeps are idempotent,
    tests/reliability/test_scale_out.py runs two, but it is twice the work)."""
    beats = [
        name
        for name in compose(SCALE_FILE)["services"]
        if (scale_service(name).get("command") or []) and "beat" in command(name, SCALE_FILE)
    ]
    assert beats == ["beat"]
    assert replicas("beat") == 1
    assert command("beat", SCALE_FILE)[:4] == ["celery", "-A", "config", "beat"]
    for name in SCALE_WORKERS:
        argv = command(name, SCALE_FILE)
        assert not {"-B", "--beat"} & set(argv), f"{name} embeds a scheduler"


# --- queues: every task reaches a worker ---------------------------------------------------

_TASK_DECORATOR = re.compile(r"^@(?:shared_task|app\.task)\b", re.MULTILINE)
PACKAGES = ("config", "hiring", "scorecards", "signin")


def project_tasks() -> dict[str, str]:
    """Every Celery task of the code base, by name, with the queue its route sends it to.
    Found by scanning the source for task decorators (and then importing those modules), so a
    new task module is covered without being listed here."""
    from config.celery_app import app

    modules = []
    declared = 0
    for package in PACKAGES:
        for source in sorted((ROOT / package).rglob("*.py")):
            found = len(_TASK_DECORATOR.findall(source.read_text("utf-8")))
            if found:
                declared += found
                modules.append(".".join(source.relative_to(ROOT).with_suffix("").parts))
    for module in modules:
        importlib.import_module(module)
    tasks = {
        name: app.amqp.router.route({}, name)["queue"].name
        for name, task in app.tasks.items()
        if task.__module__ in modules
    }
    assert len(tasks) == declared, "a decorated task is not registered with the app"
    return tasks


def defined_queues() -> set[str]:
    from django.conf import settings as django_settings

    return {queue.name for queue in django_settings.CELERY_TASK_QUEUES}


def consumed_queues(argv: list[str]) -> set[str]:
    """What a ``celery worker`` command line consumes: its -Q, or every defined queue."""
    assert "worker" in argv, argv
    queues = option(argv, "-Q", "--queues")
    return set(queues.split(",")) if queues else defined_queues()


def procfile_workers() -> list[list[str]]:
    workers = []
    for line in (ROOT / "Procfile").read_text("utf-8").splitlines():
        argv = shlex.split(line.partition(":")[2])
        if argv and argv[0].endswith("celery") and "worker" in argv:
            workers.append(argv)
    return workers


DEPLOYMENTS: dict[str, Callable[[], list[list[str]]]] = {
    "Procfile (make run)": procfile_workers,
    "docker-compose.yml": lambda: [command("worker")],
    "docker-compose.scale.yml": lambda: [command(name, SCALE_FILE) for name in SCALE_WORKERS],
}


def test_the_tasks_are_found_and_the_queues_routed() -> None:
    tasks = project_tasks()
    assert len(tasks) >= 10  # the scan found the task modules
    # the delivery and calibration work each has a queue of its own; the rest is "celery"
    assert tasks["hiring.tasks.send_due_notifications"] == "email"
    assert tasks["hiring.tasks.deliver_webhooks"] == "webhooks"
    assert tasks["scorecards.tasks.refresh_summary_batch"] == "calibration"
    assert tasks["hiring.tasks.dispatch_outbox"] == "celery"
    assert set(tasks.values()) == defined_queues()


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_every_task_goes_to_a_queue_a_worker_consumes(deployment: str) -> None:
    workers = DEPLOYMENTS[deployment]()
    assert workers, f"{deployment} runs no worker"
    consumed = set().union(*(consumed_queues(argv) for argv in workers))
    assert consumed <= defined_queues(), f"{deployment} consumes an undefined queue (typo?)"
    lost = {name: queue for name, queue in project_tasks().items() if queue not in consumed}
    assert lost == {}, f"{deployment}: nobody consumes these tasks' queues"


def test_the_scheduled_sweeps_are_real_tasks() -> None:
    from django.conf import settings as django_settings

    tasks = project_tasks()
    for entry, spec in django_settings.CELERY_BEAT_SCHEDULE.items():
        assert spec["task"] in tasks, f"beat's {entry} names no task"


def test_each_scale_out_worker_has_its_queue_and_concurrency() -> None:
    hostnames = set()
    for name in SCALE_WORKERS:
        argv = command(name, SCALE_FILE)
        assert argv[:4] == ["celery", "-A", "config", "worker"]
        assert consumed_queues(argv) == {name.removeprefix("worker-").replace("default", "celery")}
        assert int(option(argv, "--concurrency", "-c") or 0) >= 1, f"{name} sets its concurrency"
        hostnames.add(option(argv, "--hostname", "-n"))
    assert len(hostnames) == len(SCALE_WORKERS), "each worker service names its nodes apart"
