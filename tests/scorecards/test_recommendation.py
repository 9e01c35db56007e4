"""The recommendation rule (DESIGN §4): every branch, every reason code, thresholds honoured."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.calibration.model import LoopRating, LoopScores, score_loop
from scorecards.calibration.recommendation import (
    HIRE,
    INCOMPLETE,
    NO_HIRE,
    REASON_CODES,
    RECOMMENDATIONS,
    STRONG_HIRE,
    ScorecardInput,
    Thresholds,
    Verdict,
    recommend,
)

DIMS = {"strategy": "Product strategy", "metrics": "Metrics & analytics", "comms": "Communication"}
NAMES = {"ann": "Ann Lee", "bob": "Bob Roy", "cy": "Cy Park"}


def card(who: str, rec: str = "yes", flags: int = 0, **ratings: float) -> ScorecardInput:
    return ScorecardInput(who, NAMES.get(who, who), rec, flags, ratings)


def scores_for(
    cards: list[ScorecardInput],
    *,
    leniency: dict[str, float] | None = None,
    residual_variance: float = 0.01,
    weights: dict[str, float] | None = None,
) -> LoopScores:
    ratings = [LoopRating(c.interviewer, d, v) for c in cards for d, v in c.ratings.items()]
    return score_loop(
        ratings, leniency or {}, weights or dict.fromkeys(DIMS, 1.0), residual_variance
    )


def run(
    cards: list[ScorecardInput],
    *,
    must_have: tuple[str, ...] = ("strategy",),
    thresholds: Thresholds | None = None,
    complete: bool = True,
    expected: int | None = None,
    **score_kwargs,
) -> Verdict:
    verdict = recommend(
        complete=complete,
        scorecards_in=len(cards),
        scorecards_expected=len(cards) if expected is None else expected,
        scores=scores_for(cards, **score_kwargs),
        scorecards=cards,
        must_have=set(must_have),
        dimension_names=DIMS,
        thresholds=thresholds or Thresholds(),
    )
    assert verdict.recommendation in RECOMMENDATIONS
    assert verdict.needs_debrief == bool(verdict.debrief_reasons)
    for reason in [*verdict.reasons, *verdict.debrief_reasons]:
        assert reason.code in REASON_CODES
        assert reason.message
        assert reason.message[-1] == "."
    json.dumps(verdict.to_dict())  # storable as JSON
    return verdict


def solid(who: str, rec: str = "yes", flags: int = 0, level: float = 3.0) -> ScorecardInput:
    return card(who, rec, flags, strategy=level, metrics=level, comms=level)


# ---------------------------------------------------------------------------------------------
# The four recommendations
# ---------------------------------------------------------------------------------------------


def reason(verdict: Verdict, code: str):
    return next(r for r in [*verdict.reasons, *verdict.debrief_reasons] if r.code == code)


def test_hire_when_overall_meets_the_bar() -> None:
    verdict = run([solid("ann", level=3.25), solid("bob", level=3.25), solid("cy", level=3.25)])
    assert verdict.recommendation == HIRE
    assert verdict.codes == ["overall_meets_bar"]
    assert not verdict.needs_debrief
    assert verdict.level_suggestion is None
    assert "calibrated 3.25 (raw 3.25) >= 3.00" in verdict.reasons[0].message
    assert verdict.reasons[0].data["calibrated"] == 3.25


def test_exactly_at_the_bar_is_a_hire_to_discuss() -> None:
    verdict = run([solid("ann"), solid("bob")])
    assert verdict.recommendation == HIRE
    assert verdict.debrief_codes == ["bar_within_interval"]


def test_strong_hire_when_well_above_the_bar() -> None:
    verdict = run([solid("ann", "strong_yes", level=4), solid("bob", level=3.5)])
    assert verdict.recommendation == STRONG_HIRE
    assert verdict.codes == ["overall_well_above_bar"]
    assert verdict.provisional == STRONG_HIRE
    assert not verdict.partial


def test_strong_no_blocks_strong_hire() -> None:
    verdict = run([solid("ann", "strong_yes", level=4), solid("bob", "strong_no", level=4)])
    assert verdict.recommendation == HIRE
    assert "strong_no_present" in verdict.codes
    assert "Bob Roy" in verdict.reasons[-1].message
    assert "split_recommendations" in verdict.debrief_codes


def test_single_red_flag_blocks_strong_hire_and_calls_a_debrief() -> None:
    verdict = run([solid("ann", level=4), solid("bob", flags=1, level=4)])
    assert verdict.recommendation == HIRE
    assert "red_flag_single" in verdict.codes
    assert verdict.debrief_codes == ["red_flag_single"]
    assert "Bob Roy" in verdict.debrief_reasons[0].message


def test_single_red_flag_at_the_bar_is_hire_with_debrief() -> None:
    verdict = run([solid("ann"), solid("bob", flags=3)])
    assert verdict.recommendation == HIRE
    assert verdict.needs_debrief
    assert verdict.debrief_reasons[0].data["red_flags"] == [3]


def test_two_interviewers_with_red_flags_mean_no_hire() -> None:
    verdict = run([solid("ann", flags=1, level=4), solid("bob", flags=2, level=4), solid("cy")])
    assert verdict.recommendation == NO_HIRE
    assert verdict.codes[0] == "red_flags_multiple"
    assert "Ann Lee and Bob Roy" in verdict.reasons[0].message
    assert "red_flag_single" not in verdict.debrief_codes


def test_red_flags_counted_per_interviewer_not_per_scorecard() -> None:
    # Ann sat two interviews in the loop and flagged both: still one interviewer.
    verdict = run([solid("ann", flags=1), solid("ann", flags=1), solid("bob")])
    assert verdict.recommendation == HIRE
    assert "red_flag_single" in verdict.debrief_codes


def test_must_have_below_bar_means_no_hire_even_with_a_good_overall() -> None:
    cards = [card("ann", strategy=2, metrics=4, comms=4), card("bob", strategy=2.5, metrics=4)]
    verdict = run(cards)
    assert verdict.recommendation == NO_HIRE
    assert verdict.codes[0] == "must_have_below_bar"
    reason = verdict.reasons[0]
    assert "Product strategy" in reason.message
    assert "2.25" in reason.message
    assert reason.data["dimension"] == "strategy"
    # The same ratings with no must-have: the overall (3.25) is a hire.
    assert run(cards, must_have=()).recommendation == HIRE


def test_must_have_uses_the_calibrated_score() -> None:
    cards = [card("ann", strategy=3, metrics=3, comms=3), card("bob", strategy=3, metrics=3)]
    harsh = run(cards)  # no calibration: 3.0 meets the bar
    assert harsh.recommendation == HIRE
    lenient = run(cards, leniency={"ann": 0.6, "bob": 0.6})  # they rate everyone 0.6 high
    assert lenient.recommendation == NO_HIRE
    assert "must_have_below_bar" in lenient.codes
    assert "raw 3.00" in lenient.reasons[0].message


def test_must_have_not_assessed_blocks_strong_hire() -> None:
    cards = [card("ann", "strong_yes", metrics=4, comms=4), card("bob", metrics=4, comms=4)]
    verdict = run(cards)
    assert verdict.recommendation == HIRE
    assert "must_have_not_assessed" in verdict.debrief_codes
    assert "must_have_not_assessed" in verdict.codes
    assert "Product strategy" in verdict.debrief_reasons[0].message


def test_overall_clearly_below_bar() -> None:
    verdict = run([solid("ann", "no", level=2.5), solid("bob", "no", level=2.5)], must_have=())
    assert verdict.recommendation == NO_HIRE
    assert verdict.codes == ["overall_clearly_below_bar"]
    assert not verdict.needs_debrief


def test_overall_just_below_bar_is_no_hire_with_debrief() -> None:
    """Decided here: within no_hire_margin under the bar is no hire, and the panel should
    discuss it (the reason is listed in both places)."""
    verdict = run([solid("ann", "no", level=2.9), solid("bob", "no", level=2.8)], must_have=())
    assert verdict.recommendation == NO_HIRE
    assert verdict.codes == ["overall_below_bar"]
    assert verdict.debrief_codes == ["overall_below_bar"]
    assert "2.85" in verdict.reasons[0].message


def test_bar_within_interval_calls_a_debrief() -> None:
    cards = [solid("ann", level=3), solid("bob", level=3.5)]
    tight = run(cards, residual_variance=0.001)
    assert tight.recommendation == HIRE
    assert not tight.needs_debrief
    wide = run(cards, residual_variance=1.0)
    assert wide.recommendation == HIRE
    assert wide.debrief_codes == ["bar_within_interval"]
    data = wide.debrief_reasons[0].data
    assert data["low"] <= 3.0 <= data["high"]
    assert "90% interval" in wide.debrief_reasons[0].message


def test_split_recommendations() -> None:
    verdict = run([solid("ann", "yes"), solid("bob", "no"), solid("cy", "strong_yes")])
    split = reason(verdict, "split_recommendations")
    assert split.data["against"] == {"bob": "no"}
    assert split.data["for"] == {"ann": "yes", "cy": "strong_yes"}
    assert "Bob Roy (no)" in split.message
    agreed = run([solid("ann", "yes"), solid("bob", "strong_yes")])
    assert "split_recommendations" not in agreed.debrief_codes


def test_dimension_spread() -> None:
    cards = [card("ann", strategy=4, metrics=3, comms=3), card("bob", strategy=2, metrics=3)]
    verdict = run(cards, must_have=())
    spread = [r for r in verdict.debrief_reasons if r.code == "dimension_spread"]
    assert len(spread) == 1
    assert spread[0].data["dimension"] == "strategy"
    assert spread[0].message == (
        "Ratings of Product strategy are 2 points apart: Ann Lee rated 4, Bob Roy rated 2."
    )
    # One point apart is ordinary.
    cards = [card("ann", strategy=4, metrics=3), card("bob", strategy=3, metrics=3)]
    assert "dimension_spread" not in run(cards, residual_variance=0.001).debrief_codes


def test_incomplete_loop_still_reports_everything_labelled_partial() -> None:
    cards = [solid("ann", flags=1, level=4), solid("bob", "no", level=4)]
    verdict = run(cards, complete=False, expected=5)
    assert verdict.recommendation == INCOMPLETE
    assert verdict.partial
    assert verdict.reasons[0].code == "partial"
    assert verdict.reasons[0].message == "Partial: 2 of 5 scorecards submitted."
    assert verdict.provisional == HIRE
    assert "overall_well_above_bar" in verdict.codes
    assert {"red_flag_single", "split_recommendations"} <= set(verdict.debrief_codes)


def test_no_ratings() -> None:
    verdict = run([], complete=False, expected=3)
    assert verdict.recommendation == INCOMPLETE
    assert verdict.codes == ["partial", "no_ratings"]
    assert verdict.provisional is None
    assert not verdict.needs_debrief
    all_unrated = run([card("ann"), card("bob")])
    assert all_unrated.recommendation == INCOMPLETE
    assert "no_ratings" in all_unrated.debrief_codes
    flagged = run([card("ann", flags=1), card("bob", flags=1)])
    assert flagged.recommendation == NO_HIRE


# ---------------------------------------------------------------------------------------------
# Level below
# ---------------------------------------------------------------------------------------------

LADDER = Thresholds(bar=3.0, level_below_bar=2.5, level_below_name="Senior PM")


def test_level_below_suggested() -> None:
    verdict = run([solid("ann", "no", level=2.75), solid("bob", level=2.75)], thresholds=LADDER)
    assert verdict.recommendation == NO_HIRE
    assert verdict.level_suggestion == "Senior PM"
    assert verdict.codes[-1] == "level_below_suggested"
    assert "Senior PM (2.50)" in verdict.reasons[-1].message


def test_level_below_not_suggested_below_its_bar_or_with_red_flags() -> None:
    low = run([solid("ann", "no", level=2.25), solid("bob", "no", level=2.25)], thresholds=LADDER)
    assert low.level_suggestion is None
    must_low = [card("ann", "no", strategy=2, metrics=4), card("bob", strategy=2, comms=3)]
    assert run(must_low, thresholds=LADDER).level_suggestion is None
    flagged = [solid("ann", flags=1, level=2.75), solid("bob", flags=1, level=2.75)]
    verdict = run(flagged, thresholds=LADDER)
    assert verdict.recommendation == NO_HIRE
    assert verdict.level_suggestion is None
    # Hired at this level: nothing to suggest.
    assert run([solid("ann"), solid("bob")], thresholds=LADDER).level_suggestion is None
    # No level below configured.
    plain = run([solid("ann", "no", level=2.75), solid("bob", level=2.75)])
    assert plain.level_suggestion is None


def test_level_below_when_a_must_have_misses_this_bar_only() -> None:
    cards = [card("ann", strategy=2.75, metrics=3.5, comms=3.5), card("bob", strategy=2.75)]
    verdict = run(cards, thresholds=LADDER)
    assert verdict.recommendation == NO_HIRE
    assert verdict.level_suggestion == "Senior PM"


# ---------------------------------------------------------------------------------------------
# Thresholds come from the profile
# ---------------------------------------------------------------------------------------------


def test_changing_the_bar_flips_the_verdict() -> None:
    cards = [solid("ann", level=3.25), solid("bob", level=3.25)]
    assert run(cards, residual_variance=0.001).recommendation == HIRE
    raised = Thresholds(bar=3.5, no_hire_margin=0.1)
    assert run(cards, thresholds=raised, residual_variance=0.001).codes == [
        "must_have_below_bar",
        "overall_clearly_below_bar",
    ]
    lowered = Thresholds(bar=2.5)
    assert run(cards, thresholds=lowered).recommendation == STRONG_HIRE


def test_margins_and_counts_are_read_from_thresholds() -> None:
    cards = [solid("ann", level=3.25), solid("bob", level=3.25)]
    assert run(cards, thresholds=Thresholds(strong_hire_margin=0.25)).recommendation == STRONG_HIRE
    below = [solid("ann", "no", level=2.75), solid("bob", "no", level=2.75)]
    assert run(below, must_have=()).codes == ["overall_below_bar"]
    wide_margin = Thresholds(no_hire_margin=0.1)
    assert run(below, must_have=(), thresholds=wide_margin).codes == ["overall_clearly_below_bar"]
    flagged = [solid("ann", flags=1), solid("bob", flags=1)]
    assert run(flagged).recommendation == NO_HIRE
    assert run(flagged, thresholds=Thresholds(red_flag_no_hire_count=3)).recommendation == HIRE
    one = [solid("ann", flags=1), solid("bob")]
    strict = run(one, thresholds=Thresholds(red_flag_no_hire_count=1))
    assert strict.recommendation == NO_HIRE
    assert "1 interviewer raised red flags" in strict.reasons[0].message
    spread = [card("ann", strategy=4, metrics=3), card("bob", strategy=3, metrics=3)]
    assert (
        "dimension_spread"
        in run(spread, thresholds=Thresholds(disagreement_points=1)).debrief_codes
    )


def test_thresholds_from_a_profile_and_validation() -> None:
    lower = SimpleNamespace(name="Senior PM")
    profile = SimpleNamespace(
        bar=Decimal("3.25"),
        strong_hire_margin=Decimal("0.50"),
        no_hire_margin=Decimal("0.25"),
        red_flag_no_hire_count=2,
        disagreement_points=2,
        rating_scale=5,
        level_below_bar=Decimal("2.75"),
        level_below=lower,
    )
    t = Thresholds.from_profile(profile)
    assert t == Thresholds(3.25, 0.5, 0.25, 2, 2, 5, 2.75, "Senior PM")
    profile.level_below, profile.level_below_bar = None, None
    assert Thresholds.from_profile(profile).level_below_name is None
    for bad, message in (
        ({"bar": 0.5}, "bar"),
        ({"bar": 4.5}, "bar"),
        ({"no_hire_margin": -0.1}, "margins"),
        ({"red_flag_no_hire_count": 0}, "counts"),
        ({"scale_max": 1}, "scale_max"),
    ):
        with pytest.raises(ValueError, match=message):
            Thresholds(**bad)
    with pytest.raises(ValueError, match="overall recommendation"):
        ScorecardInput("ann", "Ann", "maybe")


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

RANK = {NO_HIRE: 0, HIRE: 1, STRONG_HIRE: 2}


@settings(max_examples=60, deadline=None)
@given(
    levels=st.lists(st.floats(1.0, 4.0), min_size=2, max_size=5),
    lift=st.floats(0.0, 1.5),
    recs=st.lists(st.sampled_from(["strong_no", "no", "yes", "strong_yes"]), min_size=5),
    flags=st.lists(st.integers(0, 2), min_size=5, max_size=5),
)
def test_higher_scores_never_give_a_worse_verdict(
    levels: list[float], lift: float, recs: list[str], flags: list[int]
) -> None:
    def cards(delta: float) -> list[ScorecardInput]:
        return [
            solid(f"i{k}", recs[k], flags[k], level=min(level + delta, 5.0))
            for k, level in enumerate(levels)
        ]

    low = run(cards(0.0))
    high = run(cards(lift))
    assert RANK[high.recommendation] >= RANK[low.recommendation]


@settings(max_examples=40, deadline=None)
@given(levels=st.lists(st.floats(1.0, 4.0), min_size=1, max_size=5), complete=st.booleans())
def test_incomplete_exactly_when_scorecards_are_missing(
    levels: list[float], complete: bool
) -> None:
    verdict = run([solid(f"i{k}", level=x) for k, x in enumerate(levels)], complete=complete)
    assert (verdict.recommendation == INCOMPLETE) == (not complete)
    assert verdict.partial == (not complete)
    assert verdict.provisional in (NO_HIRE, HIRE, STRONG_HIRE)


def test_every_reason_code_is_exercised() -> None:
    """Self-contained (does not rely on test order): a scenario for each code."""
    scenarios = [
        run([solid("ann")], complete=False, expected=2),  # partial
        run([card("ann"), card("bob")]),  # no_ratings
        run([card("ann", strategy=2, metrics=4, comms=4)]),  # must_have_below_bar
        run([card("ann", "strong_yes", metrics=4, comms=4)]),  # must_have_not_assessed
        run([solid("ann", flags=1), solid("bob", flags=1)]),  # red_flags_multiple
        run([solid("ann", flags=1), solid("bob")]),  # red_flag_single
        run([solid("ann", "no", level=2)], must_have=()),  # overall_clearly_below_bar
        run([solid("ann", level=2.9)], must_have=()),  # overall_below_bar
        run([solid("ann")]),  # overall_meets_bar
        run([solid("ann", "strong_no", level=4)]),  # overall_well_above_bar, strong_no_present
        run([solid("ann", "no"), solid("bob", "yes")]),  # split_recommendations
        run([card("ann", strategy=4), card("bob", strategy=2)]),  # dimension_spread
        run([solid("ann"), solid("bob", level=3.5)], residual_variance=1.0),  # bar_within_interval
        run([solid("ann", level=2.75)], thresholds=LADDER),  # level_below_suggested
    ]
    codes = {r.code for v in scenarios for r in [*v.reasons, *v.debrief_reasons]}
    assert codes == set(REASON_CODES)
    assert len(REASON_CODES) == len(set(REASON_CODES))


def test_a_must_have_nudged_just_under_the_bar_says_how_close_it_is() -> None:
    # A single "meets bar" 3.00 from a slightly lenient interviewer: calibrated 2.96, whose
    # interval still reaches the bar. Still a no hire (below is below), but in words that say
    # it is within its uncertainty; a clear miss says plainly "below the bar".
    close = run([card("ann", strategy=3, metrics=3, comms=3)], leniency={"ann": 0.04},
                residual_variance=0.25)  # fmt: skip
    why = reason(close, "must_have_below_bar")
    assert close.recommendation == NO_HIRE
    assert "just below the bar, within its uncertainty" in why.message
    assert "calibrated 2.96 < 3.00" in why.message
    assert why.data["within_uncertainty"] is True
    far = run([card("ann", strategy=1, metrics=4, comms=4)], residual_variance=0.01)
    assert "is below the bar:" in reason(far, "must_have_below_bar").message
    assert reason(far, "must_have_below_bar").data["within_uncertainty"] is False


def test_a_must_have_reason_keeps_its_interval_on_the_scale() -> None:
    wide = run([card("ann", strategy=1, metrics=1, comms=1)], residual_variance=4.0)
    message = reason(wide, "must_have_below_bar").message
    low, high = re.search(r"interval (\d\.\d\d) to (\d\.\d\d)", message).groups()  # type: ignore[union-attr]
    assert 1.0 <= float(low) <= float(high) <= 4.0
