"""DESIGN §6 in the admin: a recruiter works on their own requisitions only."""

import pytest
from django.contrib.auth.models import Group

from hiring.roles import RECRUITERS_GROUP
from tests.factories import LoopFactory, RequisitionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_recruiter():
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


def test_recruiter_sees_loops_of_own_requisitions_only(client, world, recruiter):
    foreign = LoopFactory(requisition=RequisitionFactory())
    client.force_login(recruiter)
    page = client.get("/admin/hiring/loop/").content.decode()
    assert world.loop.candidate.full_name in page
    assert foreign.candidate.full_name not in page


def test_recruiter_of_another_requisition_can_neither_see_nor_change_the_loop(
    client, world, other_recruiter
):
    client.force_login(other_recruiter)
    change_url = f"/admin/hiring/loop/{world.loop.pk}/change/"
    # the admin answers a loop outside the queryset by redirecting to the index with a message
    response = client.get(change_url)
    assert response.status_code == 302
    response = client.post(change_url, {"status": "withdrawn"})
    assert response.status_code == 302
    world.loop.refresh_from_db()
    assert world.loop.status == "scheduling"
    candidate_page = client.get(f"/admin/hiring/candidate/{world.loop.candidate.pk}/change/")
    assert candidate_page.status_code == 302
    assert (
        world.loop.candidate.full_name
        not in client.get("/admin/hiring/candidate/").content.decode()
    )


@pytest.mark.parametrize("persona", ["interviewer", "hiring_manager", "outsider"])
def test_non_staff_personas_cannot_open_the_admin(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/admin/hiring/loop/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_submitted_scorecards_only_reach_the_recruiter(client, world, recruiter, interviewer):
    from scorecards import services
    from tests.scorecards.test_services import full_content

    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    services.scorecard_save_draft(
        scorecard=scorecard, content=full_content(world.interview), by=interviewer
    )
    client.force_login(recruiter)
    assert client.get(f"/admin/scorecards/scorecard/{scorecard.pk}/change/").status_code == 302
    services.scorecard_submit(scorecard=scorecard, by=interviewer)
    assert client.get(f"/admin/scorecards/scorecard/{scorecard.pk}/change/").status_code == 200
