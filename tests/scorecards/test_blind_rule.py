"""Blind until submitted (DESIGN §6): an interviewer reads no colleague's ratings, notes or
recommendation for a loop until their own scorecards for it are in; then only colleagues'
submitted, current revisions, if the role profile allows. Nothing else leaks by URL."""

import pytest

from scorecards import selectors, services
from tests.factories import InterviewFactory, LoopFactory
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db

SECRET = "Colleague-only evidence 7f3a"


def submit(interview, user, **overrides):
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=user)
    content = full_content(interview, **overrides)
    for rating in content.ratings.values():
        rating.evidence = SECRET if user.username == "jonas" else "My own evidence"
    return services.scorecard_submit(scorecard=scorecard, by=user, content=content).scorecard


def form_page(client, interview):
    return client.get(f"/interviews/{interview.pk}/scorecard/").content.decode()


def test_before_submitting_an_interviewer_sees_no_colleague_content(
    client, world, interviewer, other_interviewer
):
    # given the colleague has submitted, and the interviewer has only a draft
    theirs = submit(world.other_interview, other_interviewer, key_takeaways="Colleague takeaway")
    mine = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    services.scorecard_save_draft(
        scorecard=mine, content=full_content(world.interview), by=interviewer
    )
    client.force_login(interviewer)

    # then no page, endpoint or selector shows it
    assert SECRET not in form_page(client, world.interview)
    assert "Colleague takeaway" not in form_page(client, world.interview)
    assert SECRET not in client.get(f"/interviews/{world.interview.pk}/kit/").content.decode()
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404
    assert list(selectors.colleague_scorecards_visible(user=interviewer, loop=world.loop)) == []


def test_after_submitting_colleagues_submitted_scorecards_are_visible(
    client, world, interviewer, other_interviewer
):
    theirs = submit(world.other_interview, other_interviewer, key_takeaways="Colleague takeaway")
    submit(world.interview, interviewer)
    client.force_login(interviewer)

    page = form_page(client, world.interview)

    assert SECRET in page
    assert "Colleague takeaway" in page
    assert other_interviewer.display_name in page
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 200


def test_a_colleagues_draft_is_never_visible(client, world, interviewer, other_interviewer):
    theirs = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    services.scorecard_save_draft(
        scorecard=theirs,
        content=full_content(world.other_interview, key_takeaways="Draft-only thought"),
        by=other_interviewer,
    )
    submit(world.interview, interviewer)
    client.force_login(interviewer)

    assert "Draft-only thought" not in form_page(client, world.interview)
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404


def test_only_the_current_revision_of_a_colleague_is_shown(
    client, world, interviewer, other_interviewer
):
    theirs = submit(world.other_interview, other_interviewer, key_takeaways="First thoughts")
    services.scorecard_submit(
        scorecard=theirs,
        by=other_interviewer,
        content=full_content(
            world.other_interview, key_takeaways="Second thoughts", amendment_reason="More data"
        ),
        amend=True,
    )
    submit(world.interview, interviewer)
    client.force_login(interviewer)

    page = form_page(client, world.interview)

    assert "Second thoughts" in page
    assert "First thoughts" not in page


def test_a_profile_can_keep_colleagues_hidden_after_submitting(
    client, world, interviewer, other_interviewer
):
    profile = world.requisition.profile
    profile.colleagues_visible_after_submit = False
    profile.save(update_fields=["colleagues_visible_after_submit"])
    theirs = submit(world.other_interview, other_interviewer)
    submit(world.interview, interviewer)
    client.force_login(interviewer)

    page = form_page(client, world.interview)

    assert SECRET not in page
    assert "interviewers do not see each other's scorecards" in page
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404


def test_with_two_interviews_in_a_loop_both_must_be_in(
    client, world, interviewer, other_interviewer
):
    # given the interviewer also runs a second interview in the same loop
    second = InterviewFactory(loop=world.loop, title="Second round", interviewers=[interviewer])
    theirs = submit(world.other_interview, other_interviewer)
    submit(world.interview, interviewer)
    client.force_login(interviewer)

    assert SECRET not in form_page(client, world.interview)
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404

    submit(second, interviewer)
    assert SECRET in form_page(client, world.interview)


def test_a_submitted_scorecard_in_another_loop_does_not_unblind_this_one(
    client, world, interviewer, other_interviewer
):
    other_loop_interview = InterviewFactory(
        loop=LoopFactory(requisition=world.requisition), interviewers=[interviewer]
    )
    submit(other_loop_interview, interviewer)
    theirs = submit(world.other_interview, other_interviewer)
    client.force_login(interviewer)

    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404


def test_no_one_opens_another_interviewers_scorecard_by_url(
    client, world, interviewer, other_interviewer, outsider, hiring_manager
):
    mine = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    services.scorecard_save_draft(
        scorecard=mine, content=full_content(world.interview), by=interviewer
    )
    # the colleague has even submitted theirs: my draft stays mine
    submit(world.other_interview, other_interviewer)
    for persona in (other_interviewer, outsider, hiring_manager):
        client.force_login(persona)
        assert client.get(f"/scorecards/{mine.pk}/").status_code == 404
        for path in ("kit/", "scorecard/"):
            assert client.get(f"/interviews/{world.interview.pk}/{path}").status_code == 404


def test_a_loop_you_are_not_on_is_a_404_everywhere(client, world, outsider, interviewer):
    # given an interview and a submitted scorecard in a loop the outsider is not on
    theirs = submit(world.interview, interviewer)
    client.force_login(outsider)
    for url in (
        f"/interviews/{world.interview.pk}/kit/",
        f"/interviews/{world.interview.pk}/scorecard/",
        f"/scorecards/{theirs.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/interviews/{world.interview.pk}/scorecard/",
        f"/interviews/{world.interview.pk}/scorecard/draft/",
        f"/interviews/{world.interview.pk}/scorecard/amend/",
    ):
        assert client.post(url, {"based_on": "0", "action": "submit"}).status_code == 404, url


def test_staff_of_the_requisition_read_submitted_scorecards_only(
    client, world, interviewer, other_interviewer, hiring_manager, recruiter
):
    submitted = submit(world.interview, interviewer)
    draft = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    for persona in (hiring_manager, recruiter):
        client.force_login(persona)
        assert client.get(f"/scorecards/{submitted.pk}/").status_code == 200
        assert client.get(f"/scorecards/{draft.pk}/").status_code == 404


def test_a_hiring_manager_on_the_panel_is_blind_too(
    client, world, hiring_manager, other_interviewer
):
    InterviewFactory(loop=world.loop, title="Manager chat", interviewers=[hiring_manager])
    theirs = submit(world.other_interview, other_interviewer)
    client.force_login(hiring_manager)
    assert client.get(f"/scorecards/{theirs.pk}/").status_code == 404
