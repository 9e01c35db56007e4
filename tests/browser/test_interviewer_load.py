"""The interviewer load view (issue 17) in a real browser: the week's table, with an
over-limit day said in words and a trainee's progress, has no serious axe violations and
its week links move by a week."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hiring.models import PlanSlot, SchedulingProfile, TrainingRecord
from tests.browser.test_accessibility import Audit, recruiter_in_admin
from tests.factories import InterviewFactory

__all__ = ["recruiter_in_admin"]  # the fixture used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_load_view_reads_well_and_pages_by_week(
    recruiter_in_admin: Any, live_server: Any, world: Any, interviewer: Any
) -> None:
    page = recruiter_in_admin
    SchedulingProfile.objects.create(user=interviewer, day_limit=1)
    when = world.interview.starts_at
    InterviewFactory(
        loop=world.loop, interviewers=[interviewer], starts_at=when + timedelta(hours=2)
    )
    slot = PlanSlot.objects.create(
        requisition=world.requisition, slug="case", title="Portfolio case", minutes=60
    )
    TrainingRecord.objects.create(person=interviewer, plan_slot=slot)
    week = timezone.localtime(when).date()

    page.goto(f"{live_server.url}/admin/hiring/schedulingprofile/load/?week={week:%Y-%m-%d}")

    table = page.locator("#load")
    expect(table).to_contain_text("over the day's limit of 1 by 1")
    expect(table).to_contain_text("Shadowing on “Portfolio case”: 0 of 3 trainee interviews done")
    audit = Audit(page)
    audit.check("interviewer load")
    audit.assert_clean()
    monday = week - timedelta(days=week.weekday())
    page.get_by_role("link", name="Next week").click()
    expect(page.locator("#load caption")).to_contain_text(
        f"Week of {monday + timedelta(days=7):%a %d %b %Y}"
    )
