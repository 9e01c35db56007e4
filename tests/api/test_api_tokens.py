"""API tokens that can be lost safely (issue 16, item 4): stored as digests, shown once, with
an expiry, a name, a last-used time and a scope, revocable by their owner and by superusers."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from signin.models import ApiToken
from tests.factories import UserFactory
from tests.tokens import bearer

pytestmark = pytest.mark.django_db

TOKEN_SHOWN = re.compile(r'id="new-token"[^>]*>([^<]+)</textarea>')


def calling(secret: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


def create_on_page(client: Any, **fields: Any) -> tuple[Any, str]:
    """Create a token on the account page; the page and the token it showed."""
    page = client.post("/account/", {"name": "ATS sync", "scope": "read", "days": 30, **fields})
    assert page.status_code == 201, page.content.decode()
    [secret] = TOKEN_SHOWN.findall(page.content.decode())
    return page, secret


def draft_url(world: Any) -> str:
    return f"/api/v1/interviews/{world.interview.pk}/scorecard/draft/"


# --- Stored safely ---------------------------------------------------------------------------


def test_the_database_holds_no_usable_token(client, world, interviewer):
    # given a token created on the account page and shown to its owner
    client.force_login(interviewer)
    _page, secret = create_on_page(client)
    assert calling(secret).get("/api/v1/interviews/").status_code == 200

    # when someone reads every column of the tokens table
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM signin_apitoken")
        stored = [str(value) for row in cursor.fetchall() for value in row if value is not None]

    # then the secret is nowhere in it, and nothing in it signs in, as Bearer or as Token
    assert stored
    assert not any(secret in value or value in secret for value in stored if len(value) > 8)
    for value in stored:
        for keyword in ("Bearer", "Token"):
            assert calling(value, keyword).get("/api/v1/interviews/").status_code == 401


def test_a_token_is_shown_once_and_listed_without_its_secret(client, world, interviewer):
    client.force_login(interviewer)
    page, secret = create_on_page(client, name="Nightly export")
    assert "shown this once" in page.content.decode()
    assert secret.startswith("lw_")

    listing = client.get("/account/").content.decode()

    assert secret not in listing
    token = ApiToken.objects.get(owner=interviewer)
    assert "Nightly export" in listing
    assert token.prefix in listing
    assert "Read only" in listing
    assert "never" in listing  # not used yet
    assert f"{(token.created_at + timedelta(days=30)):%-d %b %Y}" in listing  # expires


def test_the_page_refuses_a_longer_life_than_the_maximum(client, interviewer, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client.force_login(interviewer)

    page = client.post("/account/", {"name": "Forever", "scope": "read", "days": 31})

    assert page.status_code == 200
    assert "less than or equal to 30" in page.content.decode()
    assert not ApiToken.objects.exists()


# --- Refused: unknown, expired, revoked, read-only -------------------------------------------


def test_no_token_or_an_unknown_one_is_a_401_that_says_so(world):
    anonymous = APIClient().get("/api/v1/interviews/")
    unknown = calling("lw_00000000_" + "x" * 43).get("/api/v1/interviews/")

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert unknown.status_code == 401
    assert "Unknown API token" in unknown.json()["detail"]


def test_an_expired_token_gets_401(world, interviewer):
    secret = bearer(interviewer, days=7)
    assert calling(secret).get("/api/v1/interviews/").status_code == 200

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = calling(secret).get("/api/v1/interviews/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_the_owner_revokes_a_token_on_their_page_and_it_gets_401(client, world, interviewer):
    secret = bearer(interviewer)
    token = ApiToken.objects.get(owner=interviewer)
    client.force_login(interviewer)

    page = client.post("/account/tokens/revoke/", {"token": token.pk}, follow=True)

    assert "stops working at once" in page.content.decode()
    response = calling(secret).get("/api/v1/interviews/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert "revoked" in client.get("/account/").content.decode()  # still listed, as revoked


def test_nobody_revokes_someone_elses_token_on_their_page(client, world, interviewer, recruiter):
    secret = bearer(interviewer)
    token = ApiToken.objects.get(owner=interviewer)
    client.force_login(recruiter)

    assert client.post("/account/tokens/revoke/", {"token": token.pk}).status_code == 404
    assert calling(secret).get("/api/v1/interviews/").status_code == 200
    assert "tests" not in client.get("/account/").content.decode()  # nor sees it


def test_a_superuser_revokes_anyones_token_in_the_admin(client, world, interviewer):
    secret = bearer(interviewer)
    token = ApiToken.objects.get(owner=interviewer)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)

    listing = client.get("/admin/signin/apitoken/").content.decode()
    change = client.get(f"/admin/signin/apitoken/{token.pk}/change/").content.decode()
    done = client.post(
        "/admin/signin/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk], "index": "0"},
        follow=True,
    )

    assert token.prefix in listing
    assert token.digest not in listing + change  # not even the digest is shown
    assert 'name="scope"' not in change  # nothing is editable
    assert "Revoked: tests" in done.content.decode()
    assert calling(secret).get("/api/v1/interviews/").status_code == 401


def test_a_deactivated_persons_token_gets_401(world, interviewer):
    secret = bearer(interviewer)
    interviewer.is_active = False
    interviewer.save()

    response = calling(secret).get("/api/v1/interviews/")

    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


def test_a_read_only_token_reads_but_cannot_post(world, interviewer):
    read_only = calling(bearer(interviewer, scope="read"))
    read_write = calling(bearer(interviewer, scope="write"))
    body = {"key_takeaways": "Sharp."}

    refused = read_only.post(draft_url(world), body, format="json")

    assert read_only.get("/api/v1/interviews/").status_code == 200
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    assert read_write.post(draft_url(world), body, format="json").status_code == 200


# --- Used -------------------------------------------------------------------------------------


def test_last_use_is_recorded_at_most_once_a_minute(world, interviewer):
    secret = bearer(interviewer)
    token = ApiToken.objects.get(owner=interviewer)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        calling(secret).get("/api/v1/interviews/")
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        calling(secret).get("/api/v1/interviews/")
    token.refresh_from_db()
    assert token.last_used_at == start  # a burst writes once

    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        calling(secret).get("/api/v1/interviews/")
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(minutes=2)


def test_scripts_sending_token_instead_of_bearer_still_work(world, interviewer):
    assert calling(bearer(interviewer), "Token").get("/api/v1/interviews/").status_code == 200


# --- Commands ---------------------------------------------------------------------------------


def test_the_command_prints_a_token_once_that_works(world, interviewer, capsys):
    call_command(
        "api_token", "create", interviewer.username, "--name", "CI", "--scope", "read",
        "--days", "14",
    )  # fmt: skip
    secret = capsys.readouterr().out.strip()

    assert calling(secret).get("/api/v1/interviews/").status_code == 200
    assert calling(secret).post(draft_url(world), {}, format="json").status_code == 403
    token = ApiToken.objects.get(owner=interviewer)
    assert (token.name, token.scope) == ("CI", "read")
    assert token.expires_at - token.created_at == timedelta(days=14)

    call_command("api_token", "list", interviewer.username)
    listed = capsys.readouterr().out
    assert token.prefix in listed
    assert secret not in listed

    call_command("api_token", "revoke", interviewer.username, token.prefix)
    assert calling(secret).get("/api/v1/interviews/").status_code == 401


def test_drf_create_token_prints_a_hashed_read_write_token(world, interviewer, capsys):
    call_command("drf_create_token", interviewer.username)
    words = capsys.readouterr().out.split()

    assert words[:2] == ["Generated", "token"]
    assert calling(words[2]).post(draft_url(world), {}, format="json").status_code != 403
    assert not ApiToken.objects.filter(digest__contains=words[2]).exists()


# --- Old DRF tokens ---------------------------------------------------------------------------


def test_drf_tokens_are_hashed_into_the_new_table_and_their_plain_text_deleted(world, interviewer):
    # given a database that still has DRF's table with a plain-text key
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [old_key, interviewer.pk, timezone.now() - timedelta(days=400)],
        )
    migration = importlib.import_module("signin.migrations.0002_drf_tokens")

    # when the migration runs
    migration.migrate_drf_tokens(apps, SimpleNamespace(connection=connection))

    # then the old script's key still works, as the owner's listed token, and is gone as text
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
        cursor.execute("DROP TABLE authtoken_token")
    assert calling(old_key, "Token").get("/api/v1/interviews/").status_code == 200
    token = ApiToken.objects.get(owner=interviewer)
    assert token.name == "Migrated DRF token"
    assert token.expires_at > timezone.now() + timedelta(days=80)
