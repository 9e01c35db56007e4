"""The scorecard form: drafts that survive, validation in words next to the field, one
submission however often it is posted, amendments as new revisions."""

import re

import pytest
from django.contrib.messages import get_messages

from hiring.models import Interview, OutboxEvent
from scorecards import services
from scorecards.models import Scorecard, ScorecardRevision
from tests.concurrency import collide
from tests.factories import InterviewFactory, UserFactory

pytestmark = pytest.mark.django_db


STALE_MESSAGE = (
    "This scorecard had already been submitted (from another tab or a repeated click). "
    "Nothing was changed."
)


def form_url(interview):
    return f"/interviews/{interview.pk}/scorecard/"


def draft_url(interview):
    return f"/interviews/{interview.pk}/scorecard/draft/"


def focus_ids(interview):
    return [d.pk for d in interview.focus_dimensions.order_by("order", "pk")]


def complete_post(interview, *, action="submit", based_on=0, **overrides):
    data = {"based_on": str(based_on), "action": action}
    for pk in focus_ids(interview):
        data[f"rating_{pk}"] = "3"
        data[f"evidence_{pk}"] = f"Evidence for dimension {pk}."
    data["overall_recommendation"] = "yes"
    data["key_takeaways"] = "Clear thinker."
    data.update(overrides)
    return data


def revisions_of(interview, user):
    return ScorecardRevision.objects.filter(
        scorecard__interview=interview, scorecard__interviewer=user
    ).order_by("number")


def test_the_blank_form_offers_the_profiles_scale_and_descriptors(client, world, interviewer):
    client.force_login(interviewer)
    page = client.get(form_url(world.interview)).content.decode()
    strategy = world.interview.focus_dimensions.get(slug="product-strategy")

    # a radio group per dimension, in a fieldset with a legend, each radio labelled
    assert "<legend>Product strategy" in page
    for value, label in world.requisition.profile.scale_choices():
        assert f'<label class="choice" for="id_rating_{strategy.pk}_{value - 1}">' in page
        assert f"{value} · {label}" in page
    assert "Not assessed" in page
    assert strategy.meets_bar in page
    assert strategy.excellent in page
    assert f'<label for="id_evidence_{strategy.pk}">Evidence</label>' in page
    for choice in ("Strong no", "No", "Yes", "Strong yes"):
        assert choice in page
    assert "Strong signals" in page
    assert "Red flags" in page
    assert 'name="action" value="save"' in page
    assert 'name="action" value="submit"' in page
    assert "/static/scorecards/scorecard.js" in page
    assert "onclick" not in page
    assert "<script>" not in page


def test_save_draft_without_javascript_restores_everything(client, world, interviewer):
    client.force_login(interviewer)
    strategy, communication = focus_ids(world.interview)
    signal = world.requisition.profile.signals.filter(kind="weak").first()
    flag = world.requisition.profile.red_flags.first()
    data = {
        "based_on": "0",
        "action": "save",
        f"rating_{strategy}": "2",
        f"evidence_{strategy}": "Generic pillars, no ICP.",
        f"rating_{communication}": "na",
        "weak_signals": [str(signal.pk)],
        "red_flags": [str(flag.pk)],
        "key_takeaways": "Half-way thoughts",
    }

    response = client.post(form_url(world.interview), data)

    assert response.status_code == 302
    page = client.get(form_url(world.interview)).content.decode()
    assert re.search(rf'value="2"[^>]*id="id_rating_{strategy}_1" checked', page)
    assert re.search(rf'value="na"[^>]*id="id_rating_{communication}_4" checked', page)
    assert "Generic pillars, no ICP." in page
    assert "Half-way thoughts" in page
    assert re.search(rf'value="{signal.pk}"[^>]*checked', page)
    assert re.search(rf'value="{flag.pk}"[^>]*checked', page)
    assert Scorecard.objects.get(interview=world.interview).status == "draft"


def test_autosave_returns_json_and_survives_signing_out(client, world, interviewer):
    client.force_login(interviewer)
    strategy = focus_ids(world.interview)[0]

    response = client.post(
        draft_url(world.interview),
        {"based_on": "0", f"evidence_{strategy}": "Typed before the session died"},
    )
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", response.json()["saved_at"])

    # the session expires; they sign in again and come back
    client.logout()
    assert client.post(draft_url(world.interview), {"based_on": "0"}).status_code == 401
    client.force_login(interviewer)
    assert "Typed before the session died" in client.get(form_url(world.interview)).content.decode()


