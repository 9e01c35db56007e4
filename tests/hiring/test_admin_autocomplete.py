"""The admin's autocomplete widgets (issue 14) offer exactly what their form accepts, and
nobody else may ask them: the loop's candidate lists the recruiter's own candidates, the
panel lists active people, the requisition's staff are an administrator's to pick, and a
field no form declares answers 403 (DESIGN §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from hiring import privacy
from hiring.admin.autocomplete import unscoped_autocomplete_fields
from hiring.models import Candidate, Loop, User
from hiring.roles import RECRUITERS_GROUP
from tests.factories import CandidateFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.hiring.test_scheduling_warnings import interview_data, new_loop_data

pytestmark = pytest.mark.django_db

URL = "/admin/autocomplete/"
CANDIDATE = {"app_label": "hiring", "model_name": "loop", "field_name": "candidate"}
INTERVIEWERS = {"app_label": "hiring", "model_name": "interview", "field_name": "interviewers"}
HIRING_MANAGER = {
    "app_label": "hiring",
    "model_name": "requisition",
    "field_name": "hiring_manager",
}
RECRUITERS = {"app_label": "hiring", "model_name": "requisition", "field_name": "recruiters"}


def ask(client: Client, field: dict[str, str], term: str = "", **extra: Any) -> Any:
    return client.get(URL, {**field, "term": term, **extra})


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [row["text"] for row in response.json()["results"]]


@pytest.fixture
def other_recruiter() -> User:
    user = UserFactory(username="otto", first_name="Otto", last_name="Other", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def foreign_candidates(other_recruiter: User) -> list[Any]:
    """Another recruiter's candidates: one in a loop of their requisition, one they added."""
    requisition = RequisitionFactory(recruiters=[other_recruiter])
    in_loop = LoopFactory(
        requisition=requisition,
        candidate=CandidateFactory(full_name="Bernd Foreign", email="bernd@example.com"),
    ).candidate
    added = privacy.candidate_save(
        candidate=Candidate(full_name="Berta Foreign", email="berta@example.com"),
        by=other_recruiter,
    )
    return [in_loop, added]


def test_a_recruiters_candidate_widget_never_lists_another_recruiters_candidates(
    client, world, recruiter, foreign_candidates
):
    # given a candidate the recruiter added and has not scheduled yet
    own = privacy.candidate_save(
        candidate=Candidate(full_name="Ada Lovelace", email="ada@example.com"), by=recruiter
    )
    client.force_login(recruiter)

    # when they open the candidate widget, and when they type another recruiter's name
    listed = names(ask(client, CANDIDATE))
    typed = names(ask(client, CANDIDATE, "Foreign"))

    # then they see their own, never the other recruiter's
    assert sorted(listed) == sorted([world.loop.candidate.full_name, own.full_name])
    assert typed == []


def test_a_superuser_may_pick_any_candidate(client, world, superuser, foreign_candidates):
    client.force_login(superuser)
    assert sorted(names(ask(client, CANDIDATE, "Foreign"))) == ["Bernd Foreign", "Berta Foreign"]


def test_the_term_searches_names_and_emails(client, world, recruiter):
    for name in ("Ada Lovelace", "Grace Hopper"):
        first = name.split()[0].lower()
        privacy.candidate_save(
            candidate=Candidate(full_name=name, email=f"{first}@example.org"), by=recruiter
        )
    client.force_login(recruiter)

    assert names(ask(client, CANDIDATE, "lovel")) == ["Ada Lovelace"]
    assert names(ask(client, CANDIDATE, "grace@example")) == ["Grace Hopper"]
    assert names(ask(client, CANDIDATE, "nobody-is-called-this")) == []


@pytest.mark.parametrize("persona", ["recruiter", "superuser"])
def test_inactive_people_are_never_offered_as_interviewers(client, world, persona, request):
    # given two people called Ivo, one of whom has left
    UserFactory(username="ivo.here", first_name="Ivo", last_name="Here")
    UserFactory(username="ivo.gone", first_name="Ivo", last_name="Gone", is_active=False)
    client.force_login(request.getfixturevalue(persona))

    # when the panel widget is asked for Ivo, only the one still here is offered
    assert names(ask(client, INTERVIEWERS, "Ivo")) == ["Ivo Here"]


