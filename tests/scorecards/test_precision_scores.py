"""Precision-aware scores (issue 18, item 6): a dimension few rated leans on the rest of the
loop in proportion to its uncertainty, the overall keeps the profile's weights, intervals
follow, the rule and the page say so, and stored summaries of the old model are stale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.calibration import summaries
from scorecards.calibration.model import (
    DEFAULT_DIMENSION_VARIANCE,
    INTERVAL_Z,
    MODEL_VERSION,
    LoopRating,
    fit_leniency,
    score_loop,
)
from scorecards.calibration.recommendation import (
    MUST_HAVE_BELOW_BAR,
    ScorecardInput,
    Thresholds,
    recommend,
)
from scorecards.models import LoopSummary
from tests.scorecards.test_summaries import submit

FAST = settings(max_examples=60, deadline=None)


def val(x: float | None) -> float:
    """A score that must be there."""
    assert x is not None
    return x


def four_and_one() -> list[LoopRating]:
    """Dimension a rated by four interviewers (mean 3.5), b by one (1)."""
    return [LoopRating(f"i{k}", "a", v) for k, v in enumerate([3, 3, 4, 4])] + [
        LoopRating("j", "b", 1.0)
    ]


def test_a_dimension_rated_once_moves_toward_the_level_more_than_one_rated_four_times() -> None:
    # sigma_w² = 0.5, tau_d² = 0.25, no shared variance: v_a = 0.5/4, v_b = 0.5.
    scores = score_loop(four_and_one(), {}, {"a": 1, "b": 1}, 0.5, dimension_variance=0.25)
    a, b = scores.dimensions["a"], scores.dimensions["b"]
    v_a, v_b, tau2 = 0.125, 0.5, 0.25
    level = (3.5 / (v_a + tau2) + 1.0 / (v_b + tau2)) / (1 / (v_a + tau2) + 1 / (v_b + tau2))
    assert level == pytest.approx(8 / 3)
    assert scores.overall.level == pytest.approx(level)
    # (precision_data · mean + precision_prior · level) / (sum of precisions)
    assert a.shrunk == pytest.approx((3.5 / v_a + level / tau2) / (1 / v_a + 1 / tau2))
    assert b.shrunk == pytest.approx((1.0 / v_b + level / tau2) / (1 / v_b + 1 / tau2))
    assert (a.shrunk, b.shrunk) == pytest.approx((29 / 9, 19 / 9))
    # The share of the way toward the level: a third for a, two thirds for b.
    assert (a.pull, b.pull) == pytest.approx((1 / 3, 2 / 3))
    assert (val(a.shrunk) - a.calibrated) / (level - a.calibrated) == pytest.approx(a.pull)
    assert (val(b.shrunk) - b.calibrated) / (level - b.calibrated) == pytest.approx(b.pull)
    assert a.prior_mean == b.prior_mean == pytest.approx(level)
    # The plain means are kept beside them.
    assert (a.calibrated, b.calibrated) == (3.5, 1.0)
    # Posterior variances: 1/(1/v + 1/tau²) plus the level's, (1 - kappa)² · var(level).
    var_level = 1 / (1 / (v_a + tau2) + 1 / (v_b + tau2))
    assert scores.overall.level_se == pytest.approx(math.sqrt(var_level))
    post_a = 1 / (1 / v_a + 1 / tau2) + (v_a / (v_a + tau2)) ** 2 * var_level
    post_b = 1 / (1 / v_b + 1 / tau2) + (v_b / (v_b + tau2)) ** 2 * var_level
    assert a.shrunk_se == pytest.approx(math.sqrt(post_a))
    assert b.shrunk_se == pytest.approx(math.sqrt(post_b))
    assert a.shrunk_low == pytest.approx(val(a.shrunk) - INTERVAL_Z * val(a.shrunk_se))
    # The overall: the weighted posterior mean, its variance through the shared level.
    overall = scores.overall
    cov_ab = (v_a / (v_a + tau2)) * (v_b / (v_b + tau2)) * var_level
    assert overall.calibrated == pytest.approx(0.5 * (val(a.shrunk) + val(b.shrunk)))
    assert overall.se == pytest.approx(math.sqrt(0.25 * (post_a + post_b + 2 * cov_ab)))
    assert overall.weighted_mean == pytest.approx(2.25)  # the old overall, kept beside
    assert overall.high == pytest.approx(val(overall.calibrated) + INTERVAL_Z * val(overall.se))


def test_with_equal_counts_and_weights_it_is_the_weighted_mean_of_means() -> None:
    ratings = [
        LoopRating("ann", "a", 4),
        LoopRating("bob", "a", 3),
        LoopRating("cy", "b", 2),
        LoopRating("dee", "b", 2),
        LoopRating("eve", "c", 1),
        LoopRating("fay", "c", 4),
    ]
    weights = {"a": 1.0, "b": 1.0, "c": 1.0}
    shrunk = score_loop(ratings, {}, weights, 0.5, dimension_variance=0.25).overall
    plain = score_loop(ratings, {}, weights, 0.5).overall
    assert shrunk.calibrated == pytest.approx(plain.calibrated)
    # Unequal weights, equal counts: kappa · weighted mean + (1 - kappa) · the level, with
    # kappa = tau² / (tau² + v); a spread that dwarfs v gives back the weighted mean.
    uneven = {"a": 3.0, "b": 1.0, "c": 1.0}
    kappa = 0.25 / (0.25 + 0.25)
    weighted = (3 * 3.5 + 2 + 2.5) / 5
    level = (3.5 + 2 + 2.5) / 3
    got = score_loop(ratings, {}, uneven, 0.5, dimension_variance=0.25).overall
    assert got.calibrated == pytest.approx(kappa * weighted + (1 - kappa) * level)
    wide = score_loop(ratings, {}, uneven, 0.5, dimension_variance=1e6).overall
    assert wide.calibrated == pytest.approx(weighted, abs=1e-5)


@FAST
@given(
    first=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    tau2=st.floats(0.01, 2.0),
    sigma2=st.floats(0.05, 2.0),
    pair=st.floats(0.0, 0.5),
)
def test_intervals_narrow_with_more_ratings(
    first: list[int], tau2: float, sigma2: float, pair: float
) -> None:
    others = [LoopRating("x", "b", 3), LoopRating("y", "c", 2)]
    fewer = [LoopRating(f"i{k}", "a", v) for k, v in enumerate(first)]
    more = [*fewer, *(LoopRating(f"j{k}", "a", v) for k, v in enumerate(first))]
    kwargs = {"dimension_variance": tau2, "pair_variance": pair}
    weights = {"a": 2.0, "b": 1.0, "c": 1.0}
    one = score_loop([*fewer, *others], {}, weights, sigma2, **kwargs)
    two = score_loop([*more, *others], {}, weights, sigma2, **kwargs)
    a1, a2 = one.dimensions["a"], two.dimensions["a"]
    assert a1.shrunk_se is not None
    assert a2.shrunk_se is not None
    assert a2.shrunk_se < a1.shrunk_se
    assert a2.pull < a1.pull
    assert one.overall.se is not None
    assert two.overall.se is not None
    assert two.overall.se < one.overall.se
    # The shrunk score lies between the mean of its ratings and where it is pulled to.
    assert a1.prior_mean is not None
    assert a1.shrunk is not None
    low, high = sorted((a1.calibrated, a1.prior_mean))
    assert low - 1e-9 <= a1.shrunk <= high + 1e-9


def test_unrated_dimensions_keep_their_weight_at_the_candidates_level() -> None:
    ratings = [LoopRating("ann", "a", 4), LoopRating("bob", "b", 2)]
    means = {"a": 2.5, "b": 2.5, "c": 3.0}  # c is usually rated half a point higher
    scores = score_loop(
        ratings,
        {},
        {"a": 1, "b": 1, "c": 2},
        0.4,
        dimension_variance=0.2,
        dimension_means=means,
    )
    overall = scores.overall
    assert overall.unrated == ["c"]
    assert overall.weights == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.5})
    assert overall.n_dimensions == 2
    # Offsets centred: a and b sit 1/6 below the average dimension, c 1/3 above.
    assert overall.level == pytest.approx(3.0 + 1 / 6)
    a, b = scores.dimensions["a"], scores.dimensions["b"]
    assert a.prior_mean == pytest.approx(3.0)
    assert a.shrunk is not None
    assert b.shrunk is not None
    c_estimate = (val(overall.calibrated) - 0.25 * (val(a.shrunk) + val(b.shrunk))) / 0.5
    assert c_estimate == pytest.approx(3.5)
    rated_only = score_loop(ratings, {}, {"a": 1, "b": 1}, 0.4, dimension_variance=0.2)
    assert overall.se is not None
    assert rated_only.overall.se is not None
    assert overall.se > rated_only.overall.se  # c was never seen


def test_leniency_is_corrected_before_shrinking_and_raw_uses_the_same_estimator() -> None:
    ratings = [LoopRating("ann", "a", 4), LoopRating("bob", "a", 2), LoopRating("ann", "b", 4)]
    scores = score_loop(ratings, {"ann": 1.0}, {"a": 1, "b": 1}, 0.4, dimension_variance=0.3)
    uncorrected = score_loop(ratings, {}, {"a": 1, "b": 1}, 0.4, dimension_variance=0.3)
    shifted = [LoopRating("ann", "a", 3), LoopRating("bob", "a", 2), LoopRating("ann", "b", 3)]
    by_hand = score_loop(shifted, {}, {"a": 1, "b": 1}, 0.4, dimension_variance=0.3)
    assert scores.overall.calibrated == pytest.approx(by_hand.overall.calibrated)
    assert scores.overall.raw == pytest.approx(uncorrected.overall.calibrated)
    assert scores.overall.calibrated is not None
    assert scores.overall.raw is not None
    assert scores.overall.calibrated < scores.overall.raw  # ann rates leniently


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dimension_variance": 0.0}, "dimension variance"),
        ({"dimension_variance": float("inf")}, "dimension variance"),
        ({"dimension_variance": 0.2, "rating_variance": -1.0}, "rating variance"),
    ],
)
def test_bad_variances_are_refused(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        score_loop([LoopRating("a", "d", 3)], {}, {"d": 1}, 0.3, **kwargs)


def simulated(spread_sd: float, seed: int = 5) -> tuple[np.ndarray, ...]:
    """Candidates rated on 5 dimensions by 3 of 12 interviewers, each rating every
    dimension; each candidate differs by dimension with sd ``spread_sd``."""
    rng = np.random.default_rng(seed)
    n_cand, n_int, n_dim = 300, 12, 5
    ability = rng.normal(0, 0.7, n_cand)
    own = rng.normal(0, spread_sd, (n_cand, n_dim))
    lenient = rng.normal(0, 0.3, n_int)
    cand, inter, dim = [], [], []
    for c in range(n_cand):
        for i in rng.choice(n_int, 3, replace=False):
            cand += [c] * n_dim
            inter += [int(i)] * n_dim
            dim += list(range(n_dim))
    c_a, i_a, d_a = np.array(cand), np.array(inter), np.array(dim)
    x = 2.5 + ability[c_a] + own[c_a, d_a] + lenient[i_a] + rng.normal(0, 0.5, c_a.shape[0])
    return c_a, i_a, d_a, x, np.array([n_cand, n_int, n_dim])


@pytest.mark.parametrize("spread_sd", [0.0, 0.5])
def test_the_fit_estimates_how_far_a_candidates_dimensions_spread(spread_sd: float) -> None:
    c, i, d, x, shape = simulated(spread_sd)
    fit = fit_leniency(c, i, d, x, *map(int, shape))
    assert fit.dimension_variance == pytest.approx(spread_sd**2, abs=0.05)
    assert fit.rating_variance == pytest.approx(0.25, abs=0.06)
    assert fit.summary()["dimension_variance"] == fit.dimension_variance


def test_too_little_history_uses_the_default_spread() -> None:
    fit = fit_leniency([0, 0, 1], [0, 1, 0], [0, 1, 0], [3.0, 2.0, 4.0], 2, 2, 2)
    assert fit.dimension_variance == DEFAULT_DIMENSION_VARIANCE
    assert fit.rating_variance == fit.residual_variance


def test_a_must_have_rated_once_is_judged_shrunk_and_the_reason_says_so() -> None:
    cards = [
        ScorecardInput("ann", "Ann Lee", "yes", 0, {"strategy": 1.0, "metrics": 4.0}),
        ScorecardInput("bob", "Bob Roy", "yes", 0, {"metrics": 4.0, "comms": 4.0}),
        ScorecardInput("cy", "Cy Park", "yes", 0, {"metrics": 4.0, "comms": 4.0}),
    ]
    ratings = [LoopRating(c.interviewer, d, v) for c in cards for d, v in c.ratings.items()]
    weights = {"strategy": 1.0, "metrics": 1.0, "comms": 1.0}
    names = {"strategy": "Product strategy", "metrics": "Metrics", "comms": "Communication"}

    def verdict(tau2: float | None):
        scores = score_loop(ratings, {}, weights, 0.5, dimension_variance=tau2)
        return recommend(
            complete=True,
            scorecards_in=3,
            scorecards_expected=3,
            scores=scores,
            scorecards=cards,
            must_have={"strategy"},
            dimension_names=names,
            thresholds=Thresholds(bar=3.0),
        )

    # Strongly pulled (one rating of 1 among 4s) but still under the bar: the reason gives
    # the shrunk score it judged, the plain mean, and why they differ.
    pulled = verdict(0.25)
    [reason] = [r for r in pulled.reasons if r.code == MUST_HAVE_BELOW_BAR]
    assert 2.0 < reason.data["calibrated"] < 3.0
    assert reason.data["mean_calibrated"] == 1.0
    assert reason.data["pull"] > 0.5
    assert "Few rated it (1 rating)" in reason.message
    assert "pulled" in reason.message
    # Enough spread between dimensions that one rating stands nearly on its own: no such words.
    alone = verdict(50.0)
    [reason] = [r for r in alone.reasons if r.code == MUST_HAVE_BELOW_BAR]
    assert "Few rated it" not in reason.message
    # A spread so small that the must-have is judged by the rest of the loop: it clears.
    pooled = verdict(0.01)
    assert MUST_HAVE_BELOW_BAR not in [r.code for r in pooled.reasons]


# --- Stored summaries ------------------------------------------------------------------------


@pytest.mark.django_db
def test_summaries_store_the_shrunk_scores_and_old_ones_are_stale(
    client, world, hiring_manager, interviewer, other_interviewer
) -> None:
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=2)
    summary = summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert summary.model_version == MODEL_VERSION == "ridge-als-2"
    dims = summary.data["scores"]["dimensions"]
    strategy = dims["product-strategy"]
    # Each dimension was rated once, before any refit: the default spread pulls each two
    # thirds of the way (v = 0.5, tau² = 0.25) toward the candidate's level, 3.
    assert strategy["calibrated"] == 4.0
    assert strategy["pull"] == pytest.approx(2 / 3)
    assert strategy["shrunk"] == pytest.approx(4 - 2 / 3 * (4 - 3), abs=0.01)
    assert strategy["shrunk_low"] < strategy["shrunk"] < strategy["shrunk_high"]
    overall = summary.data["scores"]["overall"]
    assert summary.calibrated_score == pytest.approx(overall["calibrated"])
    assert overall["dimension_variance"] == DEFAULT_DIMENSION_VARIANCE

    # The page shows the shrunk score and says why it differs from the ratings' mean.
    client.force_login(hiring_manager)
    page = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<td>3.33 (2.51\u20134.00) <span" in text
    assert "Only 1 rating: the mean of 4.00 is pulled 67 % of the way toward" in text

    # The comparison shows the same shrunk score for the dimension.
    compare = client.get(reverse("scorecards:manager_compare", args=[world.requisition.pk]))
    assert compare.status_code == 200
    assert "3.33" in compare.content.decode()

    # A summary stored by the old model is stale, and recomputing brings the new one.
    LoopSummary.objects.filter(pk=summary.pk).update(model_version="ridge-als-1")
    assert summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert not summaries.loop_summary_is_stale(loop_id=world.loop.pk)
