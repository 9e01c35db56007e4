"""The OpenAPI schema describes what the API does: schemathesis calls every operation in
process (WSGI) as a recruiter and as an interviewer, and every answer must be a non-5xx that
conforms to the schema. The docs pages load from the app under the strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from playwright.sync_api import expect
from schemathesis import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.middleware import INLINE_STYLE_POLICY, POLICY
from hiring.delivery import outbox
from hiring.models import User
from scorecards.models import CalibrationRun, InterviewerCalibration, Scorecard
from tests.api.conftest import submit_payload, submit_scorecard
from tests.factories import DecisionFactory
from tests.tokens import bearer

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 12


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The real WSGI application. Like Django's test client, keep the test's database
    connection open across requests (it holds the test transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def load(app: WSGIHandler, user: User) -> tuple[BaseSchema, dict[str, str]]:
    token = bearer(user)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", app, headers=headers)

    @schema.auth(refresh_interval=None)
    class TokenAuth:
        """The caller's API token on every request (an explicit, valid credential)."""

        def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
            return token

        def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
            if case.headers is None:
                case.headers = {}
            case.headers["Authorization"] = f"Bearer {data}"

    return schema, headers


def fuzz(schema: BaseSchema) -> None:
    """Generated calls to every operation: no 5xx, every answer as the schema says."""
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 19

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            # A schema-valid body can still break a rule the schema cannot state (a level
            # slug that does not exist, a submit without ratings): that 400 is no failure.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()


def conforms(schema: BaseSchema, headers: dict[str, str], path: str, method: str = "GET",
             expect: int = 200, **case: Any) -> Any:  # fmt: skip
    """One call with real data (generated ids rarely exist) that must succeed and conform."""
    response = schema[path][method].Case(**case).call_and_validate(headers=headers)
    assert response.status_code == expect, (path, response.text)
    return response.json()


def test_the_api_conforms_to_its_schema_as_a_recruiter(
    wsgi_app, world, recruiter, hiring_manager, interviewer
):
    submit_scorecard(world.interview, interviewer)
    decision = DecisionFactory(loop=world.loop, decided_by=hiring_manager)
    run = CalibrationRun.objects.create(
        model_version="test", n_ratings=4, n_interviewers=1, residual_variance=1,
        pair_variance=1, prior_variance=1, shrinkage=0.5, estimated=True, converged=True,
        seconds=0.1,
    )  # fmt: skip
    InterviewerCalibration.objects.create(
        interviewer=interviewer, run=run, leniency=0.2, leniency_se=0.1, ratings=4
    )
    schema, headers = load(wsgi_app, recruiter)
    summary = "/api/v1/loops/{id}/summary/"
    pending = conforms(schema, headers, summary, expect=202, path_parameters={"id": world.loop.pk})
    assert pending["status"] == "pending"  # queued for a worker, not computed by the GET
    outbox.dispatch()  # the submission's event computes the summary, as a worker would
    fuzz(schema)

    real = {
        "role-profiles": world.requisition.profile_id,
        "requisitions": world.requisition.pk,
        "candidates": world.loop.candidate_id,
        "loops": world.loop.pk,
        "interviews": world.interview.pk,
        "scorecards": Scorecard.objects.get().pk,
        "decisions": decision.pk,
    }
    for name, pk in real.items():
        assert conforms(schema, headers, f"/api/v1/{name}/")["results"]
        conforms(schema, headers, f"/api/v1/{name}/{{id}}/", path_parameters={"id": pk})
    conforms(schema, headers, "/api/v1/loops/{id}/summary/", path_parameters={"id": world.loop.pk})
    conforms(schema, headers, "/api/v1/calibration/interviewers/")
    conforms(schema, headers, "/api/v1/calibration/interviewers/{interviewer}/",
             path_parameters={"interviewer": str(interviewer.pk)})  # fmt: skip