def test_the_panel_widget_pages_through_many_people(client, world, recruiter):
    # A name no generated person can share (a "Pat" could be any factory's "Patricia").
    User.objects.bulk_create(
        User(
            username=f"qzxv{n:02d}",
            email=f"qzxv{n:02d}@example.com",
            first_name="Qzxv",
            last_name=f"{n:02d}",
            password="!",
        )
        for n in range(25)
    )
    client.force_login(recruiter)

    first = ask(client, INTERVIEWERS, "Qzxv").json()
    second = ask(client, INTERVIEWERS, "Qzxv", page=2).json()

    assert (len(first["results"]), first["pagination"]["more"]) == (20, True)
    assert (len(second["results"]), second["pagination"]["more"]) == (5, False)


def test_the_staff_widgets_are_an_administrators(client, world, recruiter, superuser):
    UserFactory(username="hana", first_name="Hana", last_name="Manager")

    client.force_login(recruiter)  # staffing is read-only for recruiters (DESIGN §6)
    assert ask(client, HIRING_MANAGER, "Hana").status_code == 403
    assert ask(client, RECRUITERS, "Hana").status_code == 403

    client.force_login(superuser)
    assert names(ask(client, HIRING_MANAGER, "Hana")) == ["Hana Manager"]
    assert names(ask(client, RECRUITERS, "Hana")) == ["Hana Manager"]


@pytest.mark.parametrize(
    "field",
    [
        # foreign keys to people and candidates that no form picks by autocomplete
        {"app_label": "scorecards", "model_name": "scorecard", "field_name": "interviewer"},
        {"app_label": "hiring", "model_name": "auditevent", "field_name": "candidate"},
        {"app_label": "hiring", "model_name": "decision", "field_name": "decided_by"},
        # and what is not a relation at all
        {"app_label": "hiring", "model_name": "loop", "field_name": "status"},
        {"app_label": "hiring", "model_name": "nothing", "field_name": "candidate"},
    ],
)
def test_a_field_no_form_picks_by_autocomplete_answers_403(client, world, recruiter, field):
    client.force_login(recruiter)
    assert ask(client, field).status_code == 403


@pytest.mark.parametrize("persona", ["interviewer", "hiring_manager", "outsider"])
def test_people_outside_the_admin_are_sent_to_sign_in(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = ask(client, CANDIDATE, world.loop.candidate.full_name)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = ask(client, INTERVIEWERS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_recruiters_permissions_get_403(client, world):
    client.force_login(UserFactory(username="stan", is_staff=True))
    assert ask(client, CANDIDATE).status_code == 403
    assert ask(client, INTERVIEWERS).status_code == 403


def test_the_save_still_refuses_what_the_widgets_would_not_offer(
    client, world, recruiter, interviewer, foreign_candidates
):
    # given an inactive person, and a candidate of another recruiter
    gone = UserFactory(username="gone", is_active=False)
    client.force_login(recruiter)
    add = new_loop_data(foreign_candidates[0], world.requisition, [])

    # when the recruiter posts a loop for the other recruiter's candidate
    response = client.post("/admin/hiring/loop/add/", add)

    # then it is refused, naming the field
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["candidate"]
    assert not Loop.objects.filter(candidate=foreign_candidates[0], requisition=world.requisition)

    # and when they put the inactive person on a panel, that is refused too
    starts = timezone.now() + timedelta(days=3)
    change = interview_data(
        world.loop, {"title": "Late panel", "starts_at": starts, "interviewers": [gone]}
    )
    response = client.post(f"/admin/hiring/interview/add/?loop={world.loop.pk}", change)
    assert response.status_code == 200
    assert "interviewers" in response.context["adminform"].form.errors
    assert not world.loop.interviews.filter(title="Late panel").exists()


def test_every_autocomplete_field_of_the_site_is_scoped_to_its_form():
    """A widget added later whose remote admin answers unscoped fails here."""
    assert unscoped_autocomplete_fields(admin.site) == []
