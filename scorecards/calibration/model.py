"""Interviewer calibration: the maths behind DESIGN §4. Pure numpy, no Django.

Model, per rating ``x`` of candidate ``c`` by interviewer ``i`` on dimension ``d``::

    x = mu_d + theta_c + b_i + g_ci + noise,    noise ~ N(0, sigma²)

* ``mu_d``    dimension mean (unpenalised);
* ``theta_c`` candidate effect, a weak ridge (``CANDIDATE_RIDGE`` pseudo-ratings at 0) that only
  keeps the system identifiable;
* ``b_i``     interviewer leniency, prior ``N(0, tau_b²)``, i.e. a ridge of strength
  ``lambda_b = sigma² / tau_b²`` (:attr:`LeniencyFit.shrinkage`);
* ``g_ci``    the interview effect ("halo"): one interviewer's impression of one candidate,
  shared by every rating on that scorecard, prior ``N(0, tau_g²)``.

The interview effect matters: the ten ratings of one scorecard are not ten independent looks at
an interviewer's leniency, they are one look at one candidate. Without it an interviewer with a
single (enthusiastic) interview would get a sizeable "leniency" correction. With it, leniency
is learned from how an interviewer rates *many* candidates relative to their other interviewers.

All effects are fitted jointly over the whole history by alternating ridge least squares
(exact block-coordinate descent, vectorised with ``np.bincount``), so an interviewer who meets
stronger candidates is not mistaken for a lenient one: the candidates' effects are estimated
from all their interviewers at the same time. The variance components (``sigma²``, ``tau_b²``,
``tau_g²``) are estimated from the data with the Gull-MacKay evidence fixed point (the
approximate REML estimate), pulled toward conservative defaults by weak priors, and replaced by
the defaults when there is too little data (:func:`has_enough_data`).

Loop scores (:func:`score_loop`) subtract each interviewer's leniency from their ratings and
report a standard error from the residual variance, the interview-effect variance and the
leniency estimates' own variance, with a ``INTERVAL_LEVEL`` (90 %) normal interval.

Precision-aware scores (``model_version`` "ridge-als-2"). A candidate's true score on dimension
``d`` is their level plus the dimension's usual offset plus their own deviation on it::

    s_d = m + o_d + delta_d,    delta_d ~ N(0, tau_d²)

``tau_d²`` (:attr:`LeniencyFit.dimension_variance`) is the spread of one candidate's true
scores across dimensions, estimated from history (:func:`dimension_spread`), and ``o_d`` are
the fitted dimension means ``mu_d``. A dimension's mean of calibrated ratings ``y_d`` measures
``s_d`` with error variance ``v_d`` (the within-dimension rating variance over the number of
ratings, plus what ratings by one interviewer share). With a flat prior on ``m`` the posterior
mean of each ``s_d`` is, when ratings of different dimensions are independent,

    shrunk_d = (y_d / v_d + (m̂ + o_d) / tau_d²) / (1 / v_d + 1 / tau_d²)

    m̂ = sum_d (y_d - o_d) / (v_d + tau_d²)  /  sum_d 1 / (v_d + tau_d²)

so a dimension rated once (large ``v_d``) is pulled toward the candidate's level more than one
rated by four interviewers. The overall score keeps the profile's meaning, ``sum_d w_d s_d``
over the profile's dimensions (a dimension nobody rated is estimated at ``m̂ + o_d``), and its
interval comes from the posterior covariance of the ``s_d``. :func:`score_loop` computes the
exact Gaussian posterior, which also carries an interviewer's shared interview effect across
dimensions (the equations above are its special case without one). When every weighted
dimension is rated it is the old weighted mean of dimension means as ``tau_d² -> inf``, and
exactly that mean with equal ``v_d`` and equal weights; with equal ``v_d`` and unequal weights
it is ``kappa · weighted mean + (1 - kappa) · m̂``, ``kappa = tau_d² / (tau_d² + v)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_VERSION = "ridge-als-2"

#: Two-sided coverage of the intervals reported by :func:`score_loop`.
INTERVAL_LEVEL = 0.90
#: Standard normal quantile for ``INTERVAL_LEVEL``.
INTERVAL_Z = 1.6448536269514722

#: Ridge on candidate effects, in pseudo-ratings (a candidate with 50 ratings keeps 99.8 %).
CANDIDATE_RIDGE = 0.1
#: Leniency shrinkage used when the data cannot support an estimate: an interviewer needs this
#: many (effective) ratings for half of their apparent leniency to be corrected.
DEFAULT_SHRINKAGE = 25.0
#: Interview-effect shrinkage used by default: ``tau_g² = sigma² / 2``.
DEFAULT_PAIR_SHRINKAGE = 2.0
#: Residual variance assumed before seeing data (ratings on a 1-4 scale).
DEFAULT_RESIDUAL_VARIANCE = 0.5
#: Weight of the defaults, in pseudo-observations (degrees of freedom for sigma², interviewers
#: for tau_b², interviews for tau_g²). They keep a handful of interviewers from producing a
#: wild estimate and vanish against real history.
RESIDUAL_PRIOR_DOF = 10.0
LENIENCY_PRIOR_WEIGHT = 3.0
PAIR_PRIOR_WEIGHT = 10.0

#: Spread of a candidate's true scores across dimensions (tau_d², in squared rating points)
#: assumed before history can estimate it: a standard deviation of half a point.
DEFAULT_DIMENSION_VARIANCE = 0.25
#: Floor on the estimated spread: even dimensions that never differ are not pooled into one.
MIN_DIMENSION_VARIANCE = 1e-3
#: Candidate-dimension cells with two or more ratings needed to estimate the spread.
MIN_CELLS_FOR_DIMENSION_ESTIMATE = 20

#: Below these, the shrinkage is not estimated at all and ``DEFAULT_SHRINKAGE`` is used.
MIN_RATINGS_FOR_ESTIMATE = 50
MIN_INTERVIEWERS_FOR_ESTIMATE = 3
MIN_RATINGS_PER_INTERVIEWER = 5
#: The interview-effect variance needs interviews with at least two ratings to be separable
#: from the residual noise.
MIN_PAIRS_FOR_PAIR_ESTIMATE = 20

#: Bounds on the ridge strengths (pseudo-ratings), to keep every division finite.
MIN_SHRINKAGE = 1e-3
MAX_SHRINKAGE = 1e6

DEFAULT_MAX_ITER = 200
DEFAULT_TOL = 1e-6

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


# --------------------------------------------------------------------------------------------
# Fit over the history (integer indices)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeniencyFit:
    """The result of :func:`fit_leniency`. Arrays are indexed by the integer ids given to it."""

    mu: FloatArray  # (n_dimensions,) dimension means
    theta: FloatArray  # (n_candidates,) candidate effects
    leniency: FloatArray  # (n_interviewers,) b_i, 0 for interviewers without ratings
    leniency_se: FloatArray  # (n_interviewers,) posterior sd of b_i (prior sd without ratings)
    ratings_per_interviewer: npt.NDArray[np.int64]  # (n_interviewers,)
    effective_ratings: FloatArray  # (n_interviewers,) information behind b_i, in ratings
    residual_variance: float  # sigma²
    prior_variance: float  # tau_b²
    shrinkage: float  # lambda_b = sigma² / tau_b²
    pair_variance: float  # tau_g², variance of the interview effect
    pair_shrinkage: float  # sigma² / tau_g²
    iterations: int
    converged: bool
    estimated: bool  # False: too little data, the default shrinkage was used
    n_ratings: int
    dimension_variance: float  # tau_d², spread of one candidate's true scores across dimensions
    rating_variance: float  # variance of one rating within a candidate's dimension
    model_version: str = MODEL_VERSION

    @property
    def correction(self) -> FloatArray:
        """What is added to each interviewer's ratings: ``-leniency``."""
        return -self.leniency

    def summary(self) -> dict[str, Any]:
        """Scalars of the fit, for logs and for storing next to the fitted corrections."""
        return {
            "model_version": self.model_version,
            "n_ratings": self.n_ratings,
            "n_interviewers_rated": int(np.count_nonzero(self.ratings_per_interviewer)),
            "residual_variance": self.residual_variance,
            "prior_variance": self.prior_variance,
            "shrinkage": self.shrinkage,
            "pair_variance": self.pair_variance,
            "pair_shrinkage": self.pair_shrinkage,
            "iterations": self.iterations,
            "converged": self.converged,
            "estimated": self.estimated,
            "dimension_variance": self.dimension_variance,
            "rating_variance": self.rating_variance,
        }


