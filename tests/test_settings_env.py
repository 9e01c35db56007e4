"""Settings fail loudly on malformed values instead of falling back silently."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str


def test_booleans(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_integers(monkeypatch):
    monkeypatch.delenv("N", raising=False)
    assert env_int("N", 7) == 7
    monkeypatch.setenv("N", "12")
    assert env_int("N", 7) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N='twelve' is not an integer"):
        env_int("N", 7)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 7, minimum=1)


def test_required_string_and_lists(monkeypatch):
    monkeypatch.delenv("MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MISSING is required"):
        env_str("MISSING")
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_own_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_admins_pages_carry_the_same_policy(admin_client):
    for path in ("/admin/", "/admin/hiring/loop/", "/admin/hiring/candidate/add/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == client_policy(admin_client)


def client_policy(client) -> str:
    return client.get("/login/")["Content-Security-Policy"]


def test_an_empty_database_url_means_the_embedded_sqlite(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "",
        "LOOPWISE_VAR_DIR": str(tmp_path),
    }
    script = "import django; django.setup(); from django.conf import settings as s; "
    script += "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'])"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        str(tmp_path / "loopwise.sqlite3"),
    ]


@pytest.mark.parametrize(("given", "expected"), [(None, 60), ("0", 0), ("300", 300)])
def test_production_keeps_database_connections_and_checks_them(given, expected):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://loopwise@127.0.0.1:5432/loopwise",
    }
    env.pop("DATABASE_CONN_MAX_AGE", None)
    if given is not None:
        env["DATABASE_CONN_MAX_AGE"] = given
    script = "import django; django.setup(); from django.conf import settings as s; "
    script += "d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split()[-2:] == [str(expected), "True"]
