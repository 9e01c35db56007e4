"""Each proposal on the propose page has a day timeline: one row per interviewer, a bar per
interview placed where its time falls in the reader's day (issue 17, item 6)."""

from __future__ import annotations

import re
from itertools import pairwise

from tests.hiring.test_proposals import admin_propose, panel, planned  # noqa: F401


def test_each_proposal_draws_its_day_per_interviewer(client, planned, recruiter):  # noqa: F811
    client.force_login(recruiter)
    page = admin_propose(client, planned)

    html = page.content.decode()
    first = page.context["options"][0]
    [day] = first["timeline"]  # the three interviews fit one day
    assert {lane["who"] for lane in day["lanes"]} == {row["who"] for row in first["rows"]}
    bars = [bar for lane in day["lanes"] for bar in lane["bars"]]
    assert len(bars) == len(first["rows"]) == 3
    # bars run left to right in the order of the interviews, and never overlap for one person
    by_start = sorted(first["rows"], key=lambda row: row["here"])
    xs = sorted(bars, key=lambda bar: bar["x"])
    for row, bar in zip(by_start, xs, strict=True):
        assert bar["title"].startswith(row["title"])
    for earlier, later in pairwise(xs):
        assert earlier["x"] + earlier["width"] <= later["x"] + 0.1
    # a 90-minute case is twice as wide as a 45-minute chat
    widths = {bar["title"].split(",")[0]: bar["width"] for bar in bars}
    assert abs(widths["Portfolio case"] - 2 * widths["Values chat"]) < 0.5
    assert html.count('<figure class="timeline">') == sum(
        len(option["timeline"]) for option in page.context["options"]
    )
    assert re.search(r"<rect [^>]*><title>Portfolio case, \d\d:\d\d", html)


def test_the_candidates_column_is_in_the_candidates_zone(client, planned, recruiter):  # noqa: F811
    planned.candidate.time_zone = "America/New_York"
    planned.candidate.save()
    recruiter.time_zone = "Europe/London"
    recruiter.save()
    client.force_login(recruiter)
    page = admin_propose(client, planned, start="08:00", end="12:00")

    row = page.context["options"][0]["rows"][0]
    html = page.content.decode()
    here = f"{row['here']:%a %d %b, %H:%M}"
    there = f"{row['there']:%a %d %b, %H:%M}"
    assert row["here"] == row["there"]  # the same instant, shown in two zones
    assert here != there  # London is five hours ahead of New York in early March
    assert f"<td>{here}" in html
    assert f"<td>{there}" in html