def has_enough_data(ratings_per_interviewer: npt.ArrayLike) -> bool:
    """Whether the leniency prior can be estimated from the data rather than defaulted."""
    counts = np.asarray(ratings_per_interviewer)
    return bool(
        counts.sum() >= MIN_RATINGS_FOR_ESTIMATE
        and np.count_nonzero(counts >= MIN_RATINGS_PER_INTERVIEWER) >= MIN_INTERVIEWERS_FOR_ESTIMATE
    )


def _as_index(name: str, values: npt.ArrayLike, size: int, n: int) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a 1-d array of length {n}")
    if n and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, not {arr.dtype}")
    out = arr.astype(np.intp, copy=False)
    if n and (out.min() < 0 or out.max() >= size):
        raise ValueError(f"{name} must lie in [0, {size})")
    return out


def _clip_shrinkage(value: float) -> float:
    return float(min(max(value, MIN_SHRINKAGE), MAX_SHRINKAGE))


def fit_leniency(
    candidate_idx: npt.ArrayLike,
    interviewer_idx: npt.ArrayLike,
    dimension_idx: npt.ArrayLike,
    values: npt.ArrayLike,
    n_candidates: int,
    n_interviewers: int,
    n_dimensions: int,
    *,
    shrinkage: float | None = None,
    pair_shrinkage: float | None = None,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
) -> LeniencyFit:
    """Fit dimension means, candidate effects and interviewer leniencies jointly.

    ``candidate_idx``, ``interviewer_idx`` and ``dimension_idx`` are parallel integer arrays
    (one entry per rating) indexing ``range(n_candidates)`` etc.; ``values`` the ratings.
    ``shrinkage`` / ``pair_shrinkage`` fix the ridge strengths instead of estimating them.

    Each sweep updates every block exactly given the others (ridge least squares), moves the
    mean of the penalised effects into ``mu`` (an exact descent step), and then re-estimates
    the variance components. It stops when no effect moves by more than ``tol`` and the ridge
    strengths are stable to ``tol`` relatively, or after ``max_iter`` sweeps.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("values must be a 1-d array")
    n = int(x.shape[0])
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite")
    if min(n_candidates, n_interviewers, n_dimensions) < 0:
        raise ValueError("counts must not be negative")
    design = _Design.build(
        _as_index("candidate_idx", candidate_idx, n_candidates, n),
        _as_index("interviewer_idx", interviewer_idx, n_interviewers, n),
        _as_index("dimension_idx", dimension_idx, n_dimensions, n),
        n_candidates,
        n_interviewers,
        n_dimensions,
    )
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")

    estimate_b = shrinkage is None and has_enough_data(design.n_i_int)
    estimate_g = pair_shrinkage is None and (
        n >= MIN_RATINGS_FOR_ESTIMATE
        and int(np.count_nonzero(design.n_p >= 2)) >= MIN_PAIRS_FOR_PAIR_ESTIMATE
    )
    ridges = _Ridges(
        sigma2=DEFAULT_RESIDUAL_VARIANCE,
        lam_b=_clip_shrinkage(DEFAULT_SHRINKAGE if shrinkage is None else shrinkage),
        lam_g=_clip_shrinkage(DEFAULT_PAIR_SHRINKAGE if pair_shrinkage is None else pair_shrinkage),
    )
    effects = _Effects.start(design, x)
    iterations = 0
    converged = n == 0
    for sweep in range(1, max_iter + 1 if n else 1):
        iterations = sweep
        if sweep % 25 == 0:  # refresh the residual against accumulated rounding
            effects.r = effects.residual(design, x)
        delta = _sweep(design, effects, ridges)
        new = _evidence_step(design, effects, ridges, n, estimate_b, estimate_g)
        ridges, lam_change = new, new.change_from(ridges)
        if delta < tol and lam_change < tol:
            converged = True
            break
    return _fit_result(design, effects, ridges, iterations, converged, estimate_b, n)


@dataclass(frozen=True)
class _Design:
    """Who rated what: per-rating indices and per-unit counts, fixed for the whole fit."""

    c: IntArray  # (n,) candidate of each rating
    i: IntArray  # (n,) interviewer
    d: IntArray  # (n,) dimension
    p: IntArray  # (n,) interview (candidate, interviewer pair)
    n_c: FloatArray  # ratings per candidate
    n_i_int: npt.NDArray[np.int64]  # ratings per interviewer
    n_i: FloatArray  # the same, as floats
    n_d: FloatArray  # ratings per dimension
    n_p: FloatArray  # ratings per interview
    pair_c: IntArray  # candidate of each interview
    pair_i: IntArray  # interviewer of each interview
    rated_c: npt.NDArray[np.bool_]  # candidates with a rating
    rated_i: npt.NDArray[np.bool_]  # interviewers with a rating

    @classmethod
    def build(
        cls,
        c: IntArray,
        i: IntArray,
        d: IntArray,
        n_candidates: int,
        n_interviewers: int,
        n_dimensions: int,
    ) -> _Design:
        n_c = np.bincount(c, minlength=n_candidates).astype(np.float64)
        n_i_int = np.bincount(i, minlength=n_interviewers).astype(np.int64)
        # Interviews (candidate, interviewer pairs): the unit of the interview effect.
        width = max(n_interviewers, 1)
        pair_keys, p = np.unique(c.astype(np.int64) * width + i, return_inverse=True)
        p = p.astype(np.intp, copy=False).reshape(-1)
        return cls(
            c=c,
            i=i,
            d=d,
            p=p,
            n_c=n_c,
            n_i_int=n_i_int,
            n_i=n_i_int.astype(np.float64),
            n_d=np.bincount(d, minlength=n_dimensions).astype(np.float64),
            n_p=np.bincount(p, minlength=int(pair_keys.shape[0])).astype(np.float64),
            pair_c=(pair_keys // width).astype(np.intp),
            pair_i=(pair_keys % width).astype(np.intp),
            rated_c=n_c > 0,
            rated_i=n_i_int > 0,
        )

    def effective_ratings(self, ridges: _Ridges) -> FloatArray:
        return _effective_ratings(
            self.n_p,
            self.pair_c,
            self.pair_i,
            ridges.lam_g,
            CANDIDATE_RIDGE,
            self.n_c.shape[0],
            self.n_i.shape[0],
        )


@dataclass(frozen=True)
class _Ridges:
    """The variance components of one sweep, as the ridge strengths they imply."""

    sigma2: float  # residual variance
    lam_b: float  # leniency shrinkage, sigma² / tau_b²
    lam_g: float  # interview-effect shrinkage, sigma² / tau_g²

    def change_from(self, old: _Ridges) -> float:
        """Relative change of the ridge strengths, for the convergence test."""
        return max(abs(self.lam_b - old.lam_b) / old.lam_b, abs(self.lam_g - old.lam_g) / old.lam_g)


@dataclass
class _Effects:
    """The fitted effects, updated in place sweep by sweep, with the residual kept in step."""

    mu: FloatArray
    theta: FloatArray
    b: FloatArray
    g: FloatArray
    r: FloatArray  # x - mu[d] - theta[c] - b[i] - g[p], kept up to date incrementally

    @classmethod
    def start(cls, design: _Design, x: FloatArray) -> _Effects:
        """Every effect at 0, the dimension means at the raw means."""
        n_d = design.n_d
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.where(
                n_d > 0, np.bincount(design.d, weights=x, minlength=n_d.shape[0]) / n_d, 0.0
            )
        return cls(
            mu=mu,
            theta=np.zeros(design.n_c.shape[0]),
            b=np.zeros(design.n_i.shape[0]),
            g=np.zeros(design.n_p.shape[0]),
            r=x - mu[design.d],
        )

    def residual(self, design: _Design, x: FloatArray) -> FloatArray:
        return x - self.mu[design.d] - self.theta[design.c] - self.b[design.i] - self.g[design.p]


def _largest(step: FloatArray) -> float:
    return float(np.abs(step).max(initial=0.0))


def _ridge_block(
    index: IntArray, counts: FloatArray, effect: FloatArray, r: FloatArray, lam: float
) -> tuple[FloatArray, float]:
    """One block's exact ridge update given all the others: the new effect and its largest
    move. ``r`` is updated in place."""
    new = (np.bincount(index, weights=r, minlength=counts.shape[0]) + counts * effect) / (
        counts + lam
    )
    step = new - effect
    r -= step[index]
    return new, _largest(step)


def _sweep(design: _Design, fx: _Effects, ridges: _Ridges) -> float:
    """One pass of block-coordinate descent; returns the largest move of any effect."""
    fx.theta, moved_c = _ridge_block(design.c, design.n_c, fx.theta, fx.r, CANDIDATE_RIDGE)
    fx.b, moved_b = _ridge_block(design.i, design.n_i, fx.b, fx.r, ridges.lam_b)
    fx.g, moved_g = _ridge_block(design.p, design.n_p, fx.g, fx.r, ridges.lam_g)
    _recentre(design, fx)
    # Dimension means (unpenalised).
    n_d = design.n_d
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(
            n_d > 0, np.bincount(design.d, weights=fx.r, minlength=n_d.shape[0]) / n_d, 0
        )
    fx.r -= step[design.d]
    fx.mu = fx.mu + step
    return max(0.0, moved_c, moved_b, moved_g, _largest(step))


def _recentre(design: _Design, fx: _Effects) -> None:
    """Move the means of the penalised effects into mu: the fit is unchanged and the penalty
    can only fall, so this is an exact descent step along a slow direction."""
    rated_c, rated_i = design.rated_c, design.rated_i
    shift = 0.0
    if rated_c.any():
        k = float(fx.theta[rated_c].mean())
        fx.theta[rated_c] -= k
        shift += k
    if rated_i.any():
        k = float(fx.b[rated_i].mean())
        fx.b[rated_i] -= k
        shift += k
    if fx.g.shape[0]:
        k = float(fx.g.mean())
        fx.g -= k
        shift += k
    fx.mu[design.n_d > 0] += shift  # r is unchanged: every rating gained and lost the same amount


def _evidence_step(
    design: _Design, fx: _Effects, ridges: _Ridges, n: int, estimate_b: bool, estimate_g: bool
) -> _Ridges:
    """Variance components by the Gull-MacKay fixed point, with weak priors toward the
    defaults; a ridge strength that is not estimated stays as it is."""
    n_c, n_p, lam_c = design.n_c, design.n_p, CANDIDATE_RIDGE
    h_c = float((n_c / (n_c + lam_c)).sum())
    # Leverage of each interview effect, less the part the candidate effect already takes
    # (exact for balanced loops), so that tau_g² is not underestimated.
    h_g = n_p / (n_p + ridges.lam_g) * (1.0 - n_p / (n_c[design.pair_c] + lam_c))
    info_b = design.effective_ratings(ridges)
    h_b = float((info_b / (info_b + ridges.lam_b)).sum())
    df = float(np.count_nonzero(design.n_d)) + h_c + h_b + float(h_g.sum())
    sigma2 = (float(fx.r @ fx.r) + RESIDUAL_PRIOR_DOF * DEFAULT_RESIDUAL_VARIANCE) / max(
        n - df + RESIDUAL_PRIOR_DOF, 1.0
    )
    sigma2 = max(sigma2, 1e-12)
    lam_b, lam_g = ridges.lam_b, ridges.lam_g
    if estimate_b:
        tau_b2 = (float(fx.b @ fx.b) + LENIENCY_PRIOR_WEIGHT * sigma2 / DEFAULT_SHRINKAGE) / (
            h_b + LENIENCY_PRIOR_WEIGHT
        )
        lam_b = _clip_shrinkage(sigma2 / max(tau_b2, 1e-300))
    if estimate_g:
        tau_g2 = (float(fx.g @ fx.g) + PAIR_PRIOR_WEIGHT * sigma2 / DEFAULT_PAIR_SHRINKAGE) / (
            float(h_g.sum()) + PAIR_PRIOR_WEIGHT
        )
        lam_g = _clip_shrinkage(sigma2 / max(tau_g2, 1e-300))
    return _Ridges(sigma2=sigma2, lam_b=lam_b, lam_g=lam_g)


def _fit_result(
    design: _Design,
    fx: _Effects,
    ridges: _Ridges,
    iterations: int,
    converged: bool,
    estimated: bool,
    n: int,
) -> LeniencyFit:
    """The fit with each leniency's posterior sd and the information behind it."""
    sigma2, lam_b = ridges.sigma2, ridges.lam_b
    info_b = design.effective_ratings(ridges)
    spread = dimension_spread(design.c, design.d, fx.r, design.n_d.shape[0], sigma2)
    return LeniencyFit(
        mu=fx.mu,
        theta=fx.theta,
        leniency=fx.b,
        leniency_se=np.sqrt(sigma2 / (info_b + lam_b)),
        ratings_per_interviewer=design.n_i_int,
        effective_ratings=info_b,
        residual_variance=float(sigma2),
        prior_variance=float(sigma2 / lam_b),
        shrinkage=float(lam_b),
        pair_variance=float(sigma2 / ridges.lam_g),
        pair_shrinkage=float(ridges.lam_g),
        iterations=iterations,
        converged=converged,
        estimated=estimated,
        n_ratings=n,
        dimension_variance=spread.dimension_variance,
        rating_variance=spread.rating_variance,
    )


