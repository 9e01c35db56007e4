"""Bad input answers a 4xx that says what is wrong, never a 500, on SQLite (the embedded
default of `make run`) as on PostgreSQL: ids too big for any id column, JSON nested too deep
or malformed, bodies over the size limit. Every address is taken from the URL patterns or
the OpenAPI schema, so a route added later is checked too."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from config.ids import MAX_ID
from hiring.api.parsers import MAX_DEPTH
from hiring.models import User
from scorecards.models import Scorecard, ScorecardRevision
from tests.api.conftest import submit_payload
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# Past the 64-bit range of every id column (SQLite's driver cannot even send them), and a
# number too long for any converter to take.
OUT_OF_RANGE = [str(MAX_ID + 1), "99999999999999999999", "9" * 40]
NESTED_TOO_DEEP = "[" * 100_000
PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture
def superuser(db: None) -> User:
    return UserFactory(username="sue", is_staff=True, is_superuser=True)


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_operations(client: APIClient) -> Iterator[tuple[str, str]]:
    """(method, path template) of every operation in the OpenAPI schema."""
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path


def routes() -> Iterator[str]:
    """Every URL pattern of the project as a template, e.g. ``/scorecards/<id:pk>/``."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    yield from walk(get_resolver().url_patterns, "/")


def site_routes() -> Iterator[str]:
    """Every site route: neither the admin nor the API."""
    return (route for route in routes() if not route.startswith(("/admin/", "/api/")))


# --- Ids out of range ---------------------------------------------------------------------


def test_api_addresses_with_ids_out_of_range_are_json_404s(world, superuser):
    client = api_as(superuser)
    templated = [(m, p) for m, p in api_operations(client) if PARAMETER.search(p)]
    assert len(templated) >= 10
    for method, path in templated:
        for number in OUT_OF_RANGE:
            url = PARAMETER.sub(number, path)
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 404, (method, url, response.content[:300])
            assert response.json() == {"detail": "Not found."}, url
        # the largest id still reaches the view, which finds nothing
        url = PARAMETER.sub(str(MAX_ID), path)
        assert getattr(client, method)(url, {}, format="json").status_code == 404, url


def test_api_id_filters_out_of_range_match_nothing(world, superuser, interviewer):
    # Like an id that exists nowhere: an empty page, which tells a caller nothing.
    client = api_as(superuser)
    for url, name, real in [
        ("/api/v1/interviews/", "loop", world.loop.pk),
        ("/api/v1/loops/", "candidate", world.loop.candidate_id),
        ("/api/v1/calibration/interviewers/", "interviewer", interviewer.pk),
    ]:
        for value in [*OUT_OF_RANGE, f"-{OUT_OF_RANGE[1]}", f"{real}.5", str(MAX_ID)]:
            response = client.get(url, {name: value})
            assert response.status_code == 200, (url, value, response.content[:300])
            assert response.json()["results"] == [], (url, value)


def test_site_pages_with_ids_out_of_range_are_404s(world, superuser, interviewer, settings):
    routes = [route for route in site_routes() if "<" in route]
    assert len(routes) >= 9
    # SCIM answers its bearer token only (anyone else: 401), so it is asked with the token.
    token = "bad-input-scim-token"
    settings.SCIM_TOKEN_SHA256 = hashlib.sha256(token.encode()).hexdigest()
    scim = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for user in (superuser, interviewer):
        client = Client()
        client.force_login(user)
        for route in routes:
            is_scim = route.startswith("/scim/")
            asking = scim if is_scim else client
            for number in OUT_OF_RANGE:
                url = re.sub(r"<[^>]+>", number, route)
                # a SCIM resource takes GET, PUT, PATCH and DELETE (POST is the collection's)
                for method in ("get", "delete") if is_scim else ("get", "post"):
                    status = getattr(asking, method)(url).status_code
                    assert status == 404, (user.username, method, url, status)


def test_site_routes_take_ids_through_the_bounded_converter():
    # `<int:...>` accepts any number of digits: the view would get an id no column holds.
    unbounded = [route for route in site_routes() if "<int:" in route]
    assert unbounded == []
    assert any("<id:" in route for route in site_routes())


