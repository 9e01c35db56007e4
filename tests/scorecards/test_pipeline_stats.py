"""Issue 18, the pipeline report's maths, against cases worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from scorecards.analytics.stats import pipeline as stats
from scorecards.analytics.stats.pipeline import Change


def at(day: int, hour: int = 0) -> dt.datetime:
    """A moment in November 2026 (the 2nd is a Monday)."""
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def test_quantiles_interpolate_between_ranks():
    assert stats.quantile([10, 1, 3, 2], 0.5) == pytest.approx(2.5)
    # 90th percentile of 1, 2, 3, 10: rank 2.7 -> 3 + 0.7 * (10 - 3)
    assert stats.quantile([10, 1, 3, 2], 0.9) == pytest.approx(7.9)
    assert stats.quantile([5], 0.9) == 5
    assert stats.quantile([], 0.5) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.quantile([1], 1.5)


def test_weeks_start_on_monday_and_keep_the_latest():
    assert stats.week_start(at(4, 15)) == at(2)
    assert stats.weeks(at(4, 15), at(18, 12)) == [at(2), at(9), at(16)]
    assert stats.weeks(at(4, 15), at(18, 12), limit=2) == [at(9), at(16)]


A = [
    Change(at(2, 10), "scheduling"),
    Change(at(5, 10), "in_progress"),
    Change(at(12, 22), "decided"),
]
B = [Change(at(10), "scheduling")]


def test_weekly_counts_are_each_week_end_snapshot():
    counts = stats.weekly_counts([A, B], [at(2), at(9), at(16)], now=at(18, 12))
    # end of week 1 (the 9th): A in progress, B not yet created
    assert counts[0] == {"in_progress": 1}
    # end of week 2 (the 16th) and now: A decided, B still scheduling
    assert counts[1] == {"decided": 1, "scheduling": 1}
    assert counts[2] == {"decided": 1, "scheduling": 1}


def test_time_in_stage_counts_finished_stays_only():
    terminal = frozenset({"decided", "withdrawn"})
    # A: 3 days scheduling, 7.5 in progress; B's stay is not over
    assert stats.stays(A, terminal) == [("scheduling", 3.0), ("in_progress", 7.5)]
    assert stats.stays(B, terminal) == []
    back_and_forth = [
        Change(at(2), "scheduling"),
        Change(at(3), "in_progress"),
        Change(at(4), "ready_for_debrief"),
        Change(at(6), "in_progress"),
        Change(at(10), "ready_for_debrief"),
    ]
    spreads = stats.time_in_stages([A, B, back_and_forth], terminal)
    # in progress: 7.5 (A), 1 and 4 (the loop that went back) -> median 4
    assert spreads["in_progress"].n == 3
    assert spreads["in_progress"].median == pytest.approx(4.0)
    # scheduling: 3 (A) and 1 -> median 2, p90 1 + 0.9 * 2
    assert spreads["scheduling"].median == pytest.approx(2.0)
    assert spreads["scheduling"].p90 == pytest.approx(2.8)
    assert spreads["ready_for_debrief"].n == 1  # the last stay is still going on
    assert "decided" not in spreads


def test_days_from_first_interview_to_decision():
    pairs = [(at(2), at(4)), (at(2), at(6)), (at(2), at(11)), (at(9), at(8))]
    spread = stats.days_between(pairs)
    # 2, 4 and 9 days (a decision before the interview is left out): p90 = 4 + 0.8 * 5
    assert (spread.n, spread.median, spread.p90) == (3, 4.0, pytest.approx(8.0))
    assert stats.days_between([]) == stats.Spread(0, None, None)


def test_pass_through_by_slot():
    rows = stats.pass_through(
        ["screen", "case", "panel"],
        {"screen": {1, 2, 3, 4}, "case": {1, 2, 3}, "panel": {1}},
        hired={1, 3},
    )
    assert [(r.key, r.reached, r.went_on, r.hired) for r in rows] == [
        ("screen", 4, 3, 2),
        ("case", 3, 1, 2),
        ("panel", 1, None, 1),
    ]
    assert rows[0].went_on_share == pytest.approx(0.75)
    assert rows[2].went_on_share is None
    assert stats.pass_through(["x"], {}, set())[0].hired_share is None


def test_recommendations_against_decisions():
    pairs = (
        [("hire", "hire")] * 3
        + [("hire", "no_hire")]
        + [("no_hire", "hire")]
        + [("no_hire", "no_hire")] * 2
        + [("mixed", "hire")]
    )
    table = stats.agreement(pairs)
    assert table.count("hire", "hire") == 3
    assert table.total == 8
    assert table.clear == 7  # the mixed one is against nothing
    assert (table.hired_against, table.declined_against) == (1, 1)
    assert table.against_share == pytest.approx(2 / 7)
    assert stats.agreement([]).against_share is None
    with pytest.raises(ValueError, match="unknown pair"):
        stats.agreement([("strong_hire", "hire")])