@dataclass(frozen=True)
class DimensionSpread:
    """What :func:`dimension_spread` found."""

    dimension_variance: float  # tau_d²
    rating_variance: float  # within a candidate's dimension
    estimated: bool  # False: too few dimensions rated twice for one candidate, defaults used


def dimension_spread(
    candidate_idx: IntArray,
    dimension_idx: IntArray,
    residual: FloatArray,
    n_dimensions: int,
    residual_variance: float,
) -> DimensionSpread:
    """How far one candidate's true dimension scores spread around their level (``tau_d²``),
    and how much one rating varies around the candidate's true score on its dimension.

    ``residual`` is what the joint fit leaves of each rating, ``x - mu_d - theta_c - b_i -
    g_ci``: the candidate's deviation on that dimension ``delta_cd`` plus noise. Grouping the
    ratings by candidate-dimension cell, this is a one-way random-effects ANOVA nested in
    candidates (Henderson's method 1, for unequal cell sizes ``n_cd``):

    * within cells, ``SS_w = sum (r - r̄_cd)²`` on ``N - cells`` degrees of freedom estimates
      the rating variance ``sigma_w²``;
    * between cells of one candidate, ``SS_b = sum_cd n_cd (r̄_cd - r̄_c)²`` has expectation
      ``sigma_w² · sum_c (K_c - 1) + tau_d² · sum_c (n_c - sum_d n_cd² / n_c)``,

    which solves for ``tau_d²`` (floored at ``MIN_DIMENSION_VARIANCE``). With fewer than
    ``MIN_CELLS_FOR_DIMENSION_ESTIMATE`` cells rated twice the defaults are used
    (``DEFAULT_DIMENSION_VARIANCE`` and the fit's residual variance). The fitted interview
    effects leave the residuals slightly less variable than the truth, so both figures are
    approximate; the posterior needs their ratio, which is much less affected."""
    n = int(residual.shape[0])
    width = max(n_dimensions, 1)
    keys, cell = _cells(candidate_idx.astype(np.int64) * width + dimension_idx)
    n_cell = np.bincount(cell, minlength=keys.shape[0]).astype(np.float64)
    df_w = n - int(keys.shape[0])
    if int(np.count_nonzero(n_cell >= 2)) < MIN_CELLS_FOR_DIMENSION_ESTIMATE or df_w < 1:
        return DimensionSpread(DEFAULT_DIMENSION_VARIANCE, float(residual_variance), False)
    mean_cell = np.bincount(cell, weights=residual, minlength=keys.shape[0]) / n_cell
    ss_w = float(((residual - mean_cell[cell]) ** 2).sum())
    sigma_w2 = max(ss_w / df_w, 1e-12)
    cell_cand = keys // width
    cands, cand_of_cell = _cells(cell_cand)
    n_c = np.bincount(cand_of_cell, weights=n_cell, minlength=cands.shape[0])
    k_c = np.bincount(cand_of_cell, minlength=cands.shape[0]).astype(np.float64)
    mean_c = np.bincount(cand_of_cell, weights=n_cell * mean_cell, minlength=cands.shape[0]) / n_c
    ss_b = float((n_cell * (mean_cell - mean_c[cand_of_cell]) ** 2).sum())
    n_sq = np.bincount(cand_of_cell, weights=n_cell**2, minlength=cands.shape[0])
    coefficient = float((n_c - n_sq / n_c).sum())
    if coefficient <= 0:
        return DimensionSpread(DEFAULT_DIMENSION_VARIANCE, sigma_w2, False)
    tau2 = (ss_b - sigma_w2 * float((k_c - 1.0).sum())) / coefficient
    return DimensionSpread(max(tau2, MIN_DIMENSION_VARIANCE), sigma_w2, True)