def test_the_api_conforms_to_its_schema_as_an_interviewer(wsgi_app, world, interviewer):
    schema, headers = load(wsgi_app, interviewer)
    fuzz(schema)

    own = {"id": world.interview.pk}
    body = submit_payload(world.interview)
    draft = conforms(schema, headers, "/api/v1/interviews/{id}/scorecard/draft/", "POST",
                     path_parameters=own, body=body, media_type="application/json")  # fmt: skip
    assert draft["status"] == "draft"
    done = conforms(schema, headers, "/api/v1/interviews/{id}/scorecard/submit/", "POST",
                    path_parameters=own, body=body, media_type="application/json")  # fmt: skip
    assert done["status"] == "submitted"
    conforms(schema, headers, "/api/v1/scorecards/{id}/", path_parameters={"id": done["id"]})
    kit = conforms(schema, headers, "/api/v1/candidates/{id}/",
                   path_parameters={"id": world.loop.candidate_id})  # fmt: skip
    assert kit["email"] is None


def test_the_schema_is_public_and_describes_every_operation(client):
    # The contract holds no data, so tools may fetch it without credentials.
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/interviews/{id}/scorecard/submit/" in paths
    assert "/api/v1/loops/{id}/summary/" in paths
    assert "/api/v1/calibration/interviewers/" in paths


def test_unknown_api_addresses_are_json_404s(client):
    for response in (
        client.get("/api/v1/interviews/-2/scorecard/draft/"),
        client.post("/api/v1/interviews/-2/scorecard/submit/", {}),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert client.get("/api/v1/loops").status_code == 301  # APPEND_SLASH still helps


def test_swagger_ui_loads_under_the_strict_csp(client, recruiter):
    client.force_login(recruiter)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == POLICY
    html = page.content.decode()
    # no inline script: the page only references scripts served by the app
    assert "<script>" not in html.replace(" ", "")
    assert "cdn" not in html.lower()
    init = client.get("/api/v1/docs/", {"script": ""})
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_swagger_ui_renders_in_a_browser_under_the_csp(csp_page, live_server, recruiter):
    # Given a signed-in recruiter (the session cookie lets Swagger UI "try it out")
    page = csp_page.page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(recruiter.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    # When they open the API docs
    page.goto(f"{live_server.url}/api/v1/docs/")

    # Then Swagger UI renders every operation from the schema, with no script blocked
    expect(page.get_by_text("/api/v1/interviews/{id}/scorecard/submit/")).to_be_visible()
    assert not [v for v in csp_page.violations if "script" in v]
    # drf-spectacular's template carries one cosmetic <style> block (box-sizing, background);
    # it is blocked, and nothing else is.
    assert len(csp_page.violations) <= 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redoc_renders_under_the_apps_own_policy(chromium, live_server):
    # Given the app's own headers (Redoc's page alone allows inline styles, never scripts)
    context = chromium.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    response = page.goto(f"{live_server.url}/api/v1/redoc/")
    assert response is not None
    assert response.headers["content-security-policy"] == INLINE_STYLE_POLICY
    assert "script-src 'self';" in INLINE_STYLE_POLICY

    # Then Redoc renders the reference, asking no other origin (no web font, no Redocly
    # logo: the page and its bundle are the app's own). Refused, by design, only Redoc's
    # blob: search worker (it then searches in the page); no inline script is ever needed.
    expect(page.get_by_text("Loopwise API").first).to_be_visible()
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    expect(page.locator("img[src='/static/loopwise/favicon.svg']")).to_have_count(1)
    refused = [v for v in violations if "worker from 'blob:" not in v]
    assert not refused, "\n".join(violations)
    context.close()


def test_the_schema_explains_idempotency_and_webhooks(api_as, recruiter):
    info = api_as(recruiter).get("/api/v1/schema/?format=json").json()["info"]
    for term in ("Idempotency-Key", "Loopwise-Signature", "HMAC-SHA256", "decision.recorded"):
        assert term in info["description"]


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/loops/{id}/decisions/" in target.read_text()
