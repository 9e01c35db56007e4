"""Predictive validity of the interview (issue 18): how well an interview score predicted
what happened after the hire. Pure: plain numbers in, plain numbers out.

Decisions made here (the README says them in plain words):

* **One outcome per hire** (:func:`outcome_score`): the latest checkpoint that says something
  decides. A performance rating counts as its place on its scale, ``(rating - 1) /
  (scale_max - 1)`` (0 the bottom, 1 the top), so hires rated on different scales mix; the
  12-month rating wins over the 6-month one. A hire who left *unregretted* without a rating
  counts as the scale minimum (0): the company was glad to see them go, the miss the
  interview should have caught. A hire who left *regretted* (or with regret unrecorded)
  without a rating falls back to an earlier rating, else has no outcome and is left out:
  losing someone we wanted says nothing bad about how they did.
* **Spearman by default, Pearson alongside** (:func:`validity`): performance ratings are a few
  ordered steps and interview scores are bounded, so the rank correlation is the honest
  measure (it asks only "did higher scores go with better outcomes", unmoved by one
  extreme hire or by how the scale's steps are spaced); Pearson is computed on the same hires
  for readers used to it.
* **A percentile bootstrap interval**: ``B`` resamples of the hires with replacement from a
  seeded generator (the same data give the same interval on every read), the
  ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the resampled correlations.
  Resamples where one side is constant (no correlation defined) are dropped.
* **A minimum n**: below ``min_n`` hires with both a score and an outcome the figure is
  withheld, with a sentence saying why; so is a sample where every score or every outcome is
  the same.
* **Noisy interviewers** (:func:`compare_to_panel`): an interviewer is flagged when, on the
  hires they interviewed, their own rating predicts the outcome clearly worse than the
  panel's calibrated overall on the same hires: the bootstrap interval of
  ``r(theirs) - r(panel)`` (both from the same resampled hires) lies wholly below zero.
  Two-sided, though the question is one-sided, on purpose: one interviewer's rating is
  always somewhat noisier than a panel's mean, and calling someone noisy should need more
  than that (the simulation in ``bench/validity_simulation.py`` measures the trade-off).
* **Suggested weights** (:func:`suggest_weights`): never applied, only shown. Dimensions whose
  interval lies wholly above zero share the weight they hold between them in proportion to
  their correlation; a dimension whose interval lies wholly below zero is suggested 0 (its
  weight goes to the ones that predict); every other dimension (too few hires, or an interval
  straddling zero: the data cannot tell) keeps its weight. The profile's total is unchanged.
  With no dimension clearly predictive there is no suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SPEARMAN = "spearman"
PEARSON = "pearson"
METHODS = (SPEARMAN, PEARSON)
DEFAULT_METHOD = SPEARMAN
# One number per hire: a list, a tuple or a numpy vector.
Numbers = Sequence[float] | np.ndarray
DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
DEFAULT_SEED = 18
DEFAULT_MIN_N = 15
# Resampling works on a (resamples x hires) matrix and a (hires x hires) one for ranks:
# this many resamples at a time keeps memory small however many hires.
_CHUNK = 250

# Why a figure is withheld (stable codes; pages print the sentence).
TOO_FEW = "too_few"
NO_SPREAD = "no_spread"


@dataclass(frozen=True)
class Checkpoint:
    """One recorded outcome of a hire (``hiring.models.HireOutcome``, as plain values)."""

    months: int
    performance: int | None
    scale_max: int
    still_employed: bool
    regretted: bool | None


def outcome_score(checkpoints: Sequence[Checkpoint]) -> float | None:
    """The hire's outcome on 0..1 (see the module's docstring), or ``None``: nothing usable."""
    for checkpoint in sorted(checkpoints, key=lambda c: c.months, reverse=True):
        if checkpoint.performance is not None:
            span = max(checkpoint.scale_max - 1, 1)
            return min(max((checkpoint.performance - 1) / span, 0.0), 1.0)
        if not checkpoint.still_employed and checkpoint.regretted is False:
            return 0.0
    return None


@dataclass(frozen=True)
class Correlation:
    """A validity figure: the correlation of a score with the outcome over ``n`` hires.
    ``r`` (the method's), its interval and ``pearson`` are ``None`` when withheld, and then
    ``withheld`` holds the reason's code and ``message`` its sentence."""

    n: int
    method: str = DEFAULT_METHOD
    r: float | None = None
    low: float | None = None
    high: float | None = None
    pearson: float | None = None
    level: float = DEFAULT_LEVEL
    resamples: int = 0  # resamples behind the interval (degenerate ones dropped)
    withheld: str = ""
    message: str = ""

    @property
    def shown(self) -> bool:
        return self.r is not None

    @property
    def clearly_positive(self) -> bool:
        return self.low is not None and self.low > 0

    @property
    def clearly_negative(self) -> bool:
        return self.high is not None and self.high < 0


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    less = (values[:, None] > values[None, :]).sum(axis=1)
    equal = (values[:, None] == values[None, :]).sum(axis=1)
    return less + (equal + 1) / 2.0


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    dx, dy = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    if denominator == 0.0:
        return None
    return float((dx * dy).sum() / denominator)


def pearson(x: Numbers, y: Numbers) -> float | None:
    """Pearson's r, or ``None`` when either side has no spread (or fewer than 2 pairs)."""
    ax, ay = _pair(x, y)
    return _pearson(ax, ay) if len(ax) >= 2 else None


def spearman(x: Numbers, y: Numbers) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks (ties handled), or ``None``."""
    ax, ay = _pair(x, y)
    if len(ax) < 2:
        return None
    return _pearson(_average_ranks(ax), _average_ranks(ay))


def _pair(x: Numbers, y: Numbers) -> tuple[np.ndarray, np.ndarray]:
    ax, ay = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if ax.shape != ay.shape or ax.ndim != 1:
        raise ValueError("x and y must be two sequences of the same length")
    if not (np.isfinite(ax).all() and np.isfinite(ay).all()):
        raise ValueError("x and y must be finite numbers")
    return ax, ay


def _resample_counts(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``size`` bootstrap resamples of ``n`` hires, as how often each hire was drawn."""
    draws = rng.integers(0, n, size=(size, n))
    offsets = (np.arange(size) * n)[:, None]
    return (
        np.bincount((draws + offsets).ravel(), minlength=size * n)
        .reshape(size, n)
        .astype(np.float64)
    )


def _weighted_r(counts: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each resample (rows of ``counts``: per-hire multiplicities) whose values
    are ``x`` and ``y`` (one row each, or one per resample); NaN where undefined."""
    total = counts.sum(axis=1, keepdims=True)
    mx = (counts * x).sum(axis=1, keepdims=True) / total
    my = (counts * y).sum(axis=1, keepdims=True) / total
    dx, dy = x - mx, y - my
    sxy = (counts * dx * dy).sum(axis=1)
    sxx = (counts * dx * dx).sum(axis=1)
    syy = (counts * dy * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxy / np.sqrt(sxx * syy)
    # Rounding can leave a constant side a hair above zero: treat it as no spread.
    r[(sxx <= 1e-12 * total[:, 0] ** 2) | (syy <= 1e-12 * total[:, 0] ** 2)] = np.nan
    return r


def _resampled_ranks(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each hire's average rank within each resample (duplicates of a hire tie with each
    other): ``sum_k c_k [v_k < v_j] + (sum_k c_k [v_k = v_j] + 1) / 2``."""
    less = (values[:, None] < values[None, :]).astype(np.float64)
    equal = (values[:, None] == values[None, :]).astype(np.float64)
    return counts @ less + (counts @ equal + 1.0) / 2.0


def _bootstrap(
    xs: Sequence[np.ndarray], y: np.ndarray, *, method: str, resamples: int, seed: int
) -> np.ndarray:
    """The correlation of each ``xs[i]`` with ``y`` on the same resamples: (resamples x len(xs)),
    NaN where a resample leaves a side constant."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    rng = np.random.default_rng(seed)
    n = len(y)
    chunks = []
    for start in range(0, resamples, _CHUNK):
        counts = _resample_counts(rng, min(_CHUNK, resamples - start), n)
        if method == SPEARMAN:
            ry = _resampled_ranks(counts, y)
            columns = [_weighted_r(counts, _resampled_ranks(counts, x), ry) for x in xs]
        else:
            columns = [_weighted_r(counts, x[None, :], y[None, :]) for x in xs]
        chunks.append(np.column_stack(columns))
    return np.concatenate(chunks) if chunks else np.empty((0, len(xs)))


def _interval(values: np.ndarray, level: float) -> tuple[float | None, float | None, int]:
    kept = values[np.isfinite(values)]
    if len(kept) == 0:
        return None, None, 0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(kept, [tail, 1.0 - tail])
    return float(low), float(high), len(kept)


def _check(min_n: int, resamples: int, level: float) -> None:
    if min_n < 3:
        raise ValueError("min_n must be at least 3")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")


def too_few_message(n: int, min_n: int) -> str:
    if n == 0:
        return f"No hire has both a score and an outcome yet: the figure is shown from {min_n} on."
    hires = "hire" if n == 1 else "hires"
    return (
        f"Only {n} {hires} with both a score and an outcome: the figure is shown from "
        f"{min_n} hires on, below that it would be mostly noise."
    )


NO_SPREAD_MESSAGE = (
    "Every hire here has the same score or the same outcome: there is no correlation to measure."
)


def validity(
    scores: Numbers,
    outcomes: Numbers,
    *,
    method: str = DEFAULT_METHOD,
    min_n: int = DEFAULT_MIN_N,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> Correlation:
    """The correlation of interview ``scores`` with ``outcomes`` (one pair per hire), with a
    percentile bootstrap interval, or the reason it is withheld."""
    _check(min_n, resamples, level)
    x, y = _pair(scores, outcomes)
    n = len(x)
    if n < min_n:
        return Correlation(
            n=n, method=method, level=level, withheld=TOO_FEW, message=too_few_message(n, min_n)
        )
    point = spearman(x, y) if method == SPEARMAN else pearson(x, y)
    if point is None:
        return Correlation(
            n=n, method=method, level=level, withheld=NO_SPREAD, message=NO_SPREAD_MESSAGE
        )
    low, high, kept = _interval(
        _bootstrap([x], y, method=method, resamples=resamples, seed=seed)[:, 0], level
    )
    return Correlation(
        n=n,
        method=method,
        r=point,
        low=low,
        high=high,
        pearson=pearson(x, y),
        level=level,
        resamples=kept,
    )


@dataclass(frozen=True)
class PanelComparison:
    """An interviewer's own validity beside the panel's on the same hires, and the bootstrap
    interval of the difference (theirs minus the panel's). ``noisy``: the difference is
    clearly negative (its interval wholly below zero)."""

    own: Correlation
    panel: Correlation
    difference: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def noisy(self) -> bool:
        return self.high is not None and self.high < 0


def compare_to_panel(
    own_scores: Numbers,
    panel_scores: Numbers,
    outcomes: Numbers,
    *,
    method: str = DEFAULT_METHOD,
    min_n: int = DEFAULT_MIN_N,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> PanelComparison:
    """One interviewer's hires: their own rating, the panel's calibrated overall and the
    outcome of each. The two correlations use the same resamples, so their difference's
    interval accounts for both coming from the same hires."""
    options = {"method": method, "min_n": min_n, "resamples": resamples, "level": level}
    own = validity(own_scores, outcomes, seed=seed, **options)  # type: ignore[arg-type]
    panel = validity(panel_scores, outcomes, seed=seed, **options)  # type: ignore[arg-type]
    if not (own.shown and panel.shown):
        return PanelComparison(own=own, panel=panel)
    x_own, y = _pair(own_scores, outcomes)
    x_panel, _ = _pair(panel_scores, outcomes)
    both = _bootstrap([x_own, x_panel], y, method=method, resamples=resamples, seed=seed)
    difference = both[:, 0] - both[:, 1]
    low, high, _ = _interval(difference, level)
    assert own.r is not None
    assert panel.r is not None
    return PanelComparison(own=own, panel=panel, difference=own.r - panel.r, low=low, high=high)


# Why a dimension's suggested weight is what it is.
PREDICTS = "predicts"  # interval above zero: shares the pool in proportion to r
PREDICTS_AGAINST = "predicts_against"  # interval below zero: suggested 0
UNCLEAR = "unclear"  # too few hires or an interval straddling zero: keeps its weight

ADVICE_WORDS = {
    PREDICTS: "Predicts the outcome: weighted by how strongly.",
    PREDICTS_AGAINST: "Higher scores went with worse outcomes: suggested 0.",
    UNCLEAR: "The data cannot tell yet: keeps its weight.",
}


@dataclass(frozen=True)
class WeightAdvice:
    dimension: str
    current: float
    suggested: float
    reason: str  # PREDICTS, PREDICTS_AGAINST or UNCLEAR

    @property
    def words(self) -> str:
        return ADVICE_WORDS[self.reason]


def suggest_weights(
    current: Mapping[str, float], validities: Mapping[str, Correlation]
) -> list[WeightAdvice] | None:
    """Suggested weights for the profile's dimensions (in ``current``'s order), or ``None``
    when no dimension clearly predicts the outcome (see the module's docstring)."""
    reasons: dict[str, str] = {}
    for dimension in current:
        figure = validities.get(dimension)
        if figure is not None and figure.clearly_positive:
            reasons[dimension] = PREDICTS
        elif figure is not None and figure.clearly_negative:
            reasons[dimension] = PREDICTS_AGAINST
        else:
            reasons[dimension] = UNCLEAR
    predictive = [d for d in current if reasons[d] == PREDICTS]
    if not predictive:
        return None
    pool = sum(float(current[d]) for d in current if reasons[d] != UNCLEAR)
    strength = {d: float(validities[d].r or 0.0) for d in predictive}
    total_strength = sum(strength.values())
    advice = []
    for dimension, weight in current.items():
        reason = reasons[dimension]
        if reason == PREDICTS:
            suggested = pool * strength[dimension] / total_strength
        elif reason == PREDICTS_AGAINST:
            suggested = 0.0
        else:
            suggested = float(weight)
        advice.append(WeightAdvice(dimension, float(weight), suggested, reason))
    return advice


# --- A whole report, from plain per-hire records ---------------------------------------------


@dataclass(frozen=True)
class Hire:
    """One hire as the report reads it: the per-dimension calibrated scores of their loop, its
    calibrated overall, each interviewer's own rating of them (the mean of the ratings on
    that interviewer's scorecards) and the hire's outcome (:func:`outcome_score`)."""

    outcome: float
    overall: float | None
    dimensions: Mapping[str, float]
    interviewers: Mapping[str, float]


@dataclass(frozen=True)
class Analysis:
    n_hires: int  # hires with an outcome
    overall: Correlation
    dimensions: dict[str, Correlation]  # in the profile's order
    interviewers: dict[str, PanelComparison]  # those with at least min_n hires
    interviewers_below_min_n: int  # interviewers with some hires, fewer than min_n
    weights: list[WeightAdvice] | None
    min_n: int

    @property
    def noisy(self) -> list[str]:
        return [key for key, row in self.interviewers.items() if row.noisy]


def analyse(
    hires: Sequence[Hire],
    *,
    weights: Mapping[str, float],
    method: str = DEFAULT_METHOD,
    min_n: int = DEFAULT_MIN_N,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
    interviewers: bool = True,
) -> Analysis:
    """Every validity figure of a role profile (``weights``: its dimensions and current
    weights, in order) from its hires: the calibrated overall, each dimension, each interviewer
    with enough hires against the panel (skipped when ``interviewers`` is False: a reader
    who may not see them), and the suggested weights."""
    options = {
        "method": method,
        "min_n": min_n,
        "resamples": resamples,
        "level": level,
        "seed": seed,
    }
    rated = [h for h in hires if h.overall is not None]
    overall = validity(
        [h.overall for h in rated if h.overall is not None],
        [h.outcome for h in rated],
        **options,  # type: ignore[arg-type]
    )
    dimensions = {}
    for dimension in weights:
        pairs = [(h.dimensions[dimension], h.outcome) for h in hires if dimension in h.dimensions]
        dimensions[dimension] = validity(
            [p[0] for p in pairs],
            [p[1] for p in pairs],
            **options,  # type: ignore[arg-type]
        )
    rows: dict[str, PanelComparison] = {}
    below = 0
    if interviewers:
        seen: dict[str, list[Hire]] = {}
        for hire in rated:
            for key in hire.interviewers:
                seen.setdefault(key, []).append(hire)
        for key in sorted(seen):
            theirs = seen[key]
            if len(theirs) < min_n:
                below += 1
                continue
            rows[key] = compare_to_panel(
                [h.interviewers[key] for h in theirs],
                [h.overall for h in theirs if h.overall is not None],
                [h.outcome for h in theirs],
                **options,  # type: ignore[arg-type]
            )
    return Analysis(
        n_hires=len(hires),
        overall=overall,
        dimensions=dimensions,
        interviewers=rows,
        interviewers_below_min_n=below,
        weights=suggest_weights(weights, dimensions),
        min_n=min_n,
    )