def _cells(key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], IntArray]:
    """The distinct keys in order and each entry's index among them: ``np.unique`` with
    ``return_inverse``, by counting when the keys are dense enough (a refit's candidates by
    dimensions are), which is several times faster than sorting a million of them."""
    size = int(key.max()) + 1 if key.shape[0] else 0
    if size > 4 * key.shape[0] + 1_000_000:
        keys, inverse = np.unique(key, return_inverse=True)
        return keys, inverse.reshape(-1).astype(np.intp, copy=False)
    present = np.bincount(key, minlength=size) > 0
    compact = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64), compact[key].astype(np.intp, copy=False)


def _effective_ratings(
    n_p: FloatArray,
    pair_c: IntArray,
    pair_i: IntArray,
    lam_g: float,
    lam_c: float,
    n_candidates: int,
    n_interviewers: int,
) -> FloatArray:
    """Information behind each leniency, in independent-rating units.

    An interview with ``n`` ratings tells ``n·lam_g / (n + lam_g)`` ratings' worth about the
    interviewer (the interview effect is shared by all of them), and the part of it explained by
    the candidate's own effect is lost (the candidate is estimated from the same ratings)."""
    w = n_p * lam_g / (n_p + lam_g)
    w_c = np.bincount(pair_c, weights=w, minlength=n_candidates) + lam_c
    info = np.bincount(pair_i, weights=w * (1.0 - w / w_c[pair_c]), minlength=n_interviewers)
    return info.astype(np.float64, copy=False)