def test_a_refused_submit_shows_errors_next_to_fields_and_keeps_what_was_typed(
    client, world, interviewer
):
    client.force_login(interviewer)
    strategy, communication = focus_ids(world.interview)
    data = complete_post(world.interview, key_takeaways="Do not lose me")
    del data[f"rating_{communication}"]
    data[f"evidence_{strategy}"] = ""

    response = client.post(form_url(world.interview), data)

    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(
        rf'<p class="error field-error" id="id_rating_{communication}_error">(.*?)</p>', page
    )
    assert error
    assert "Rate Communication or mark it as not assessed." in error.group(1)
    assert f'id="id_evidence_{strategy}_error"' in page
    assert "Write the evidence behind your Product strategy rating." in page
    assert f'aria-describedby="id_rating_{communication}_error"' in page  # the fieldset
    assert f'href="#id_rating_{communication}_0"' in page  # the error summary links to it
    assert "Do not lose me" in page
    assert f"Evidence for dimension {communication}." in page
    # and the draft in the database has it too
    draft = revisions_of(world.interview, interviewer).get()
    assert draft.submitted_at is None
    assert draft.key_takeaways == "Do not lose me"


def test_a_complete_submit_shows_a_read_only_scorecard(client, world, interviewer):
    client.force_login(interviewer)

    response = client.post(form_url(world.interview), complete_post(world.interview))

    assert response.status_code == 302
    page = client.get(form_url(world.interview)).content.decode()
    assert "Scorecard submitted." in page
    assert "<textarea" not in page
    assert 'name="rating_' not in page
    assert "Amend this scorecard" in page
    assert "3 · Meets bar" in page
    assert "Clear thinker." in page
    assert OutboxEvent.objects.filter(topic="scorecard.submitted").count() == 1


def test_two_posts_of_the_same_submission_make_one(client, world, interviewer):
    client.force_login(interviewer)
    data = complete_post(world.interview)

    first = client.post(form_url(world.interview), data)
    second = client.post(form_url(world.interview), {**data, "key_takeaways": "Replayed"})

    assert first.status_code == second.status_code == 302
    revisions = revisions_of(world.interview, interviewer)
    assert [(r.number, r.is_current, r.key_takeaways) for r in revisions] == [
        (1, True, "Clear thinker.")
    ]
    assert OutboxEvent.objects.filter(topic="scorecard.submitted").count() == 1
    assert "already been submitted" in client.get(form_url(world.interview)).content.decode()


def test_a_late_autosave_after_submitting_opens_no_amendment(client, world, interviewer):
    client.force_login(interviewer)
    client.post(form_url(world.interview), complete_post(world.interview))

    response = client.post(draft_url(world.interview), complete_post(world.interview, action=""))

    assert response.status_code == 409
    assert revisions_of(world.interview, interviewer).count() == 1


def test_an_amendment_needs_a_reason_and_history_keeps_every_revision(client, world, interviewer):
    client.force_login(interviewer)
    client.post(form_url(world.interview), complete_post(world.interview))

    # when they amend
    assert client.post(f"/interviews/{world.interview.pk}/scorecard/amend/").status_code == 302
    page = client.get(form_url(world.interview)).content.decode()
    assert "You are amending your submitted scorecard (revision 1)" in page
    assert "Why are you amending this scorecard?" in page
    assert "Clear thinker." in page  # starts from the submitted revision
    amended = complete_post(world.interview, based_on=1, overall_recommendation="no")

    # without a reason it is refused, in words, next to the reason
    refused = client.post(form_url(world.interview), amended)
    assert refused.status_code == 400
    assert 'id="id_amendment_reason_error"' in refused.content.decode()

    # with one it is a new current revision; the replay of that post changes nothing
    amended["amendment_reason"] = "Reference call changed my view"
    assert client.post(form_url(world.interview), amended).status_code == 302
    assert client.post(form_url(world.interview), amended).status_code == 302
    revisions = revisions_of(world.interview, interviewer)
    assert [(r.number, r.is_current, r.overall_recommendation) for r in revisions] == [
        (1, False, "yes"),
        (2, True, "no"),
    ]
    page = client.get(form_url(world.interview)).content.decode()
    assert "Revision 2 · submitted" in page
    assert "Revision 1 · submitted" in page
    assert "Reference call changed my view" in page
    assert OutboxEvent.objects.filter(topic="scorecard.submitted").count() == 2


