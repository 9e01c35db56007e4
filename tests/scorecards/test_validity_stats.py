"""Predictive validity's pure maths (issue 18): correlations, the bootstrap interval, the
minimum-n rule, one outcome per hire, the noisy-interviewer flag and suggested weights, each
against a case worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.analytics.stats.validity import (
    NO_SPREAD,
    PEARSON,
    PREDICTS,
    PREDICTS_AGAINST,
    SPEARMAN,
    TOO_FEW,
    UNCLEAR,
    Checkpoint,
    Correlation,
    Hire,
    analyse,
    compare_to_panel,
    outcome_score,
    pearson,
    spearman,
    suggest_weights,
    validity,
)


def test_spearman_of_a_hand_ranked_case() -> None:
    # Ranks differ by d = (0, 1, 1, 0): rho = 1 - 6·2 / (4·15) = 0.8.
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)


def test_spearman_gives_ties_their_average_rank() -> None:
    # x ranks (1.5, 1.5, 3), y ranks (1, 2, 3): sxy = 1.5, sxx = 1.5, syy = 2 -> 1.5/sqrt(3).
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(1.5 / math.sqrt(3))


def test_pearson_of_a_hand_computed_case() -> None:
    # dx = (-1, 0, 1), dy = (-4/3, -1/3, 5/3): sxy = 3, sxx = 2, syy = 42/9.
    assert pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(3 / math.sqrt(2 * 42 / 9))


def test_rank_correlation_ignores_how_the_scale_is_spaced_pearson_does_not() -> None:
    x, y = [1, 2, 3, 4, 5], [1, 2, 3, 4, 100]
    assert spearman(x, y) == pytest.approx(1.0)
    assert pearson(x, y) == pytest.approx(0.73, abs=0.01)


def test_no_spread_has_no_correlation() -> None:
    assert spearman([3, 3, 3], [1, 2, 3]) is None
    assert pearson([1, 2, 3], [2, 2, 2]) is None


def test_unequal_or_non_finite_input_is_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        spearman([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        pearson([1, float("nan")], [1, 2])


def test_below_the_minimum_n_the_figure_is_withheld_with_a_sentence() -> None:
    figure = validity([1, 2, 3, 4], [1, 2, 3, 4], min_n=5)
    assert not figure.shown
    assert (figure.r, figure.low, figure.high, figure.pearson) == (None, None, None, None)
    assert figure.n == 4
    assert figure.withheld == TOO_FEW
    assert "Only 4 hires" in figure.message
    assert "from 5 hires on" in figure.message
    assert validity([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], min_n=5).shown
    assert validity([], [], min_n=5).message.startswith("No hire has both a score and an outcome")


def test_every_hire_alike_is_withheld_too() -> None:
    figure = validity([2.0] * 6, [1, 2, 3, 4, 5, 6], min_n=5)
    assert figure.withheld == NO_SPREAD
    assert not figure.shown


def test_a_perfectly_monotone_sample_has_a_degenerate_interval_at_one() -> None:
    figure = validity([1, 2, 3, 4, 5, 6], [2, 4, 5, 7, 9, 10], min_n=5, resamples=200)
    assert (figure.r, figure.low, figure.high) == (
        pytest.approx(1.0),
        pytest.approx(1.0),
        pytest.approx(1.0),
    )
    # Resamples drawing one hire six times have no spread: dropped, not counted as r = 1.
    assert 0 < figure.resamples <= 200


def test_the_interval_is_reproducible_for_a_seed_and_moves_with_another() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    first = validity(x, y, resamples=500, seed=1)
    assert validity(x, y, resamples=500, seed=1) == first
    other = validity(x, y, resamples=500, seed=2)
    assert (other.low, other.high) != (first.low, first.high)
    assert other.r == first.r  # the point estimate is not resampled
    assert first.low is not None
    assert first.high is not None
    assert first.r is not None
    assert first.low < first.r < first.high
    assert first.method == SPEARMAN
    assert first.pearson == pytest.approx(pearson(x, y))


def test_the_interval_matches_resampling_one_by_one() -> None:
    """The vectorised bootstrap (ranks from draw counts) is the plain one: redo it by hand."""
    rng = np.random.default_rng(7)
    x = rng.integers(1, 5, size=25).astype(float)  # ties on both sides
    y = (x + rng.integers(0, 3, size=25)).astype(float)
    figure = validity(x, y, resamples=300, seed=11, min_n=5)
    draws = np.random.default_rng(11).integers(0, 25, size=(300, 25))
    by_hand = [spearman(x[d], y[d]) for d in draws]
    kept = np.array([r for r in by_hand if r is not None])
    assert figure.resamples == len(kept)
    assert figure.low == pytest.approx(float(np.quantile(kept, 0.025)))
    assert figure.high == pytest.approx(float(np.quantile(kept, 0.975)))


def test_pearson_can_be_the_method() -> None:
    x = [1, 2, 3, 4, 5, 6]
    y = [1, 2, 3, 4, 5, 60]
    figure = validity(x, y, method=PEARSON, min_n=5, resamples=100)
    assert figure.r == pytest.approx(pearson(x, y))
    with pytest.raises(ValueError, match="method"):
        validity(x, y, method="kendall", min_n=5)


@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=5, max_size=30),
)
@settings(max_examples=40, deadline=None)
def test_any_shown_figure_is_a_correlation_inside_its_bounds(pairs: list[tuple[int, int]]) -> None:
    x, y = zip(*pairs, strict=True)
    figure = validity(x, y, min_n=5, resamples=50)
    if figure.shown:
        assert figure.r is not None
        assert -1 - 1e-9 <= figure.r <= 1 + 1e-9
        if figure.low is not None and figure.high is not None:
            assert -1 - 1e-9 <= figure.low <= figure.high <= 1 + 1e-9
    else:
        assert figure.message


def test_outcome_is_the_latest_rating_on_its_scale() -> None:
    six = Checkpoint(months=6, performance=2, scale_max=5, still_employed=True, regretted=None)
    twelve = Checkpoint(months=12, performance=5, scale_max=5, still_employed=True, regretted=None)
    assert outcome_score([six]) == pytest.approx(0.25)  # (2 - 1) / (5 - 1)
    assert outcome_score([six, twelve]) == pytest.approx(1.0)
    assert outcome_score([twelve, six]) == pytest.approx(1.0)
    on_three = Checkpoint(months=6, performance=2, scale_max=3, still_employed=True, regretted=None)
    assert outcome_score([on_three]) == pytest.approx(0.5)


def test_leaving_unregretted_counts_as_the_bottom_regretted_says_nothing() -> None:
    six = Checkpoint(months=6, performance=4, scale_max=5, still_employed=True, regretted=None)
    gone = Checkpoint(
        months=12, performance=None, scale_max=5, still_employed=False, regretted=False
    )
    missed = Checkpoint(
        months=12, performance=None, scale_max=5, still_employed=False, regretted=True
    )
    assert outcome_score([six, gone]) == 0.0
    assert outcome_score([gone]) == 0.0
    assert outcome_score([six, missed]) == pytest.approx(0.75)  # falls back to the 6 months
    assert outcome_score([missed]) is None
    assert outcome_score([]) is None


def _figure(r: float, low: float, high: float) -> Correlation:
    return Correlation(n=30, r=r, low=low, high=high, pearson=r)


def test_weights_shift_toward_what_predicts_and_keep_the_total() -> None:
    current = {"a": 2.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0}
    validities = {
        "a": _figure(0.4, 0.1, 0.6),
        "b": _figure(0.2, 0.05, 0.3),
        "c": _figure(0.3, -0.1, 0.6),  # straddles zero: keeps its weight
        "d": _figure(-0.3, -0.5, -0.1),  # clearly against: 0, its weight to a and b
        "e": Correlation(n=3, withheld=TOO_FEW, message="few"),
    }
    advice = suggest_weights(current, validities)
    assert advice is not None
    by_dimension = {a.dimension: a for a in advice}
    # The pool a + b + d = 4 goes to a and b in proportion 0.4 : 0.2.
    assert by_dimension["a"].suggested == pytest.approx(4 * 0.4 / 0.6)
    assert by_dimension["b"].suggested == pytest.approx(4 * 0.2 / 0.6)
    assert by_dimension["c"].suggested == 1.0
    assert by_dimension["c"].reason == UNCLEAR
    assert by_dimension["d"].suggested == 0.0
    assert by_dimension["d"].reason == PREDICTS_AGAINST
    assert by_dimension["e"].suggested == 1.0
    assert by_dimension["e"].reason == UNCLEAR
    assert by_dimension["a"].reason == PREDICTS
    assert by_dimension["a"].current == 2.0
    assert sum(a.suggested for a in advice) == pytest.approx(sum(current.values()))
    assert [a.dimension for a in advice] == list(current)


def test_no_suggestion_without_a_clearly_predictive_dimension() -> None:
    current = {"a": 1.0, "b": 1.0}
    assert suggest_weights(current, {"a": _figure(0.3, -0.1, 0.6)}) is None
    assert suggest_weights(current, {"b": _figure(-0.3, -0.5, -0.1)}) is None


def test_an_interviewer_who_predicts_clearly_worse_than_the_panel_is_flagged() -> None:
    rng = np.random.default_rng(3)
    ability = rng.normal(size=60)
    outcome = ability + 0.3 * rng.normal(size=60)
    panel = ability + 0.2 * rng.normal(size=60)
    noisy = rng.normal(size=60)  # knows nothing
    sharp = ability + 0.2 * rng.normal(size=60)
    flagged = compare_to_panel(noisy, panel, outcome, resamples=400)
    assert flagged.noisy
    assert flagged.difference is not None
    assert flagged.difference < 0
    assert flagged.high is not None
    assert flagged.high < 0
    fine = compare_to_panel(sharp, panel, outcome, resamples=400)
    assert not fine.noisy
    few = compare_to_panel(noisy[:10], panel[:10], outcome[:10])
    assert not few.noisy
    assert few.own.withheld == TOO_FEW
    assert few.difference is None


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="min_n"):
        validity([1, 2, 3], [1, 2, 3], min_n=2)
    with pytest.raises(ValueError, match="resamples"):
        validity([1, 2, 3], [1, 2, 3], min_n=3, resamples=0)
    with pytest.raises(ValueError, match="level"):
        validity([1, 2, 3], [1, 2, 3], min_n=3, level=1.0)


def test_a_whole_analysis_from_plain_hires() -> None:
    rng = np.random.default_rng(5)
    hires = []
    for k in range(40):
        ability = float(rng.normal())
        outcome = ability + 0.3 * float(rng.normal())
        hires.append(
            Hire(
                outcome=outcome,
                overall=ability + 0.3 * float(rng.normal()),
                dimensions={"sharp": ability, "coin": float(rng.normal())},
                # "few" sits on 10 hires only: under the minimum, counted, not listed.
                interviewers={"ann": ability, "bob": float(rng.normal())}
                | ({"few": 1.0} if k < 10 else {}),
            )
        )
    result = analyse(hires, weights={"sharp": 1.0, "coin": 1.0}, resamples=300)
    assert result.n_hires == 40
    assert result.dimensions["sharp"].clearly_positive
    assert not result.dimensions["coin"].clearly_positive
    assert list(result.interviewers) == ["ann", "bob"]
    assert result.interviewers_below_min_n == 1
    assert result.noisy == ["bob"]
    assert result.weights is not None
    assert result.weights[0].reason == PREDICTS
    hidden = analyse(hires, weights={"sharp": 1.0}, interviewers=False, resamples=50)
    assert hidden.interviewers == {}
    assert hidden.interviewers_below_min_n == 0