# --------------------------------------------------------------------------------------------
# Keyed front end: the same fit over string keys
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRating:
    """One historical rating, keyed by stable strings (ids, e-mails, slugs)."""

    candidate: str
    interviewer: str
    dimension: str
    value: float


@dataclass(frozen=True)
class InterviewerCorrection:
    """What calibration does to one interviewer's ratings, for display."""

    interviewer: str
    leniency: float  # b_i: how much higher than their colleagues they rate the same candidate
    correction: float  # added to each of their ratings: -leniency
    se: float  # posterior sd of the leniency
    n_ratings: int  # ratings it rests on
    effective_ratings: float  # the same, discounted for ratings sharing one interview

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KeyedLeniencyFit:
    """A :class:`LeniencyFit` with the keys its integer indices stand for."""

    fit: LeniencyFit
    candidates: tuple[str, ...]
    interviewers: tuple[str, ...]
    dimensions: tuple[str, ...]

    def leniency_by_interviewer(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.interviewers, self.fit.leniency, strict=True)}

    def leniency_variance_by_interviewer(self) -> dict[str, float]:
        return {
            k: float(v) ** 2 for k, v in zip(self.interviewers, self.fit.leniency_se, strict=True)
        }

    def corrections(self) -> dict[str, InterviewerCorrection]:
        return interviewer_corrections(self.fit, self.interviewers)


def fit_history(ratings: Iterable[HistoryRating], **kwargs: Any) -> KeyedLeniencyFit:
    """Index string keys and run :func:`fit_leniency` (keyword arguments are passed on)."""
    cand: dict[str, int] = {}
    inter: dict[str, int] = {}
    dims: dict[str, int] = {}
    ci: list[int] = []
    ii: list[int] = []
    di: list[int] = []
    xs: list[float] = []
    for rating in ratings:
        ci.append(cand.setdefault(rating.candidate, len(cand)))
        ii.append(inter.setdefault(rating.interviewer, len(inter)))
        di.append(dims.setdefault(rating.dimension, len(dims)))
        xs.append(float(rating.value))
    fit = fit_leniency(
        np.asarray(ci, dtype=np.intp),
        np.asarray(ii, dtype=np.intp),
        np.asarray(di, dtype=np.intp),
        np.asarray(xs, dtype=np.float64),
        len(cand),
        len(inter),
        len(dims),
        **kwargs,
    )
    return KeyedLeniencyFit(fit, tuple(cand), tuple(inter), tuple(dims))


