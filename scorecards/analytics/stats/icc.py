"""Inter-rater reliability: the one-way random intraclass correlation, ICC(1), with its
F-based confidence interval (Shrout & Fleiss 1979, case 1; McGraw & Wong 1996, "ICC(1)").

Why the one-way model. A candidate is rated on a dimension by the interviewers of their own
panel: different, overlapping people from one candidate to the next, and a different number
of them (one interview covers a dimension, another covers it twice). The two-way models
(ICC(2,1), ICC(3,1)) need the same raters to rate every target, crossed; here raters are
nested in targets. The one-way model asks the honest question for that design: how much of
the spread of single ratings is between candidates rather than within a candidate's panel.
Differences between raters (leniency included) count as disagreement, so it is the
conservative one: a panel of one lenient and one harsh interviewer who rank candidates alike
still loses reliability here (the calibration corrects for leniency; this figure measures the
raw ratings people wrote).

With groups ``i = 1..k`` (the candidates with at least two ratings of the dimension; a
candidate rated once says nothing about agreement and is left out), ``n_i`` ratings each,
``N = sum n_i``:

    MSB = sum_i n_i (mean_i - grand_mean)^2 / (k - 1)        between candidates
    MSW = sum_i sum_j (x_ij - mean_i)^2 / (N - k)            within a candidate's panel
    n0  = (N - sum_i n_i^2 / N) / (k - 1)                    the "average" panel size
    ICC(1)   = (MSB - MSW) / (MSB + (n0 - 1) MSW)            one rating's reliability
    ICC(1,k) = (MSB - MSW) / MSB                             a panel mean's (of n0 ratings)

``n0`` is the adjusted group size for unbalanced groups (Snedecor & Cochran; Donner 1986):
with equal panels it is their size. The interval, at level ``1 - alpha``, from
``F = MSB / MSW`` on ``(k - 1, N - k)`` degrees of freedom:

    FL = F / F_{1-alpha/2}(k-1, N-k)      FU = F * F_{1-alpha/2}(N-k, k-1)
    ICC(1):   [(FL - 1) / (FL + n0 - 1),  (FU - 1) / (FU + n0 - 1)]
    ICC(1,k): [1 - 1 / FL,  1 - 1 / FU]

With unequal panels the F interval is an approximation (exact for balanced data); with a few
candidates it is wide, and it is printed as it comes (a lower end below zero means the data
do not rule out no agreement at all).

The F quantile comes from the regularised incomplete beta function (a continued fraction,
Numerical Recipes §6.4) inverted by bisection: no SciPy needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Icc:
    icc: float  # ICC(1): the reliability of one rating
    low: float | None
    high: float | None
    icc_average: float  # ICC(1,k): the reliability of a panel's mean of n0 ratings
    average_low: float | None
    average_high: float | None
    candidates: int  # k: candidates with two or more ratings
    ratings: int  # N: their ratings
    n0: float
    msb: float
    msw: float
    level: float


def icc_oneway(
    groups: Mapping[Any, Sequence[float]] | Sequence[Sequence[float]], *, level: float = 0.95
) -> Icc | None:
    """ICC(1) of the ratings grouped by candidate, or None when there is nothing to measure:
    fewer than two candidates with two ratings, or no spread at all."""
    values = groups.values() if isinstance(groups, Mapping) else groups
    kept = [[float(x) for x in group] for group in values if len(group) >= 2]
    k = len(kept)
    n_total = sum(len(group) for group in kept)
    if k < 2:
        return None
    grand = sum(sum(group) for group in kept) / n_total
    means = [sum(group) / len(group) for group in kept]
    ssb = sum(len(group) * (mean - grand) ** 2 for group, mean in zip(kept, means, strict=True))
    ssw = sum((x - mean) ** 2 for group, mean in zip(kept, means, strict=True) for x in group)
    df1, df2 = k - 1, n_total - k
    msb, msw = ssb / df1, ssw / df2
    n0 = (n_total - sum(len(group) ** 2 for group in kept) / n_total) / df1
    if msb + msw <= 0:
        return None  # every rating the same: agreement is undefined, not perfect
    if msw == 0:
        # Panels agree exactly within every candidate: ICC is 1 and F is infinite.
        return Icc(1.0, None, None, 1.0, None, None, k, n_total, n0, msb, msw, level)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    icc_average = (msb - msw) / msb if msb > 0 else -math.inf
    f = msb / msw
    alpha = 1 - level
    f_low = f / f_quantile(1 - alpha / 2, df1, df2)
    f_high = f * f_quantile(1 - alpha / 2, df2, df1)
    return Icc(
        icc=icc,
        low=(f_low - 1) / (f_low + n0 - 1),
        high=(f_high - 1) / (f_high + n0 - 1),
        icc_average=icc_average,
        average_low=1 - 1 / f_low,
        average_high=1 - 1 / f_high,
        candidates=k,
        ratings=n_total,
        n0=n0,
        msb=msb,
        msw=msw,
        level=level,
    )


# --- The F distribution ------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta (modified Lentz), as Numerical Recipes
    §6.4 ``betacf``."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def beta_regularized(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def f_cdf(f: float, df1: float, df2: float) -> float:
    """P(F <= f) for F on (df1, df2) degrees of freedom."""
    if f <= 0:
        return 0.0
    return beta_regularized(df1 / 2, df2 / 2, df1 * f / (df1 * f + df2))


def f_quantile(p: float, df1: float, df2: float) -> float:
    """The ``p`` quantile of F on (df1, df2) degrees of freedom, by bisection on the beta
    variable x = df1 F / (df1 F + df2), which lives in (0, 1)."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if beta_regularized(df1 / 2, df2 / 2, mid) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    x = (lo + hi) / 2
    return df2 * x / (df1 * (1 - x))
