"""The interview kit: what an interviewer needs before the interview, and nothing more."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards import services
from tests.factories import InterviewFactory, UserFactory
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db


def kit_url(interview):
    return f"/interviews/{interview.pk}/kit/"


def test_the_kit_has_what_the_interviewer_needs(client, world, interviewer):
    # given a candidate with contact data and recruiter notes, and a case exercise
    candidate = world.loop.candidate
    candidate.current_title = "Director of Product"
    candidate.current_company = "Acme Payments"
    candidate.phone = "+44 20 7946 0991"
    candidate.recruiter_notes = "Salary expectation 250k, do not share"
    candidate.save()
    profile = world.requisition.profile
    world.interview.case_exercise = profile.case_exercises.get(slug="portfolio-strategy-case")
    world.interview.save()
    client.force_login(interviewer)

    # when
    response = client.get(kit_url(world.interview))

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert candidate.full_name in page
    assert "Director of Product at Acme Payments" in page
    for secret in (candidate.email, candidate.phone, "Salary expectation"):
        assert secret not in page
    for dimension in world.interview.focus_dimensions.all():
        assert dimension.name in page
        assert dimension.meets_bar in page
        assert dimension.excellent in page
    case = world.interview.case_exercise
    assert f"{case.title}" in page
    assert f"{case.minutes} minutes" in page
    assert "The brief (what the candidate is given)" in page
    assert "<li>Strategy pillars</li>" in page
    assert case.evaluates in page
    for signal in profile.signals.all():
        assert signal.text.replace("&", "&amp;") in page or signal.text in page
    for flag in profile.red_flags.all():
        assert flag.text in page
    assert f'href="/interviews/{world.interview.pk}/scorecard/"' in page


def test_the_schedule_lists_the_loop_without_colleagues_content(
    client, world, interviewer, other_interviewer
):
    # given the colleague has submitted a scorecard with distinctive evidence
    scorecard = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    content = full_content(world.other_interview, key_takeaways="Colleague-secret-takeaway")
    services.scorecard_submit(scorecard=scorecard, by=other_interviewer, content=content)
    client.force_login(interviewer)

    page = client.get(kit_url(world.interview)).content.decode()

    assert world.other_interview.title in page
    assert "Colleague-secret-takeaway" not in page
    assert "Concrete example with numbers." not in page


def test_times_are_in_the_interviewers_time_zone(client, world, interviewer):
    # 14:00 UTC in January is 14:00 in London; in Tokyo it is 23:00
    world.interview.starts_at = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
    world.interview.ends_at = world.interview.starts_at + timedelta(hours=1)
    world.interview.save()
    interviewer.time_zone = "Asia/Tokyo"
    interviewer.save()
    client.force_login(interviewer)

    page = client.get(kit_url(world.interview)).content.decode()

    dash = "\N{EN DASH}"
    assert f"Tuesday 15 January 2030, 23:00{dash}00:00" in page
    assert "(Asia/Tokyo)" in page
    assert f"14:00{dash}15:00 Europe/London" in page  # as agreed with the candidate


@pytest.mark.parametrize(
    "persona", ["other_interviewer", "hiring_manager", "recruiter", "outsider"]
)
def test_no_one_off_the_panel_opens_the_kit(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(kit_url(world.interview)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(kit_url(world.interview))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_my_interviews_links_to_kit_and_scorecard(client, world, interviewer):
    client.force_login(interviewer)
    page = client.get("/interviews/").content.decode()
    assert f'href="/interviews/{world.interview.pk}/kit/"' in page
    assert f'href="/interviews/{world.interview.pk}/scorecard/"' in page
    assert "Overdue by" in page


@pytest.mark.parametrize("slots", [2, 12])
def test_kit_query_count_does_not_grow_with_the_loop(
    client, world, interviewer, slots, django_assert_num_queries
):
    for index in range(slots - 2):
        InterviewFactory(
            loop=world.loop, title=f"Extra {index}", interviewers=[UserFactory(), interviewer]
        )
    client.force_login(interviewer)
    # session, user, interview, signals, case dimensions (none), schedule, focus, red flags,
    # own scorecard status, the candidate's documents
    with django_assert_num_queries(9):
        response = client.get(kit_url(world.interview))
    assert response.status_code == 200
    assert response.content.decode().count("<tr") == slots + 1
