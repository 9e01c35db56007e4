"""The insight statistics against hand-computed small cases (issue 18): quantiles, time to
feedback, the overdue rate, agreement shares, and the one-way ICC with its F interval.

Reference values not worked by hand below (F quantiles, the 12-candidate ICC) were computed
with SciPy 1.x (``scipy.stats.f.ppf``) and pingouin (``intraclass_corr``, rows ICC1 and
ICC1k) in a scratch environment, and are written here as numbers."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards.analytics.stats import icc as icc_stats
from scorecards.analytics.stats import interviewers as stats

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# --- Quantiles and time to feedback -----------------------------------------------------------


def test_quantiles_follow_type_7():
    # 1, 2, 3, 4, 5: the median sits at h = 4 * 0.5 = 2 -> 3; the 90th at h = 4 * 0.9 = 3.6,
    # so 4 + 0.6 * (5 - 4) = 4.6.
    assert stats.quantile([5, 1, 4, 2, 3], 0.5) == 3
    assert stats.quantile([5, 1, 4, 2, 3], 0.9) == pytest.approx(4.6)
    # Even count: 1, 2, 10, 20: median at h = 1.5 -> 2 + 0.5 * 8 = 6;
    # p90 at h = 2.7 -> 10 + 0.7 * 10 = 17.
    assert stats.quantile([20, 1, 10, 2], 0.5) == pytest.approx(6)
    assert stats.quantile([20, 1, 10, 2], 0.9) == pytest.approx(17)
    # One value is every quantile; none is none.
    assert stats.quantile([7.5], 0.9) == 7.5
    assert stats.quantile([], 0.5) is None


def test_time_to_feedback_in_hours_from_the_interview_end():
    # Ended 10:00. Submitted 10:30 (0.5 h), 14:00 (4 h), next day 10:00 (24 h),
    # two days later 22:00 (60 h), and one typed live, 09:45 (before the end: 0 h).
    submitted = [
        T0 + timedelta(minutes=30),
        T0 + timedelta(hours=4),
        T0 + timedelta(days=1),
        T0 + timedelta(hours=60),
        T0 - timedelta(minutes=15),
    ]
    hours = [stats.hours_to_feedback(T0, s) for s in submitted]
    assert hours == [0.5, 4.0, 24.0, 60.0, 0.0]
    # Sorted: 0, 0.5, 4, 24, 60. Median (h = 2): 4. p90 (h = 3.6): 24 + 0.6 * 36 = 45.6.
    times = stats.feedback_times(hours)
    assert (times.n, times.median_hours) == (5, 4.0)
    assert times.p90_hours == pytest.approx(45.6)
    # Buckets: under 1 h (0, 0.5), 4-24 h (4: lower ends are included), 1-2 days (24),
    # 2-3 days (60).
    assert dict(stats.feedback_histogram(hours)) == {
        "under 1 h": 2,
        "1-4 h": 0,
        "4-24 h": 1,
        "1-2 days": 1,
        "2-3 days": 1,
        "3-7 days": 0,
        "over 7 days": 0,
    }


# --- Overdue -----------------------------------------------------------------------------------


def test_overdue_rate_counts_what_the_reminders_call_overdue():
    delay = timedelta(minutes=60)  # the requisition's first reminder after 60 minutes
    now = T0 + timedelta(days=3)
    seats = [
        stats.Seat(T0, delay, T0 + timedelta(minutes=59)),  # on time
        stats.Seat(T0, delay, T0 + timedelta(minutes=60)),  # at the deadline: on time
        stats.Seat(T0, delay, T0 + timedelta(minutes=61)),  # late
        stats.Seat(T0, delay, None),  # still owed, two days past: overdue
        stats.Seat(now - timedelta(minutes=30), delay, None),  # not due yet: not counted
    ]
    # 2 overdue of 4 counted.
    share = stats.overdue_rate(seats, now)
    assert (share.hits, share.n, share.rate) == (2, 4, 0.5)


def test_escalated_rate_uses_the_recruiters_later_deadline():
    first, escalate = timedelta(minutes=60), timedelta(hours=48)
    now = T0 + timedelta(days=5)
    seats = [
        stats.Seat(T0, first, T0 + timedelta(hours=47), escalate),  # overdue, not escalated
        stats.Seat(T0, first, T0 + timedelta(hours=49), escalate),  # escalated
        stats.Seat(T0, first, None, escalate),  # still owed after 5 days: escalated
        stats.Seat(now - timedelta(hours=30), first, None, escalate),  # overdue, not yet 48 h
        stats.Seat(T0, first, T0 + timedelta(hours=49)),  # no escalation delay: skipped
    ]
    # Overdue (first reminder): all five are past +60 min -> 5 of 5.
    assert stats.overdue_rate(seats, now) == stats.Share(5, 5)
    # Escalated: 2 of the 3 counted (the 30-hour-old owed seat is not due for it yet).
    assert stats.overdue_rate(seats, now, escalated=True) == stats.Share(2, 3)


def test_wilson_interval_of_a_share():
    # 2 of 4, z = 1.96 (z^2 = 3.8415): centre = (0.5 + 3.8415/8) / (1 + 3.8415/4) = 0.5;
    # half-width = 1.96 * sqrt(0.0625 + 3.8415/64) / 1.9604 = 1.96 * 0.35003 / 1.9604 = 0.34996.
    low, high = stats.Share(2, 4).interval
    assert low == pytest.approx(0.5 - 0.34996, abs=1e-4)
    assert high == pytest.approx(0.5 + 0.34996, abs=1e-4)
    assert stats.Share(0, 0).interval is None
    assert stats.Share(0, 0).rate is None


# --- Agreement -------------------------------------------------------------------------------


def test_panel_agreement_follows_the_rest_of_the_panels_majority():
    loops = [
        # yes against (yes, strong_yes): agrees. Means 3 against (3, 4) -> gap |3 - 3.5| = 0.5
        stats.PanelView("yes", 3.0, ["yes", "strong_yes"], [3.0, 4.0]),
        # no against (yes, yes, no): the majority leans hire: disagrees. Gap |2 - 3| = 1
        stats.PanelView("no", 2.0, ["yes", "yes", "no"], [3.0, 3.5, 2.5]),
        # strong_no against (yes, no): a tie is not counted (its gap is: |1 - 2.5| = 1.5)
        stats.PanelView("strong_no", 1.0, ["yes", "no"], [3.0, 2.0]),
        # an imported scorecard without a recommendation: not counted; alone: no gap
        stats.PanelView("", None, [], []),
    ]
    share = stats.panel_agreement(loops)
    assert (share.hits, share.n) == (1, 2)
    gap = stats.panel_gap(loops)
    # (0.5 + 1 + 1.5) / 3 = 1.0
    assert (gap.value, gap.n) == (pytest.approx(1.0), 3)


def test_decision_agreement_counts_leanings_only():
    pairs = [("yes", "hire"), ("strong_no", "no_hire"), ("no", "hire"), ("", "hire")]
    share = stats.decision_agreement(pairs)
    assert (share.hits, share.n) == (2, 3)


# --- ICC -------------------------------------------------------------------------------------


def test_icc_of_a_balanced_hand_case():
    # Three candidates, two ratings each: (1, 2), (2, 3), (3, 4).
    # Means 1.5, 2.5, 3.5; grand mean 2.5.
    # SSB = 2 * (1 + 0 + 1) = 4, MSB = 4 / (3 - 1) = 2.
    # SSW = 3 * (0.25 + 0.25) = 1.5, MSW = 1.5 / (6 - 3) = 0.5. n0 = 2.
    # ICC(1) = (2 - 0.5) / (2 + 1 * 0.5) = 0.6; ICC(1,k) = (2 - 0.5) / 2 = 0.75.
    # F = 4 on (2, 3); F.975(2, 3) = 16.0441, F.975(3, 2) = 39.1655.
    # FL = 4 / 16.0441 = 0.24931 -> (0.24931 - 1) / (0.24931 + 1) = -0.60088.
    # FU = 4 * 39.1655 = 156.662 -> 155.662 / 157.662 = 0.98731.
    result = icc_stats.icc_oneway({"c1": [1, 2], "c2": [2, 3], "c3": [3, 4]})
    assert result is not None
    assert (result.msb, result.msw, result.n0) == (2.0, 0.5, 2.0)
    assert result.icc == pytest.approx(0.6)
    assert result.icc_average == pytest.approx(0.75)
    assert result.low == pytest.approx(-0.60088, abs=1e-5)
    assert result.high == pytest.approx(0.98731, abs=1e-5)
    # pingouin's ICC1k interval for the same data: [-3.01, 0.99].
    assert result.average_low == pytest.approx(1 - 1 / 0.24931, abs=1e-3)
    assert (result.candidates, result.ratings) == (3, 6)


def test_icc_of_an_unbalanced_hand_case_uses_the_adjusted_group_size():
    # Panels of 3, 2 and 2 ratings: (1, 2, 3), (4, 4), (2, 3). N = 7, k = 3.
    # Means 2, 4, 2.5; grand mean 19/7. Deviations -5/7, 9/7, -1.5/7.
    # SSB = (3 * 25 + 2 * 81 + 2 * 2.25) / 49 = 241.5 / 49 = 4.92857; MSB = 2.46429.
    # SSW = (1 + 0 + 1) + 0 + (0.25 + 0.25) = 2.5; MSW = 2.5 / (7 - 3) = 0.625.
    # n0 = (7 - (9 + 4 + 4) / 7) / 2 = 16/7 = 2.28571.
    # ICC(1) = (2.46429 - 0.625) / (2.46429 + 1.28571 * 0.625) = 1.83929 / 3.26786 = 0.56284.
    # F = 3.94286 on (2, 4); F.975(2, 4) = 10.6491, F.975(4, 2) = 39.2484.
    # FL = 0.370255 -> (0.370255 - 1) / (0.370255 + 1.28571) = -0.38029.
    # FU = 154.751 -> 153.751 / 156.037 = 0.98535.
    result = icc_stats.icc_oneway([[1, 2, 3], [4, 4], [2, 3]])
    assert result is not None
    assert result.n0 == pytest.approx(16 / 7)
    assert result.msb == pytest.approx(241.5 / 49 / 2)
    assert result.msw == pytest.approx(0.625)
    assert result.icc == pytest.approx(0.56284, abs=1e-5)
    assert result.low == pytest.approx(-0.38029, abs=1e-5)
    assert result.high == pytest.approx(0.98535, abs=1e-5)


def test_icc_against_pingouin_on_a_larger_balanced_case():
    # Twelve candidates, three ratings each; pingouin 0.5: ICC1 = -0.185749, CI95 [-0.36, 0.19];
    # ICC1k = -0.886628, CI95 [-3.88, 0.41]. SciPy's F gives the ends as -0.360588, 0.185133.
    panels = [
        [2, 3, 4], [4, 1, 1], [4, 4, 1], [2, 4, 2], [2, 4, 2], [2, 3, 3],
        [1, 1, 4], [4, 4, 3], [4, 2, 2], [4, 1, 2], [1, 2, 4], [1, 2, 2],
    ]  # fmt: skip
    result = icc_stats.icc_oneway(panels)
    assert result is not None
    assert result.icc == pytest.approx(-0.185749, abs=1e-6)
    assert result.icc_average == pytest.approx(-0.886628, abs=1e-6)
    assert (result.low, result.high) == (
        pytest.approx(-0.360588, abs=1e-6),
        pytest.approx(0.185133, abs=1e-6),
    )
    assert (result.average_low, result.average_high) == (
        pytest.approx(-3.88, abs=5e-3),
        pytest.approx(0.41, abs=5e-3),
    )


def test_icc_leaves_out_candidates_rated_once_and_refuses_too_little():
    # A candidate with one rating says nothing about agreement: same result without it.
    with_single = icc_stats.icc_oneway([[1, 2], [2, 3], [3, 4], [4]])
    assert with_single is not None
    assert with_single.icc == pytest.approx(0.6)
    assert with_single.candidates == 3
    assert icc_stats.icc_oneway([[1, 2]]) is None  # one candidate
    assert icc_stats.icc_oneway([[3, 3], [3, 3]]) is None  # no spread at all
    perfect = icc_stats.icc_oneway([[1, 1], [4, 4]])
    assert perfect is not None
    assert perfect.icc == 1.0
    assert perfect.low is None


@pytest.mark.parametrize(
    ("p", "df1", "df2", "expected"),
    [
        (0.975, 2, 3, 16.044106429277186),
        (0.975, 3, 2, 39.16549456401362),
        (0.95, 7, 19, 2.5435343014297054),
        (0.5, 1, 1, 1.0),
        (0.999, 50, 300, 1.8455053622443793),
    ],
)
def test_f_quantiles_match_scipy(p, df1, df2, expected):
    assert icc_stats.f_quantile(p, df1, df2) == pytest.approx(expected, rel=1e-9)