def interviewer_corrections(
    fit: LeniencyFit, interviewer_keys: Sequence[str]
) -> dict[str, InterviewerCorrection]:
    """Each interviewer's leniency, the correction applied and the ratings it rests on.
    ``interviewer_keys[k]`` is the key of interviewer index ``k`` in the fit."""
    if len(interviewer_keys) != fit.leniency.shape[0]:
        raise ValueError("one key per fitted interviewer is needed")
    return {
        key: InterviewerCorrection(
            interviewer=key,
            leniency=float(fit.leniency[k]),
            correction=float(-fit.leniency[k]),
            se=float(fit.leniency_se[k]),
            n_ratings=int(fit.ratings_per_interviewer[k]),
            effective_ratings=float(fit.effective_ratings[k]),
        )
        for k, key in enumerate(interviewer_keys)
    }


# --------------------------------------------------------------------------------------------
# Scoring one loop (string keys)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoopRating:
    """One rating in the loop being scored."""

    interviewer: str
    dimension: str
    value: float


@dataclass(frozen=True)
class DimensionScore:
    """One dimension of one loop. ``calibrated`` is the plain mean of the calibrated ratings;
    ``shrunk`` the precision-aware estimate (see the module docstring): the same mean pulled
    toward ``prior_mean`` (the candidate's level plus this dimension's usual offset) by the
    share ``pull``, which is large when few rated it. Without a dimension spread (the old
    model) ``shrunk`` equals ``calibrated`` and ``pull`` is 0."""

    dimension: str
    raw_mean: float
    calibrated: float  # mean of (x - b_i)
    se: float
    low: float  # calibrated ± INTERVAL_Z · se
    high: float
    n_ratings: int
    min_rating: float
    max_rating: float
    shrunk: float | None = None  # posterior mean of the candidate's true score
    shrunk_se: float | None = None  # its posterior sd
    shrunk_low: float | None = None  # shrunk ± INTERVAL_Z · shrunk_se
    shrunk_high: float | None = None
    pull: float = 0.0  # share of the way from ``calibrated`` toward ``prior_mean``, 0 to 1
    prior_mean: float | None = None  # where the dimension is pulled: level + offset
    n_interviewers: int = 0

    @property
    def estimate(self) -> float:
        """The score the rule and the pages use: the shrunk one when there is one."""
        return self.calibrated if self.shrunk is None else self.shrunk

    @property
    def estimate_low(self) -> float:
        return self.low if self.shrunk_low is None else self.shrunk_low

    @property
    def estimate_high(self) -> float:
        return self.high if self.shrunk_high is None else self.shrunk_high

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OverallScore:
    """The overall score; all ``None`` when nothing was rated.

    Precision-aware (a dimension spread given to :func:`score_loop`): ``calibrated`` is the
    posterior mean of ``sum_d w_d s_d`` over every weighted dimension (``weights``, normalised
    over all of them; ``unrated`` lists those estimated at the candidate's level), ``raw`` the
    same estimator on the ratings without leniency corrections, and ``weighted_mean`` /
    ``raw_weighted_mean`` the old weighted means of dimension means. Without a spread,
    ``calibrated`` and ``raw`` are those weighted means over the rated dimensions."""

    raw: float | None
    calibrated: float | None
    se: float | None
    low: float | None
    high: float | None
    n_dimensions: int = 0  # weighted dimensions with a rating
    weights: dict[str, float] = field(default_factory=dict)  # normalised
    weighted_mean: float | None = None
    raw_weighted_mean: float | None = None
    level: float | None = None  # the candidate's level m̂ (on the average dimension)
    level_se: float | None = None
    dimension_variance: float | None = None  # tau_d² used; None: no shrinkage
    unrated: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoopScores:
    dimensions: dict[str, DimensionScore]  # only dimensions with at least one rating
    overall: OverallScore
    corrections: dict[str, float]  # interviewer -> correction applied (-leniency)
    interval_level: float = INTERVAL_LEVEL
    model_version: str = MODEL_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimensions": {k: v.to_dict() for k, v in self.dimensions.items()},
            "overall": self.overall.to_dict(),
            "corrections": dict(self.corrections),
            "interval_level": self.interval_level,
            "model_version": self.model_version,
        }