def test_admin_pages_of_ids_out_of_range_answer_as_for_an_unknown_id(world, superuser, recruiter):
    # Every admin route of one object: change, delete, history, password, custom buttons.
    templates = [r for r in routes() if r.startswith("/admin/") and re.search(r"<[^>]*id>", r)]
    assert len(templates) >= 3 * len(admin.site._registry)
    content_type = ContentType.objects.get_for_model(world.loop).pk

    def url(template: str, number: str) -> str:
        with_type = template.replace("<path:content_type_id>", str(content_type))
        return re.sub(r"<[^>]*id>", number, re.sub(r"<str:\w+>", "x", with_type))

    for user in (superuser, recruiter):
        client = Client()
        client.force_login(user)
        for template in templates:
            for method in ("get", "post"):
                unknown = getattr(client, method)(url(template, str(MAX_ID))).status_code
                for number in OUT_OF_RANGE:
                    status = getattr(client, method)(url(template, number)).status_code
                    assert status == unknown < 500, (user.username, method, template, status)


# --- JSON bodies --------------------------------------------------------------------------


@pytest.fixture
def json_posts(world, recruiter, hiring_manager, interviewer) -> dict[str, tuple[User, int]]:
    """Every POST of the API, with who may make it and on what: the body reaches the
    parser only once the caller may act on the object."""
    return {
        "/api/v1/interviews/{id}/scorecard/draft/": (interviewer, world.interview.pk),
        "/api/v1/interviews/{id}/scorecard/submit/": (interviewer, world.interview.pk),
        "/api/v1/loops/{id}/decisions/": (hiring_manager, world.loop.pk),
        "/api/v1/loops/{id}/comments/": (hiring_manager, world.loop.pk),
        "/api/v1/loops/{loop_id}/outcomes/": (hiring_manager, world.loop.pk),
        "/api/v1/candidates/{id}/erase/": (recruiter, world.loop.candidate_id),
    }


def nested(levels: int) -> list[Any]:
    """Lists inside lists, ``levels`` deep."""
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def post_json(user: User, path: str, pk: int, body: str | bytes) -> Any:
    url = PARAMETER.sub(str(pk), path)
    return api_as(user).post(url, body, content_type="application/json")


def test_every_json_post_is_covered(json_posts, superuser):
    posts = {path for method, path in api_operations(api_as(superuser)) if method == "post"}
    assert posts == set(json_posts)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(NESTED_TOO_DEEP, id="brackets-100000-deep"),
        pytest.param('{"a":' * 2000 + "1" + "}" * 2000, id="objects-2000-deep"),
        # shallow enough for Python's parser, deeper than anything the API takes
        pytest.param(json.dumps({"ratings": nested(MAX_DEPTH)}), id="one-level-too-deep"),
    ],
)
def test_json_nested_too_deep_is_refused_with_the_reason(json_posts, body):
    for path, (user, pk) in json_posts.items():
        response = post_json(user, path, pk, body)
        assert response.status_code == 400, (path, response.content[:300])
        assert f"nested more than {MAX_DEPTH} levels deep" in response.json()["detail"], path
    assert not ScorecardRevision.objects.exists()


def test_json_up_to_the_limit_still_reaches_the_serializers(world, interviewer):
    path = "/api/v1/interviews/{id}/scorecard/draft/"
    body = json.dumps(submit_payload(world.interview))
    assert post_json(interviewer, path, world.interview.pk, body).status_code == 200
    deepest = post_json(interviewer, path, world.interview.pk, json.dumps(nested(MAX_DEPTH)))
    assert deepest.status_code == 400
    assert "nested" not in json.dumps(deepest.json())  # refused for its content, not depth


@pytest.mark.parametrize(
    "body", ['{"ratings": [', "{'single': 'quotes'}", '{"n": NaN}', b'{"a": "\xff"}', "1 2"]
)
def test_malformed_json_is_refused_with_the_reason(json_posts, body):
    for path, (user, pk) in json_posts.items():
        response = post_json(user, path, pk, body)
        assert response.status_code == 400, (path, response.content[:300])
        assert response.json()["detail"].startswith("JSON parse error"), path


def test_a_body_over_the_upload_limit_is_refused_and_nothing_stored(world, interviewer, json_posts):
    payload = submit_payload(world.interview)
    payload["key_takeaways"] = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    for path, (user, pk) in json_posts.items():
        response = post_json(user, path, pk, json.dumps(payload))
        assert response.status_code == 413, (path, response.content[:300])
        assert "larger than" in response.json()["detail"]
    assert not Scorecard.objects.filter(revisions__isnull=False).exists()


def test_the_sites_autosave_refuses_a_json_body_as_an_incomplete_form(world, interviewer):
    # The autosave posts form fields, never JSON: a JSON body is a form with nothing in it.
    client = Client()
    client.force_login(interviewer)
    url = f"/interviews/{world.interview.pk}/scorecard/draft/"
    for body in (NESTED_TOO_DEEP, '{"ratings": ['):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert "errors" in response.json()
    too_big = {"key_takeaways": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    assert client.post(url, too_big).status_code == 400
    assert not ScorecardRevision.objects.exists()