def test_an_amendment_can_be_discarded(client, world, interviewer):
    client.force_login(interviewer)
    client.post(form_url(world.interview), complete_post(world.interview))
    client.post(f"/interviews/{world.interview.pk}/scorecard/amend/")

    client.post(f"/interviews/{world.interview.pk}/scorecard/amend/", {"action": "discard"})

    assert [r.number for r in revisions_of(world.interview, interviewer)] == [1]
    assert "Amend this scorecard" in client.get(form_url(world.interview)).content.decode()


def test_a_tampered_rating_is_refused(client, world, interviewer):
    client.force_login(interviewer)
    strategy = focus_ids(world.interview)[0]
    response = client.post(draft_url(world.interview), {"based_on": "0", f"rating_{strategy}": "9"})
    assert response.status_code == 400
    assert f"rating_{strategy}" in response.json()["errors"]
    assert not ScorecardRevision.objects.exists()


def test_a_cancelled_interview_takes_no_scorecard(client, world, interviewer):
    world.interview.status = Interview.Status.CANCELLED
    world.interview.save()
    client.force_login(interviewer)

    page = client.get(form_url(world.interview)).content.decode()
    client.post(form_url(world.interview), complete_post(world.interview))

    assert "This interview was cancelled: its scorecard is read-only." in page
    assert "Save draft" not in page
    assert "Submit scorecard" not in page
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["kit/", "scorecard/", "scorecard/draft/", "scorecard/amend/"],
)
@pytest.mark.parametrize("persona", ["other_interviewer", "hiring_manager", "outsider"])
def test_every_page_of_someone_elses_interview_is_a_404(client, world, persona, path, request):
    client.force_login(request.getfixturevalue(persona))
    url = f"/interviews/{world.interview.pk}/{path}"
    response = client.get(url) if path in ("kit/", "scorecard/") else client.post(url, {})
    assert response.status_code == 404
    if path == "scorecard/":
        assert client.post(url, complete_post(world.interview)).status_code == 404
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize("slots", [2, 10])
def test_form_query_count_does_not_grow_with_the_loop(
    client, world, interviewer, slots, django_assert_num_queries
):
    for index in range(slots - 2):
        InterviewFactory(loop=world.loop, title=f"Extra {index}", interviewers=[UserFactory()])
    client.force_login(interviewer)
    client.post(form_url(world.interview), complete_post(world.interview, action="save"))
    # session, user, interview, kit (signals, schedule, focus, red flags), own scorecard and
    # its revisions (scorecard, revisions, ratings, signals, red flags)
    with django_assert_num_queries(12):
        response = client.get(form_url(world.interview))
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_submitting_one_amendment_at_once_make_one_revision(world, interviewer):

    from django.test import Client

    # given a submitted scorecard with an amendment open in two tabs
    setup = Client()
    setup.force_login(interviewer)
    setup.post(form_url(world.interview), complete_post(world.interview))
    setup.post(f"/interviews/{world.interview.pk}/scorecard/amend/")
    amended = complete_post(world.interview, based_on=1, amendment_reason="New facts")

    def signed_in_tab():
        tab = Client()
        tab.force_login(interviewer)
        return tab

    def submit(tab):
        response = tab.post(form_url(world.interview), amended)
        return response.status_code, [str(m) for m in get_messages(response.wsgi_request)]

    # when the second tab submits while the first holds the scorecard's lock, half-way
    # through submitting the amendment
    answers = collide(submit, inside=(services, "scorecard_submit"), prepare=signed_in_tab)

    # then one amendment was made, and the second tab was told so
    assert answers == [
        (302, ["Amendment submitted."]),
        (302, [STALE_MESSAGE]),
    ]
    numbers = [(r.number, r.is_current) for r in revisions_of(world.interview, interviewer)]
    assert numbers == [(1, False), (2, True)]
