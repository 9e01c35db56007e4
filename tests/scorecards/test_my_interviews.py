import re
from datetime import timedelta

import pytest
from django.utils import timezone

from scorecards import services
from scorecards.models import Scorecard
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


# --- The "Written" tab ------------------------------------------------------------------------

WRITTEN = "/interviews/?tab=written"
ROW = re.compile(r"<tr>\s*<td>([^<]+)</td>")


def submit(interview, interviewer, *, recommendation="yes", at=None):
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)
    services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=full_content(interview, overall_recommendation=recommendation),
    )
    if at is not None:
        Scorecard.objects.filter(pk=scorecard.pk).update(last_submitted_at=at)
    return scorecard


def written_candidates(page: str) -> list[str]:
    table = page.split('<table class="written">', 1)[1].split("</table>", 1)[0]
    return [name.strip() for name in ROW.findall(table)]


def test_the_written_tab_lists_what_was_submitted_newest_first_with_its_revisions(
    client, interviewer, other_interviewer
):
    older, newer, drafted = make_interviews(interviewer, 3)
    now = timezone.now()
    submit(older, interviewer, recommendation="strong_no", at=now - timedelta(days=3))
    amended = submit(newer, interviewer, at=now - timedelta(days=1))
    services.scorecard_submit(
        scorecard=amended,
        by=interviewer,
        content=full_content(
            newer, overall_recommendation="strong_yes", amendment_reason="Re-read my notes"
        ),
        amend=True,
    )
    Scorecard.objects.filter(pk=amended.pk).update(last_submitted_at=now - timedelta(hours=1))
    services.scorecard_get_or_create(interview=drafted, interviewer=interviewer)  # not submitted
    # A colleague on the same loop, whose scorecard the interviewer may read, is not theirs.
    newer.interviewers.add(other_interviewer)
    submit(newer, other_interviewer)
    client.force_login(interviewer)

    page = client.get(WRITTEN).content.decode()

    assert 'aria-current="page">Written</a>' in page
    assert written_candidates(page) == [
        newer.loop.candidate.full_name,
        older.loop.candidate.full_name,
    ]
    assert drafted.loop.candidate.full_name not in page
    table = page.split('<table class="written">', 1)[1]
    assert "<td>Strong yes</td>" in table
    assert "<td>Strong no</td>" in table
    assert "strong_yes" not in page
    assert f'href="/scorecards/{amended.pk}/">2 revisions' in page
    assert "1 revision<" in page
    assert "Scorecards you owe" not in page  # the other tab is not read
    followed = client.get(f"/scorecards/{amended.pk}/", follow=True).content.decode()
    assert "Revision 2" in followed
    assert "Revision 1" in followed


def test_the_default_tab_is_owed_and_upcoming(client, interviewer):
    submitted = make_interviews(interviewer, 1)[0]
    submit(submitted, interviewer)
    client.force_login(interviewer)
    page = client.get("/interviews/").content.decode()
    assert 'aria-current="page">Owed and upcoming</a>' in page
    assert "Scorecards you owe" in page
    assert '<table class="written">' not in page


@pytest.mark.parametrize("count", [1, 30])
def test_the_written_tab_pages_by_25_at_a_constant_cost(
    client, interviewer, count, django_assert_num_queries
):
    now = timezone.now()
    interviews = make_interviews(interviewer, count)
    for n, interview in enumerate(interviews):
        submit(interview, interviewer, at=now - timedelta(minutes=n))
    client.force_login(interviewer)

    with django_assert_num_queries(4):  # session, user, count, the page
        first = client.get(WRITTEN).content.decode()
    shown = written_candidates(first)
    assert shown == [i.loop.candidate.full_name for i in interviews[:25]]
    if count == 30:
        assert 'href="?tab=written&amp;page=2" rel="next">Older</a>' in first
        second = client.get(WRITTEN + "&page=2").content.decode()
        assert written_candidates(second) == [i.loop.candidate.full_name for i in interviews[25:]]
        assert "Page 2 of 2" in second