def score_loop(
    ratings: Sequence[LoopRating],
    leniency: Mapping[str, float],
    weights: Mapping[str, float],
    residual_variance: float,
    *,
    leniency_variance: Mapping[str, float] | None = None,
    pair_variance: float = 0.0,
    dimension_variance: float | None = None,
    rating_variance: float | None = None,
    dimension_means: Mapping[str, float] | None = None,
) -> LoopScores:
    """Raw and calibrated scores of one candidate's loop.

    * ``leniency``: interviewer key -> b_i from the fit; interviewers missing get no correction.
    * ``weights``: dimension key -> weight (> 0). Ratings of dimensions not in ``weights`` are
      scored per dimension but do not count toward the overall score.
    * ``residual_variance``: sigma² of the fit.
    * ``leniency_variance``: optional interviewer -> variance of b_i (adds to the SE).
    * ``pair_variance``: the interview-effect variance of the fit (ratings on one scorecard
      share it, so it does not average away across dimensions).
    * ``dimension_variance``: tau_d², the spread of a candidate's dimensions (from
      :func:`dimension_spread`). Given, each dimension is also estimated precision-aware
      (``shrunk``, see the module docstring) and the overall is their weighted posterior
      mean over every weighted dimension; ``None`` keeps the weighted mean of dimension means
      over the rated dimensions, weights renormalised over them.
    * ``rating_variance``: a rating's variance around the candidate's true dimension score
      (defaults to ``residual_variance``), for the shrinkage.
    * ``dimension_means``: dimension -> fitted mean ``mu_d``, the offsets of the prior;
      dimensions missing get the average offset.

    The SE of any weighted mean ``sum_r a_r (x_r - b_r)`` is
    ``sqrt(sigma² · sum_r a_r² + sum_i (sum_{r by i} a_r)² · (var b_i + pair_variance))``.
    """
    if residual_variance < 0 or pair_variance < 0:
        raise ValueError("variances must not be negative")
    for name, value in (("dimension", dimension_variance), ("rating", rating_variance)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} variance must be positive and finite")
    for key, w in weights.items():
        if not (w > 0 and math.isfinite(w)):
            raise ValueError(f"weight of {key!r} must be positive and finite")
    errors = _ErrorModel(residual_variance, leniency_variance or {}, pair_variance)
    by_dim: dict[str, list[LoopRating]] = {}
    for rating in ratings:
        if not math.isfinite(rating.value):
            raise ValueError("ratings must be finite")
        by_dim.setdefault(rating.dimension, []).append(rating)
    dimensions = {dim: _dimension_score(dim, rs, leniency, errors) for dim, rs in by_dim.items()}
    corrections = {r.interviewer: -float(leniency.get(r.interviewer, 0.0)) for r in ratings}
    overall = _overall_score(weights, dimensions, by_dim, errors)
    if dimension_variance is not None and dimensions:
        posterior = _Posterior(
            by_dim,
            weights,
            dimension_variance,
            residual_variance if rating_variance is None else rating_variance,
            dimension_means or {},
            errors,
        )
        dimensions, overall = posterior.apply(dimensions, overall, leniency)
    return LoopScores(dimensions=dimensions, overall=overall, corrections=corrections)


@dataclass(frozen=True)
class _ErrorModel:
    """Standard errors of weighted means of calibrated ratings (see :func:`score_loop`)."""

    residual_variance: float
    leniency_variance: Mapping[str, float]
    pair_variance: float

    def shared_var(self, interviewer: str) -> float:
        """Variance every rating by one interviewer in this loop shares."""
        return float(self.leniency_variance.get(interviewer, 0.0)) + self.pair_variance

    def se(self, coefs: list[tuple[str, float]]) -> float:
        """SE of ``sum a (x - b)`` over ``(interviewer, a)`` pairs, one per rating."""
        per_interviewer: dict[str, float] = {}
        independent = 0.0
        for who, a in coefs:
            independent += a * a
            per_interviewer[who] = per_interviewer.get(who, 0.0) + a
        var = self.residual_variance * independent + sum(
            s * s * self.shared_var(who) for who, s in per_interviewer.items()
        )
        return math.sqrt(max(var, 0.0))


def _dimension_score(
    dim: str, rs: list[LoopRating], leniency: Mapping[str, float], errors: _ErrorModel
) -> DimensionScore:
    n = len(rs)
    xs = [r.value for r in rs]
    cal = [r.value - float(leniency.get(r.interviewer, 0.0)) for r in rs]
    calibrated = sum(cal) / n
    se = errors.se([(r.interviewer, 1.0 / n) for r in rs])
    return DimensionScore(
        dimension=dim,
        raw_mean=sum(xs) / n,
        calibrated=calibrated,
        se=se,
        low=calibrated - INTERVAL_Z * se,
        high=calibrated + INTERVAL_Z * se,
        n_ratings=n,
        min_rating=min(xs),
        max_rating=max(xs),
        shrunk=calibrated,
        shrunk_se=se,
        shrunk_low=calibrated - INTERVAL_Z * se,
        shrunk_high=calibrated + INTERVAL_Z * se,
        pull=0.0,
        prior_mean=None,
        n_interviewers=len({r.interviewer for r in rs}),
    )


def _overall_score(
    weights: Mapping[str, float],
    dimensions: Mapping[str, DimensionScore],
    by_dim: Mapping[str, list[LoopRating]],
    errors: _ErrorModel,
) -> OverallScore:
    """The weighted mean over the rated dimensions, weights renormalised over them."""
    counted = [dim for dim in weights if dim in dimensions]
    if not counted:
        return OverallScore(raw=None, calibrated=None, se=None, low=None, high=None)
    total = sum(float(weights[dim]) for dim in counted)
    norm = {dim: float(weights[dim]) / total for dim in counted}
    raw = sum(norm[dim] * dimensions[dim].raw_mean for dim in counted)
    calibrated = sum(norm[dim] * dimensions[dim].calibrated for dim in counted)
    se = errors.se(
        [(r.interviewer, norm[dim] / len(by_dim[dim])) for dim in counted for r in by_dim[dim]]
    )
    return OverallScore(
        raw=raw,
        calibrated=calibrated,
        se=se,
        low=calibrated - INTERVAL_Z * se,
        high=calibrated + INTERVAL_Z * se,
        n_dimensions=len(counted),
        weights=norm,
        weighted_mean=calibrated,
        raw_weighted_mean=raw,
    )


@dataclass(frozen=True)
class _Gaussian:
    """The posterior of the true dimension scores ``s`` (in ``_Posterior.targets`` order)."""

    mean: FloatArray  # (K,)
    cov: FloatArray  # (K, K)
    level: float
    level_var: float


