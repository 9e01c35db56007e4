"""Interviewer calibration (DESIGN §4): the joint ridge fit and loop scoring. Pure numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.calibration.model import (
    CANDIDATE_RIDGE,
    DEFAULT_SHRINKAGE,
    INTERVAL_LEVEL,
    INTERVAL_Z,
    MAX_SHRINKAGE,
    MIN_SHRINKAGE,
    MODEL_VERSION,
    HistoryRating,
    LoopRating,
    fit_history,
    fit_leniency,
    has_enough_data,
    interviewer_corrections,
    score_loop,
)

FAST = settings(max_examples=25, deadline=None)


def simulate(
    seed: int,
    *,
    n_candidates: int = 300,
    n_interviewers: int = 20,
    n_dimensions: int = 4,
    per_loop: int = 4,
    leniency_sd: float = 0.5,
    noise_sd: float = 0.5,
    halo_sd: float = 0.0,
) -> dict[str, np.ndarray]:
    """Loops of ``per_loop`` distinct random interviewers, each rating every dimension."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, 0.7, n_candidates)
    leniency = rng.normal(0.0, leniency_sd, n_interviewers)
    mu = rng.normal(2.7, 0.2, n_dimensions)
    panels = np.stack(
        [rng.choice(n_interviewers, per_loop, replace=False) for _ in range(n_candidates)]
    )
    cand = np.repeat(np.arange(n_candidates), per_loop * n_dimensions)
    inter = np.repeat(panels.reshape(-1), n_dimensions)
    dim = np.tile(np.arange(n_dimensions), n_candidates * per_loop)
    halo = np.repeat(rng.normal(0.0, halo_sd, n_candidates * per_loop), n_dimensions)
    values = (
        mu[dim] + ability[cand] + leniency[inter] + halo + rng.normal(0.0, noise_sd, cand.shape[0])
    )
    return {
        "cand": cand,
        "inter": inter,
        "dim": dim,
        "values": values,
        "ability": ability,
        "leniency": leniency,
        "shape": np.array([n_candidates, n_interviewers, n_dimensions]),
    }


def fit(data: dict[str, np.ndarray], **kwargs: float):
    nc, ni, nd = (int(v) for v in data["shape"])
    return fit_leniency(
        data["cand"], data["inter"], data["dim"], data["values"], nc, ni, nd, **kwargs
    )


# ---------------------------------------------------------------------------------------------
# The fit
# ---------------------------------------------------------------------------------------------


def test_fit_is_the_penalised_least_squares_solution() -> None:
    """With the ridge strengths fixed, the alternating sweeps land on the closed-form optimum
    of sum (x - mu_d - theta_c - b_i - g_ci)² + ridge penalties."""
    data = simulate(1, n_candidates=40, n_interviewers=8, n_dimensions=3, per_loop=3, halo_sd=0.3)
    lam_b, lam_g = 4.0, 2.5
    result = fit(data, shrinkage=lam_b, pair_shrinkage=lam_g, tol=1e-12, max_iter=5000)
    assert result.converged

    nc, ni, nd = (int(v) for v in data["shape"])
    c, i, d, x = data["cand"], data["inter"], data["dim"], data["values"]
    pairs, p = np.unique(c * ni + i, return_inverse=True)
    npairs = pairs.shape[0]
    n = x.shape[0]
    cols = nd + nc + ni + npairs
    design = np.zeros((n, cols))
    rows = np.arange(n)
    design[rows, d] = 1
    design[rows, nd + c] = 1
    design[rows, nd + nc + i] = 1
    design[rows, nd + nc + ni + p.reshape(-1)] = 1
    penalty = np.zeros(cols)
    penalty[nd : nd + nc] = CANDIDATE_RIDGE
    penalty[nd + nc : nd + nc + ni] = lam_b
    penalty[nd + nc + ni :] = lam_g
    solution = np.linalg.solve(design.T @ design + np.diag(penalty), design.T @ x)
    np.testing.assert_allclose(result.mu, solution[:nd], atol=1e-6)
    np.testing.assert_allclose(result.theta, solution[nd : nd + nc], atol=1e-6)
    np.testing.assert_allclose(result.leniency, solution[nd + nc : nd + nc + ni], atol=1e-6)


