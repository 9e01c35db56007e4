"""Hiring managers' pages: the pipeline, the calibrated loop summary, the comparison and the
decision form. Who may read, who may decide, and constant query counts as loops grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from hiring.delivery import outbox
from hiring.models import Decision, Loop
from scorecards.calibration import summaries
from scorecards.models import LoopSummary
from scorecards.tasks import summarise_loops
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db

FOCUS = ["product-strategy", "communication", "people-leadership"]


def summary_url(loop):
    return reverse("scorecards:manager_loop", args=[loop.pk])


def decide_url(loop):
    return reverse("scorecards:manager_decide", args=[loop.pk])


def compare_url(requisition):
    return reverse("scorecards:manager_compare", args=[requisition.pk])


def complete(world, interviewer, other_interviewer):
    submit(world.interview, interviewer, rating=3)
    submit(world.other_interview, other_interviewer, rating=4)
    return summaries.loop_summary_compute(loop_id=world.loop.pk)


def loop_with_interviews(requisition, count, rating=3):
    loop = LoopFactory(requisition=requisition)
    for index in range(count):
        person = UserFactory(username=f"panel{loop.pk}-{index}")
        interview = InterviewFactory(loop=loop, interviewers=[person], focus=FOCUS)
        submit(interview, person, rating=rating if index % 2 else min(rating + 1, 4))
    summaries.loop_summary_compute(loop_id=loop.pk)
    return loop


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["interviewer", "outsider", "other_manager"])
def test_strangers_get_404_on_summary_comparison_and_decision(
    client, world, interviewer, other_interviewer, request, persona
):
    # given a complete loop
    complete(world, interviewer, other_interviewer)
    person = (
        UserFactory(username="mara")
        if persona == "other_manager"
        else request.getfixturevalue(persona)
    )
    if persona == "other_manager":
        RequisitionFactory(hiring_manager=person)  # manages a different requisition
    client.force_login(person)

    # then every manager page of that loop answers 404
    assert client.get(summary_url(world.loop)).status_code == 404
    assert client.get(compare_url(world.requisition)).status_code == 404
    response = client.post(decide_url(world.loop), {"outcome": "hire", "rationale": "Yes."})
    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_the_recruiter_reads_but_cannot_decide(client, world, recruiter, interviewer):
    submit(world.interview, interviewer)
    client.force_login(recruiter)

    page = client.get(summary_url(world.loop))
    assert page.status_code == 200
    assert b"Only the hiring manager records the decision" in page.content
    assert b'name="rationale"' not in page.content
    assert client.get(compare_url(world.requisition)).status_code == 200
    response = client.post(decide_url(world.loop), {"outcome": "hire", "rationale": "Yes."})
    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(summary_url(world.loop))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- Summary ---------------------------------------------------------------------------------


def test_a_complete_summary_shows_its_working(
    client, world, hiring_manager, interviewer, other_interviewer
):
    summary = complete(world, interviewer, other_interviewer)
    client.force_login(hiring_manager)

    page = client.get(summary_url(world.loop))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Recommendation: " in html
    for reason in summary.data["verdict"]["reasons"]:
        assert escape(reason["message"]) in html
    assert "<svg" in html
    assert "Ratings by dimension and interviewer" in html
    assert "Bar 3.00" in html
    assert "Leniency correction applied" in html
    assert interviewer.display_name in html
    assert "Evidence by dimension" in html
    assert 'class="evidence">e</p>' in html  # each interviewer's notes, by dimension
    assert "Partial:" not in html
    assert 'name="rationale"' in html
    assert "style=" not in html  # strict CSP: no inline style
    assert "<script" not in html


def test_a_partial_loop_says_so(client, world, hiring_manager, interviewer):
    submit(world.interview, interviewer)
    outbox.dispatch()  # the submission's event computes the summary, as a worker would
    client.force_login(hiring_manager)

    page = client.get(summary_url(world.loop))

    assert b"Partial: 1 of 2 scorecards" in page.content
    assert b"Recommendation: Incomplete" in page.content


def test_a_missing_summary_is_shown_as_being_computed_until_the_worker_stores_it(
    client, world, hiring_manager, interviewer
):
    submit(world.interview, interviewer)
    LoopSummary.objects.all().delete()
    client.force_login(hiring_manager)

    page = client.get(summary_url(world.loop))
    assert page.status_code == 200
    assert b"The summary is being computed" in page.content
    assert not LoopSummary.objects.filter(loop=world.loop).exists()  # the GET wrote nothing

    summarise_loops([world.loop.pk])  # the task the page queued

    page = client.get(summary_url(world.loop))
    assert b"The summary is being computed" not in page.content
    assert b"Partial: 1 of 2 scorecards" in page.content


def test_red_flags_name_who_raised_them(
    client, world, hiring_manager, interviewer, other_interviewer
):
    flag = world.requisition.profile.red_flags.first()
    submit(world.interview, interviewer, red_flag_ids=[flag.pk])
    submit(world.other_interview, other_interviewer)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    client.force_login(hiring_manager)

    html = client.get(summary_url(world.loop)).content.decode()

    assert f"Red flags raised by {interviewer.display_name}" in html
    assert flag.text in html


def test_summary_query_count_does_not_grow_with_interviews(client, hiring_manager):
    requisition = RequisitionFactory(hiring_manager=hiring_manager)
    small = loop_with_interviews(requisition, 3)
    large = loop_with_interviews(requisition, 12)
    client.force_login(hiring_manager)
    client.get(summary_url(small))  # warm the session and content types

    counts = []
    for loop in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(summary_url(loop)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- Pipeline --------------------------------------------------------------------------------


def test_pipeline_lists_loops_with_their_state(
    client, world, hiring_manager, interviewer, other_interviewer
):
    complete(world, interviewer, other_interviewer)
    partial = LoopFactory(requisition=world.requisition)
    client.force_login(hiring_manager)

    html = client.get(reverse("scorecards:manager_pipeline")).content.decode()

    assert world.requisition.title in html
    assert world.loop.candidate.full_name in html
    assert partial.candidate.full_name in html
    assert "2 of 2 in" in html


def test_pipeline_filters_by_recommendation_stage_and_debrief(
    client, world, hiring_manager, interviewer, other_interviewer
):
    complete(world, interviewer, other_interviewer)
    waiting = LoopFactory(requisition=world.requisition)
    client.force_login(hiring_manager)
    url = reverse("scorecards:manager_pipeline")

    incomplete = client.get(url, {"recommendation": "incomplete"}).content.decode()
    assert waiting.candidate.full_name in incomplete
    assert world.loop.candidate.full_name not in incomplete

    Loop.objects.filter(pk=waiting.pk).update(status=Loop.Status.WITHDRAWN)
    withdrawn = client.get(url, {"stage": "withdrawn", "sort": "candidate"}).content.decode()
    assert waiting.candidate.full_name in withdrawn
    assert world.loop.candidate.full_name not in withdrawn

    LoopSummary.objects.filter(loop=world.loop).update(needs_debrief=True)
    debrief = client.get(url, {"needs_debrief": "1"}).content.decode()
    assert world.loop.candidate.full_name in debrief
    assert waiting.candidate.full_name not in debrief


def test_pipeline_shows_only_own_requisitions(client, world, outsider):
    RequisitionFactory(hiring_manager=outsider, title="Someone else's opening")
    client.force_login(outsider)
    html = client.get(reverse("scorecards:manager_pipeline")).content.decode()
    assert "Someone else&#x27;s opening" in html or "Someone else's opening" in html
    assert world.requisition.title not in html


def test_pipeline_query_count_is_constant_for_1_and_100_loops(client, hiring_manager):
    requisition = RequisitionFactory(hiring_manager=hiring_manager)
    first = loop_with_interviews(requisition, 2)
    client.force_login(hiring_manager)
    url = reverse("scorecards:manager_pipeline")
    client.get(url)

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(99):
        LoopFactory(requisition=requisition)
    Decision.objects.create(
        loop=first,
        outcome="hire",
        rationale="Clear.",
        decided_by=hiring_manager,
        decided_at=first.created_at,
    )
    with CaptureQueriesContext(connection) as hundred:
        page = client.get(url)

    assert page.content.decode().count('href="/manager/loops/') == 50  # the first page
    assert "Loops 1\u201350 of 100" in page.content.decode()
    assert len(one) == len(hundred)


# --- Compare ---------------------------------------------------------------------------------


def test_compare_puts_candidates_side_by_side(client, world, hiring_manager, interviewer):
    submit(world.interview, interviewer)
    outbox.dispatch()
    strong = loop_with_interviews(world.requisition, 3, rating=4)
    client.force_login(hiring_manager)

    html = client.get(compare_url(world.requisition)).content.decode()

    assert world.loop.candidate.full_name in html
    assert strong.candidate.full_name in html
    assert html.index(strong.candidate.full_name) < html.index(world.loop.candidate.full_name)
    assert "Calibrated overall" in html
    assert "Partial: 1 of 2 scorecards" in html
    assert "Product strategy" in html


# --- Decision form ---------------------------------------------------------------------------


def test_deciding_without_a_rationale_explains_in_words(client, world, hiring_manager):
    client.force_login(hiring_manager)

    response = client.post(decide_url(world.loop), {"outcome": "hire", "rationale": "  "})

    assert response.status_code == 400
    assert b"Write the rationale" in response.content
    assert not Decision.objects.exists()


def test_a_level_off_the_ladder_is_refused(client, world, hiring_manager):
    from tests.factories import RoleProfileFactory

    stray = RoleProfileFactory()
    client.force_login(hiring_manager)

    response = client.post(
        decide_url(world.loop),
        {"outcome": "hire", "rationale": "Good.", "level_offered": stray.pk},
    )

    assert response.status_code == 400
    assert b"ladder" in response.content


def test_the_hiring_manager_decides_and_sees_the_history(client, world, hiring_manager):
    client.force_login(hiring_manager)
    head = world.requisition.profile.level_below

    first = client.post(decide_url(world.loop), {"outcome": "hire", "rationale": "Strong."})
    second = client.post(
        decide_url(world.loop),
        {"outcome": "hire", "rationale": "Offer one level down.", "level_offered": head.pk},
    )

    assert first.status_code == second.status_code == 302
    html = client.get(summary_url(world.loop)).content.decode()
    assert "Offer one level down." in html
    assert "Strong." in html
    assert "superseded" in html
    assert Decision.objects.get(is_current=True).level_offered == head
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.DECIDED


def test_home_links_the_pipeline_for_hiring_managers(client, world, hiring_manager):
    client.force_login(hiring_manager)
    html = client.get(reverse("home")).content.decode()
    assert reverse("scorecards:manager_pipeline") in html


def test_pipeline_sorts_by_calibrated_score_best_first(client, hiring_manager):
    requisition = RequisitionFactory(hiring_manager=hiring_manager)
    weak = loop_with_interviews(requisition, 2, rating=1)
    strong = loop_with_interviews(requisition, 2, rating=4)
    client.force_login(hiring_manager)

    html = client.get(
        reverse("scorecards:manager_pipeline"), {"sort": "-calibrated"}
    ).content.decode()

    assert html.index(strong.candidate.full_name) < html.index(weak.candidate.full_name)


def test_the_summary_links_a_print_stylesheet_for_the_debrief_packet(client, world, hiring_manager):
    from django.contrib.staticfiles import finders

    client.force_login(hiring_manager)
    html = client.get(summary_url(world.loop)).content.decode()

    assert "scorecards/manager.css" in html
    path = finders.find("scorecards/manager.css")
    assert path is not None
    with open(path, encoding="utf-8") as css:
        assert "@media print" in css.read()


def test_a_superuser_reads_and_decides(client, world):
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    client.force_login(admin)

    assert client.get(summary_url(world.loop)).status_code == 200
    assert client.get(compare_url(world.requisition)).status_code == 200
    response = client.post(decide_url(world.loop), {"outcome": "no_hire", "rationale": "No."})
    assert response.status_code == 302
    assert Decision.objects.get().decided_by == admin


# --- Charts (pure) ---------------------------------------------------------------------------


def test_the_heatmap_prints_every_rating_and_escapes_names():
    from scorecards.manager import charts

    svg = str(
        charts.ratings_heatmap(
            rows=[charts.HeatRow("s", "Strategy & <vision>", {"a": 3, "b": None})],
            columns=[
                charts.HeatColumn("a", "Eve <script>x</script>"),
                charts.HeatColumn("b", "Bo"),
            ],
            scale_max=4,
            scale_labels=["Below bar", "Mixed", "Meets bar", "Excellent"],
        )
    )

    assert "<script>" not in svg
    assert "Strategy &amp; &lt;vision&gt;" in svg
    assert ">3</text>" in svg
    assert "Meets bar" in svg  # the legend says what each colour means


def test_the_score_chart_draws_the_bar_and_prints_intervals():
    from scorecards.manager import charts

    svg = str(
        charts.calibrated_scores(
            rows=[charts.ScoreRow("Strategy", 3.5, 3.2, 2.7, 3.7, must_have=True)],
            bar=3.0,
            scale_max=4,
            interval_level=0.9,
        )
    )

    assert "Bar 3.00" in svg
    assert "3.20 (2.70\u20133.70) \u00b7 raw 3.50 \u00b7 at/above bar" in svg
    assert "Strategy (must-have)" in svg


def test_the_summary_shows_times_in_the_managers_own_time_zone(
    client, world, hiring_manager, interviewer, other_interviewer
):
    from datetime import UTC, datetime

    import time_machine

    from hiring.decisions import decision_record

    complete(world, interviewer, other_interviewer)
    hiring_manager.time_zone = "America/New_York"
    hiring_manager.save(update_fields=["time_zone"])
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        decision_record(loop=world.loop, outcome="hire", rationale="Strong.", by=hiring_manager)
    client.force_login(hiring_manager)

    html = client.get(summary_url(world.loop)).content.decode()

    assert "1 Dec 2026, 10:00 EST" in html  # 15:00 UTC, on the manager's own clock