class _Posterior:
    """The exact Gaussian posterior of one loop's true dimension scores (module docstring).

    Unknowns ``(m, delta_1 .. delta_K)`` over the target dimensions (the rated ones, then the
    weighted ones nobody rated): a flat prior on ``m``, ``N(0, tau_d²)`` on each ``delta``.
    Each calibrated rating ``y_r = m + o_d + delta_d + e_r``, with ``Cov(e) = V``:
    ``V = sigma_w² · I + sum_i s_i · 1_i 1_iᵀ``, where ``1_i`` marks interviewer ``i``'s
    ratings and ``s_i`` is the variance they share (interview effect plus the leniency
    estimate's variance). Then the posterior precision is ``P = Hᵀ V⁻¹ H + diag(0, 1/tau_d²,
    ..)`` and the mean ``P⁻¹ Hᵀ V⁻¹ (y - o)``, where row ``r`` of ``H`` has a 1 for ``m`` and one
    for its dimension's ``delta``; ``s = m + o + delta`` follows linearly. Without shared
    variance the dimension means are sufficient and this is the closed form of the module
    docstring; with it, an interviewer's ratings are weighed as the joint fit weighs them."""

    def __init__(
        self,
        by_dim: Mapping[str, list[LoopRating]],
        weights: Mapping[str, float],
        dimension_variance: float,
        rating_variance: float,
        dimension_means: Mapping[str, float],
        errors: _ErrorModel,
    ) -> None:
        self.by_dim = by_dim
        self.rated = list(by_dim)
        self.targets = self.rated + [d for d in weights if d not in by_dim]
        self.tau2 = float(dimension_variance)
        self.errors = errors
        self.rating_variance = float(rating_variance)
        self.rows = [(k, r) for k, dim in enumerate(self.rated) for r in by_dim[dim]]
        known = [float(dimension_means[d]) for d in self.targets if d in dimension_means]
        fill = sum(known) / len(known) if known else 0.0
        offsets = np.array([float(dimension_means.get(d, fill)) for d in self.targets])
        self.offsets = offsets - offsets.mean()  # m̂ is the level on the average dimension
        total = sum(float(weights[d]) for d in self.targets if d in weights)
        self.weights = {d: float(weights[d]) / total for d in self.targets if d in weights}
        self.w = np.array([self.weights.get(d, 0.0) for d in self.targets])

    def _noise(self, shared: bool) -> FloatArray:
        """``V``, the error covariance of the ratings."""
        who = np.array([r.interviewer for _, r in self.rows])
        same = who[:, None] == who[None, :]
        s = np.array(
            [self.errors.shared_var(w) if shared else self.errors.pair_variance for w in who]
        )
        return self.rating_variance * np.eye(len(self.rows)) + same * s[:, None]

    def mean_variance(self, v: FloatArray) -> FloatArray:
        """The error variance of each rated dimension's mean of ratings, ``v_d``."""
        dim = np.array([k for k, _ in self.rows])
        out = np.empty(len(self.rated))
        for k in range(len(self.rated)):
            mine = dim == k
            out[k] = float(v[np.ix_(mine, mine)].sum()) / float(mine.sum()) ** 2
        return out

    def solve(self, y: FloatArray, v: FloatArray) -> _Gaussian:
        n, k = len(self.rows), len(self.targets)
        dim = np.array([d for d, _ in self.rows], dtype=np.intp)
        h = np.zeros((n, k + 1))
        h[:, 0] = 1.0
        h[np.arange(n), dim + 1] = 1.0
        vinv_h = np.linalg.solve(v, h)
        precision = h.T @ vinv_h
        precision[1:, 1:] += np.eye(k) / self.tau2
        cov_theta = np.linalg.inv(precision)
        cov_theta = (cov_theta + cov_theta.T) / 2.0
        theta = cov_theta @ (vinv_h.T @ (y - self.offsets[dim]))
        lift = np.hstack([np.ones((k, 1)), np.eye(k)])  # s - o = m + delta
        return _Gaussian(
            mean=lift @ theta + self.offsets,
            cov=lift @ cov_theta @ lift.T,
            level=float(theta[0]),
            level_var=float(cov_theta[0, 0]),
        )

    def apply(
        self,
        dimensions: Mapping[str, DimensionScore],
        overall: OverallScore,
        leniency: Mapping[str, float],
    ) -> tuple[dict[str, DimensionScore], OverallScore]:
        """The dimension scores with their shrunk estimates, and the precision-aware overall."""
        v = self._noise(shared=True)
        raw_y = np.array([r.value for _, r in self.rows])
        lenient = np.array([float(leniency.get(r.interviewer, 0.0)) for _, r in self.rows])
        calibrated = self.solve(raw_y - lenient, v)
        raw = self.solve(raw_y, self._noise(shared=False))
        v_d = self.mean_variance(v)
        out: dict[str, DimensionScore] = {}
        for k, dim in enumerate(self.rated):
            se = math.sqrt(max(float(calibrated.cov[k, k]), 0.0))
            mean = float(calibrated.mean[k])
            out[dim] = replace(
                dimensions[dim],
                shrunk=mean,
                shrunk_se=se,
                shrunk_low=mean - INTERVAL_Z * se,
                shrunk_high=mean + INTERVAL_Z * se,
                pull=float(v_d[k] / (v_d[k] + self.tau2)),
                prior_mean=calibrated.level + float(self.offsets[k]),
            )
        if not self.weights:  # ratings only of dimensions outside the profile's weights
            return out, overall
        value = float(self.w @ calibrated.mean)
        se = math.sqrt(max(float(self.w @ calibrated.cov @ self.w), 0.0))
        return out, replace(
            overall,
            raw=float(self.w @ raw.mean),
            calibrated=value,
            se=se,
            low=value - INTERVAL_Z * se,
            high=value + INTERVAL_Z * se,
            weights=dict(self.weights),
            level=calibrated.level,
            level_se=math.sqrt(max(calibrated.level_var, 0.0)),
            dimension_variance=self.tau2,
            unrated=[d for d in self.targets if d not in self.by_dim and d in self.weights],
        )