def test_recovers_known_leniencies() -> None:
    data = simulate(2, n_candidates=600, n_interviewers=20, halo_sd=0.2)
    result = fit(data)
    true = data["leniency"] - data["leniency"].mean()
    assert result.converged
    assert result.estimated
    assert np.corrcoef(result.leniency, true)[0, 1] > 0.95
    assert np.sqrt(np.mean((result.leniency - true) ** 2)) < 0.08
    assert np.abs(result.leniency - true).max() < 0.2
    # ~120 interviews each: nearly the full correction, and a confident one.
    assert np.all(result.leniency_se < 0.1)
    # The variance components are in the right place (true: 0.25, 0.25, 0.04).
    assert 0.15 < result.prior_variance < 0.4
    assert 0.2 < result.residual_variance < 0.3
    assert 0.01 < result.pair_variance < 0.08


def confounded_history(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Nobody is lenient; the strongest third of candidates meet mostly 'senior' interviewers."""
    rng = np.random.default_rng(seed)
    n_cand, n_int, n_dim = 400, 20, 4
    senior = np.arange(n_int) < 6
    ability = rng.normal(0.0, 0.8, n_cand)
    strong = ability > np.quantile(ability, 2 / 3)
    panels = []
    for c in range(n_cand):
        k = 3 if strong[c] else 1  # of 4 interviewers, how many senior
        panels.append(
            np.concatenate(
                [
                    rng.choice(np.flatnonzero(senior), k, replace=False),
                    rng.choice(np.flatnonzero(~senior), 4 - k, replace=False),
                ]
            )
        )
    cand = np.repeat(np.arange(n_cand), 4 * n_dim)
    inter = np.repeat(np.concatenate(panels), n_dim)
    dim = np.tile(np.arange(n_dim), n_cand * 4)
    values = 2.8 + ability[cand] + rng.normal(0.0, 0.5, cand.shape[0])
    data = {
        "cand": cand,
        "inter": inter,
        "dim": dim,
        "values": values,
        "shape": np.array([n_cand, n_int, n_dim]),
    }
    return data, senior


def test_meeting_stronger_candidates_is_not_leniency() -> None:
    data, senior = confounded_history(3)
    result = fit(data)
    # "Rater mean minus global mean" calls the senior interviewers lenient...
    inter, values = data["inter"], data["values"]
    naive = np.bincount(inter, weights=values) / np.bincount(inter) - values.mean()
    assert naive[senior].mean() - naive[~senior].mean() > 0.5
    assert naive[senior].min() > 0.25
    # ...the joint fit sees that nobody is.
    assert abs(result.leniency[senior].mean() - result.leniency[~senior].mean()) < 0.1
    assert np.abs(result.leniency).max() < 0.15
    # and the candidate effects keep the strong candidates' advantage.
    c = np.arange(int(data["shape"][0]))
    per_candidate = np.bincount(data["cand"], weights=values) / np.bincount(data["cand"])
    assert np.corrcoef(result.theta[c], per_candidate)[0, 1] > 0.99


@FAST
@given(j=st.integers(0, 11), k=st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 0.05))
def test_constant_added_to_one_interviewer_moves_only_their_leniency(j: int, k: float) -> None:
    data = simulate(4, n_candidates=120, n_interviewers=12, per_loop=3, halo_sd=0.2)
    base = fit(data)
    lam = {"shrinkage": base.shrinkage, "pair_shrinkage": base.pair_shrinkage}
    base = fit(data, **lam, tol=1e-10, max_iter=2000)
    shifted_data = dict(data, values=data["values"] + k * (data["inter"] == j))
    shifted = fit(shifted_data, **lam, tol=1e-10, max_iter=2000)
    delta = shifted.leniency - base.leniency
    others = np.delete(delta, j)
    # Leniency is relative to the average interviewer: the others all move by the same
    # -k/n (the mean is held at 0), interviewer j moves by k shrunk by their information.
    assert np.ptp(others) < 0.02 * abs(k)
    info = base.effective_ratings[j]
    expected = k * info / (info + base.shrinkage)
    assert abs((delta[j] - others.mean()) - expected) < 0.03 * abs(k)
    assert 0.8 * abs(k) < abs(delta[j] - others.mean()) <= abs(k)
    assert np.abs(shifted.theta - base.theta).max() < 0.03 * abs(k)


def test_no_correction_without_history() -> None:
    """Realistic proportions: leniency sd 0.3, interview effect sd 0.3, noise sd 0.6."""
    data = simulate(
        5, n_candidates=300, n_interviewers=10, leniency_sd=0.3, noise_sd=0.6, halo_sd=0.3
    )
    nc, ni, nd = (int(v) for v in data["shape"])
    lenient = 0.8
    # Interviewer ni: 300 ratings (75 interviews); ni + 1: 3 ratings (one interview);
    # ni + 2: never rated. Both rated ones are lenient by exactly 0.8, with no noise.
    rng = np.random.default_rng(5)
    extra_c = np.concatenate([rng.choice(nc, 75, replace=False).repeat(nd), [7, 7, 7]])
    extra_i = np.concatenate([np.full(75 * nd, ni), np.full(3, ni + 1)])
    extra_d = np.concatenate([np.tile(np.arange(nd), 75), [0, 1, 2]])
    base = fit(data)
    expected = base.mu[extra_d] + base.theta[extra_c] + lenient
    merged = {
        "cand": np.concatenate([data["cand"], extra_c]),
        "inter": np.concatenate([data["inter"], extra_i]),
        "dim": np.concatenate([data["dim"], extra_d]),
        "values": np.concatenate([data["values"], expected]),
        "shape": np.array([nc, ni + 3, nd]),
    }
    result = fit(merged)
    b_many, b_few, _b_none = result.leniency[ni : ni + 3] - np.median(result.leniency[:ni])
    assert result.leniency[ni + 2] == 0.0
    assert result.ratings_per_interviewer[ni + 2] == 0
    assert result.leniency_se[ni + 2] == pytest.approx(math.sqrt(result.prior_variance))
    assert b_many == pytest.approx(lenient, abs=0.1)
    assert 0 < b_few < 0.5 * b_many
    # The shrinkage is the one the fit reports: info / (info + lambda).
    info = result.effective_ratings[ni + 1]
    assert b_few == pytest.approx(lenient * info / (info + result.shrinkage), abs=0.05)
    assert result.leniency_se[ni + 1] > 3 * result.leniency_se[ni]
    assert result.effective_ratings[ni + 1] < result.effective_ratings[ni] / 20


@FAST
@given(n=st.integers(0, 49), seed=st.integers(0, 1000))
def test_shrinkage_falls_back_to_the_default_on_tiny_data(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    result = fit_leniency(
        rng.integers(0, 5, n), rng.integers(0, 4, n), rng.integers(0, 3, n),
        rng.integers(1, 5, n).astype(float), 5, 4, 3,
    )  # fmt: skip
    assert not result.estimated
    assert result.shrinkage == DEFAULT_SHRINKAGE
    assert np.all(np.isfinite(result.leniency))
    assert result.residual_variance > 0


def test_shrinkage_needs_three_interviewers_with_five_ratings() -> None:
    assert not has_enough_data([40, 40, 4, 4, 4])  # 92 ratings, two interviewers with >= 5
    assert not has_enough_data([5, 5, 5, 5])  # four interviewers but only 20 ratings
    assert has_enough_data([30, 20, 5])
    data = simulate(6, n_candidates=30, n_interviewers=2, per_loop=2)  # 240 ratings, 2 raters
    assert not fit(data).estimated
    assert fit(data).shrinkage == DEFAULT_SHRINKAGE


def test_shrinkage_is_estimated_from_the_spread_of_leniencies() -> None:
    spread = fit(simulate(7, leniency_sd=0.6))
    uniform = fit(simulate(7, leniency_sd=0.0))
    assert spread.estimated
    assert uniform.estimated
    assert spread.shrinkage < 5
    assert uniform.shrinkage > 5 * spread.shrinkage
    assert uniform.shrinkage > DEFAULT_SHRINKAGE  # no spread at all: stronger than the default
    assert np.abs(uniform.leniency).max() < 0.1


def test_fixed_shrinkage_is_used_as_given() -> None:
    data = simulate(8)
    assert fit(data, shrinkage=7.0).shrinkage == 7.0
    assert fit(data, shrinkage=0.0).shrinkage == MIN_SHRINKAGE
    stiff = fit(data, shrinkage=1e12)
    assert stiff.shrinkage == MAX_SHRINKAGE
    assert np.abs(stiff.leniency).max() < 1e-3


@FAST
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 400),
    nc=st.integers(1, 30),
    ni=st.integers(1, 12),
    nd=st.integers(1, 5),
)
def test_fit_is_always_finite_and_centred(seed: int, n: int, nc: int, ni: int, nd: int) -> None:
    rng = np.random.default_rng(seed)
    c, i, d = rng.integers(0, nc, n), rng.integers(0, ni, n), rng.integers(0, nd, n)
    x = rng.integers(1, 5, n).astype(float)
    result = fit_leniency(c, i, d, x, nc + 2, ni + 2, nd + 1)
    for arr in (result.mu, result.theta, result.leniency, result.leniency_se):
        assert np.all(np.isfinite(arr))
    assert result.leniency[ni:].tolist() == [0.0, 0.0]  # never rated: no correction
    rated = result.ratings_per_interviewer > 0
    assert abs(result.leniency[rated].mean()) < 1e-6
    assert MIN_SHRINKAGE <= result.shrinkage <= MAX_SHRINKAGE
    assert result.residual_variance > 0
    assert result.pair_variance > 0
    assert result.iterations >= 1
    assert result.ratings_per_interviewer.sum() == n


def test_fit_converges_quickly_and_reports_it() -> None:
    data = simulate(9, halo_sd=0.3)
    result = fit(data)
    assert result.converged
    assert result.iterations < 150
    capped = fit(data, max_iter=2)
    assert not capped.converged
    assert capped.iterations == 2
    assert result.model_version == MODEL_VERSION
    assert result.summary()["converged"] is True


def test_empty_history() -> None:
    result = fit_leniency([], [], [], [], 0, 3, 0)
    assert result.leniency.tolist() == [0.0, 0.0, 0.0]
    assert not result.estimated
    assert result.n_ratings == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"candidate_idx": [0, 5]}, ValueError),
        ({"interviewer_idx": [-1, 0]}, ValueError),
        ({"dimension_idx": [0]}, ValueError),
        ({"dimension_idx": [0.0, 1.0]}, TypeError),
        ({"values": [1.0, float("nan")]}, ValueError),
        ({"max_iter": 0}, ValueError),
    ],
)
def test_fit_rejects_bad_input(kwargs: dict, error: type[Exception]) -> None:
    args = {
        "candidate_idx": [0, 1],
        "interviewer_idx": [0, 1],
        "dimension_idx": [0, 0],
        "values": [3.0, 2.0],
        "n_candidates": 2,
        "n_interviewers": 2,
        "n_dimensions": 1,
    }
    args.update(kwargs)
    with pytest.raises(error):
        fit_leniency(**args)


def test_keyed_fit_and_interviewer_corrections() -> None:
    data = simulate(10, n_interviewers=6)
    history = [
        HistoryRating(f"cand-{c}", f"int-{i}@example.com", f"dim-{d}", float(x))
        for c, i, d, x in zip(data["cand"], data["inter"], data["dim"], data["values"], strict=True)
    ]
    keyed = fit_history(history)
    direct = fit(data)
    lenient = keyed.leniency_by_interviewer()
    for k in range(6):
        assert lenient[f"int-{k}@example.com"] == pytest.approx(direct.leniency[k], abs=1e-6)
    corrections = keyed.corrections()
    one = corrections["int-0@example.com"]
    assert one.correction == pytest.approx(-one.leniency)
    assert one.n_ratings == int(np.sum(data["inter"] == 0))
    assert one.se**2 == pytest.approx(keyed.leniency_variance_by_interviewer()[one.interviewer])
    assert one.to_dict()["n_ratings"] == one.n_ratings
    with pytest.raises(ValueError, match="one key"):
        interviewer_corrections(direct, ["a"])


# ---------------------------------------------------------------------------------------------
# Scoring a loop
# ---------------------------------------------------------------------------------------------


def test_calibrated_dimension_score_subtracts_leniency() -> None:
    ratings = [
        LoopRating("ann", "strategy", 4),
        LoopRating("bob", "strategy", 2),
        LoopRating("ann", "metrics", 3),
    ]
    scores = score_loop(ratings, {"ann": 0.5, "bob": -0.5}, {"strategy": 1, "metrics": 1}, 0.4)
    strategy = scores.dimensions["strategy"]
    assert strategy.raw_mean == 3.0
    assert strategy.calibrated == pytest.approx(((4 - 0.5) + (2 + 0.5)) / 2)
    assert (strategy.min_rating, strategy.max_rating, strategy.n_ratings) == (2, 4, 2)
    assert strategy.se == pytest.approx(math.sqrt(0.4 / 2))
    assert strategy.low == pytest.approx(strategy.calibrated - INTERVAL_Z * strategy.se)
    assert strategy.high == pytest.approx(strategy.calibrated + INTERVAL_Z * strategy.se)
    assert scores.dimensions["metrics"].calibrated == pytest.approx(2.5)
    assert scores.corrections == {"ann": -0.5, "bob": 0.5}
    assert scores.interval_level == INTERVAL_LEVEL == 0.90
    # 90 % two-sided normal quantile.
    assert 0.5 * math.erfc(-INTERVAL_Z / math.sqrt(2)) == pytest.approx(0.95)


def test_interviewer_without_history_gets_no_correction() -> None:
    scores = score_loop([LoopRating("new", "d", 3)], {}, {"d": 1}, 0.3)
    assert scores.dimensions["d"].calibrated == 3.0
    assert scores.corrections == {"new": 0.0}


@FAST
@given(
    values=st.lists(st.integers(1, 4), min_size=1, max_size=12),
    sigma2=st.floats(0.05, 2.0),
    pair=st.floats(0.0, 0.5),
)
def test_standard_error_shrinks_with_more_ratings(
    values: list[int], sigma2: float, pair: float
) -> None:
    one = [LoopRating(f"i{k}", "d", v) for k, v in enumerate(values)]
    two = one + [LoopRating(f"j{k}", "d", v) for k, v in enumerate(values)]
    se_one = score_loop(one, {}, {"d": 1}, sigma2, pair_variance=pair).dimensions["d"].se
    se_two = score_loop(two, {}, {"d": 1}, sigma2, pair_variance=pair).dimensions["d"].se
    assert se_two < se_one
    assert se_two == pytest.approx(se_one / math.sqrt(2))


def test_ratings_on_one_scorecard_do_not_average_away_the_interview_effect() -> None:
    same = [LoopRating("ann", d, 3) for d in ("a", "b", "c", "d")]
    spread = [LoopRating(who, d, 3) for who, d in zip("wxyz", "abcd", strict=True)]
    weights = dict.fromkeys("abcd", 1.0)
    se_same = score_loop(same, {}, weights, 0.4, pair_variance=0.1).overall.se
    se_spread = score_loop(spread, {}, weights, 0.4, pair_variance=0.1).overall.se
    assert se_same == pytest.approx(math.sqrt(0.4 / 4 + 0.1))
    assert se_spread == pytest.approx(math.sqrt(0.4 / 4 + 0.1 / 4))
    # The leniency estimate's own uncertainty adds the same way.
    se_len = score_loop(same, {}, weights, 0.4, leniency_variance={"ann": 0.05}).overall.se
    assert se_len == pytest.approx(math.sqrt(0.4 / 4 + 0.05))


def test_overall_respects_weights_and_skips_unrated_dimensions() -> None:
    ratings = [LoopRating("ann", "a", 2), LoopRating("bob", "b", 4)]
    scores = score_loop(ratings, {}, {"a": 3, "b": 1, "c": 6}, 0.4)
    overall = scores.overall
    assert overall.calibrated == pytest.approx(2.5)  # c unrated: weights 3:1 renormalised
    assert overall.raw == pytest.approx(2.5)
    assert overall.weights == pytest.approx({"a": 0.75, "b": 0.25})
    assert overall.n_dimensions == 2
    assert overall.se is not None
    assert overall.se == pytest.approx(math.sqrt(0.4 * (0.75**2 + 0.25**2)))
    assert overall.low == pytest.approx(2.5 - INTERVAL_Z * overall.se)
    heavier_b = score_loop(ratings, {}, {"a": 1, "b": 3}, 0.4).overall
    assert heavier_b.calibrated == pytest.approx(3.5)
    # A dimension outside the weights is scored but does not count toward the overall.
    extra = score_loop([*ratings, LoopRating("cy", "z", 1)], {}, {"a": 3, "b": 1}, 0.4)
    assert "z" in extra.dimensions
    assert extra.overall.calibrated == pytest.approx(2.5)


@FAST
@given(
    ratings=st.lists(
        st.tuples(st.sampled_from(["i1", "i2", "i3"]), st.sampled_from("abc"), st.integers(1, 4)),
        min_size=1,
        max_size=20,
    ),
    weights=st.fixed_dictionaries({d: st.floats(0.1, 5.0) for d in "abc"}),
    leniency=st.fixed_dictionaries({k: st.floats(-1, 1) for k in ["i1", "i2", "i3"]}),
)
def test_overall_is_the_weighted_mean_of_calibrated_dimensions(
    ratings: list[tuple[str, str, int]], weights: dict[str, float], leniency: dict[str, float]
) -> None:
    loop = [LoopRating(i, d, v) for i, d, v in ratings]
    scores = score_loop(loop, leniency, weights, 0.3)
    rated = {d for _, d, _ in ratings}
    total = sum(weights[d] for d in rated)
    expected = sum(weights[d] * scores.dimensions[d].calibrated for d in rated) / total
    assert scores.overall.calibrated == pytest.approx(expected)
    raw = sum(weights[d] * scores.dimensions[d].raw_mean for d in rated) / total
    assert scores.overall.raw == pytest.approx(raw)
    # calibrated = raw minus the weighted average leniency of the ratings behind it.
    for d in rated:
        dim = scores.dimensions[d]
        mean_b = np.mean([leniency[i] for i, dd, _ in ratings if dd == d])
        assert dim.calibrated == pytest.approx(dim.raw_mean - mean_b)
        assert dim.low <= dim.calibrated <= dim.high


def test_no_ratings_gives_an_empty_overall() -> None:
    scores = score_loop([], {}, {"a": 1}, 0.3)
    assert scores.dimensions == {}
    assert scores.overall.calibrated is None
    assert scores.overall.se is None
    assert scores.to_dict()["overall"]["raw"] is None


@pytest.mark.parametrize("weight", [0.0, -1.0, float("inf")])
def test_score_loop_rejects_bad_weights(weight: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        score_loop([LoopRating("a", "d", 3)], {}, {"d": weight}, 0.3)


def test_score_loop_rejects_negative_variance() -> None:
    with pytest.raises(ValueError, match="variance"):
        score_loop([LoopRating("a", "d", 3)], {}, {"d": 1}, -0.1)


def test_loop_scores_serialise() -> None:
    import json

    scores = score_loop([LoopRating("a", "d", 3)], {"a": 0.2}, {"d": 1}, 0.3)
    data = json.loads(json.dumps(scores.to_dict()))
    assert data["dimensions"]["d"]["calibrated"] == pytest.approx(2.8)
    assert data["model_version"] == MODEL_VERSION
    assert data["corrections"] == {"a": -0.2}


def test_fitted_leniency_feeds_loop_scores_end_to_end() -> None:
    """Fit on history, score a new loop with a lenient and a harsh interviewer: the calibrated
    score is closer to the candidate's true level than the raw one."""
    data = simulate(11, n_candidates=400, n_interviewers=8, leniency_sd=0.0, halo_sd=0.1)
    data["leniency"] = np.array([0.8, -0.8, 0, 0, 0, 0, 0, 0])
    data["values"] = data["values"] + data["leniency"][data["inter"]]
    keyed = fit_history(
        HistoryRating(str(c), f"i{i}", str(d), float(x))
        for c, i, d, x in zip(data["cand"], data["inter"], data["dim"], data["values"], strict=True)
    )
    lenient = keyed.leniency_by_interviewer()
    assert lenient["i0"] - lenient["i1"] == pytest.approx(1.6, abs=0.15)
    # Candidate truly at 3.0 on every dimension: i0 (lenient) rates 4, i2 rates 3.
    loop = [LoopRating("i0", "x", 4.0), LoopRating("i0", "y", 4.0), LoopRating("i2", "x", 3.0)]
    scores = score_loop(
        loop,
        lenient,
        {"x": 1, "y": 1},
        keyed.fit.residual_variance,
        leniency_variance=keyed.leniency_variance_by_interviewer(),
        pair_variance=keyed.fit.pair_variance,
    )
    assert scores.overall.raw == pytest.approx(3.75)
    assert scores.overall.calibrated is not None
    assert abs(scores.overall.calibrated - 3.0) < 0.25
