from datetime import timedelta

import pytest
from django.utils import timezone

from scorecards import services
from tests.factories import InterviewFactory, LoopFactory
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db


def make_interviews(interviewer, count, *, ended=True):
    now = timezone.now()
    interviews = []
    for index in range(count):
        start = now + (-timedelta(days=index + 1) if ended else timedelta(days=index + 1))
        interviews.append(
            InterviewFactory(
                loop=LoopFactory(),
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                interviewers=[interviewer],
            )
        )
    return interviews


def test_owed_scorecards_oldest_first_and_submitted_ones_gone(client, interviewer):
    older, newer = make_interviews(interviewer, 2)[::-1]
    scorecard = services.scorecard_get_or_create(interview=newer, interviewer=interviewer)
    client.force_login(interviewer)

    page = client.get("/interviews/").content.decode()
    assert page.index(older.loop.candidate.full_name) < page.index(newer.loop.candidate.full_name)

    services.scorecard_submit(scorecard=scorecard, by=interviewer, content=full_content(newer))
    page = client.get("/interviews/").content.decode()
    assert newer.loop.candidate.full_name not in page
    assert older.loop.candidate.full_name in page


def test_other_peoples_interviews_are_not_listed(client, interviewer, other_interviewer):
    theirs = make_interviews(other_interviewer, 1)[0]
    client.force_login(interviewer)
    assert theirs.loop.candidate.full_name not in client.get("/interviews/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/interviews/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("count", [1, 30])
def test_query_count_does_not_grow_with_interviews(
    client, interviewer, count, django_assert_num_queries
):
    make_interviews(interviewer, count)
    make_interviews(interviewer, count, ended=False)
    client.force_login(interviewer)
    with django_assert_num_queries(4):  # session, user, upcoming, owed
        response = client.get("/interviews/")
    assert response.status_code == 200
