"""Does calibration rank candidates better than the raw scores? A simulation.

Interviewers have a leniency ~ N(0, 0.5); candidates a true ability ~ N(0, 0.7); each loop is
5 distinct interviewers, each rating the 4 focus dimensions of their interview (of 6) with a
shared interview effect ~ N(0, 0.3) (the "halo" of one conversation) and noise ~ N(0, 0.6),
rounded and clipped to the 1-4 scale. 1,200 historical loops and 400 loops to rank; the fit
sees all of them (as the nightly refit does), the metrics are computed on the 400.

Scenarios:

* random      - panels drawn at random;
* confounded  - the harshest third of interviewers are "senior", and the stronger a candidate,
                the more of their panel is senior (from ~0.5 of 5 for the weakest to ~4.5 for
                the strongest): the normal case of strong candidates reaching senior people;
* uneven      - panels at random, but each interview covers 2, 3 or 4 of the 6 dimensions
                (about half): within a loop one dimension is rated once, another four times,
                and some not at all;
* spread      - uneven coverage, and candidates differ by dimension too: each has a true
                deviation ~ N(0, 0.4) on each dimension, and the truth ranked against is the
                profile's weighted mean of their true dimension scores (in the other
                scenarios every dimension measures the same ability).

Methods: raw weighted mean; per-interviewer z-score (each interviewer's ratings standardised
by their own mean and sd over all history); "rater mean - global mean" subtracted (the naive
correction DESIGN §4 rules out); plain mean of all ratings; Loopwise's weighted mean of
calibrated dimension means (``score_loop`` without a dimension spread, the model before
"ridge-als-2"); the joint fit's own candidate effect ``theta``; and the precision-aware
overall (``score_loop`` with the fitted dimension spread), calibrated and raw.

Metrics on the 400 candidates, averaged over fixed seeds: Spearman rank correlation of the
score with true ability, and the share of the true top 20 % that the top 20 % by score catches.
Paired differences (same seeds) are given as mean, sd across seeds and standard error.

    .venv/bin/python bench/evaluate_calibration.py
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecards.calibration.model import LoopRating, fit_leniency, score_loop

SEEDS = tuple(range(11, 31))
N_INTERVIEWERS = 60
N_HISTORY = 1_200
N_EVAL = 400
N_DIMENSIONS = 6
FOCUS = 4
PANEL = 5
LENIENCY_SD = 0.5
ABILITY_SD = 0.7
HALO_SD = 0.3
NOISE_SD = 0.6
TOP_SHARE = 0.2
UNEVEN_FOCUS = (2, 3, 4)  # dimensions per interview in the uneven scenarios
DIMENSION_SD = 0.4  # a candidate's own deviation per dimension, in the "spread" scenario
SCENARIOS = {  # name: (confounded, uneven, dimension spread)
    "random": (False, False, False),
    "confounded": (True, False, False),
    "uneven": (False, True, False),
    "spread": (False, True, True),
}
WEIGHTS = {f"d{k}": w for k, w in enumerate((2.0, 1.5, 1.0, 1.0, 1.0, 0.5))}


@dataclass
class World:
    cand: np.ndarray
    inter: np.ndarray
    dim: np.ndarray
    values: np.ndarray
    ability: np.ndarray


def simulate(seed: int, confounded: bool, uneven: bool = False, spread: bool = False) -> World:
    rng = np.random.default_rng(seed)
    n_cand = N_HISTORY + N_EVAL
    ability = rng.normal(0.0, ABILITY_SD, n_cand)
    leniency = rng.normal(0.0, LENIENCY_SD, N_INTERVIEWERS)
    senior = np.argsort(leniency)[: N_INTERVIEWERS // 3]  # the harshest third
    junior = np.setdiff1d(np.arange(N_INTERVIEWERS), senior)
    mu = rng.normal(2.6, 0.2, N_DIMENSIONS)
    rank = np.argsort(np.argsort(ability)) / (n_cand - 1)

    cand, inter, dim, sizes = [], [], [], []
    for c in range(n_cand):
        if confounded:
            n_senior = rng.binomial(PANEL, 0.1 + 0.8 * rank[c])
            panel = np.concatenate(
                [
                    rng.choice(senior, n_senior, replace=False),
                    rng.choice(junior, PANEL - n_senior, replace=False),
                ]
            )
        else:
            panel = rng.choice(N_INTERVIEWERS, PANEL, replace=False)
        for i in panel:
            size = int(rng.choice(UNEVEN_FOCUS)) if uneven else FOCUS
            focus = rng.choice(N_DIMENSIONS, size, replace=False)
            cand.extend([c] * size)
            inter.extend([int(i)] * size)
            dim.extend(focus.tolist())
            sizes.append(size)
    cand_a, inter_a, dim_a = np.array(cand), np.array(inter), np.array(dim)
    halo = np.repeat(rng.normal(0.0, HALO_SD, len(sizes)), sizes)
    own = (
        rng.normal(0.0, DIMENSION_SD, (n_cand, N_DIMENSIONS))
        if spread
        else np.zeros((n_cand, N_DIMENSIONS))
    )
    latent = (
        mu[dim_a]
        + ability[cand_a]
        + own[cand_a, dim_a]
        + leniency[inter_a]
        + halo
        + rng.normal(0.0, NOISE_SD, cand_a.shape[0])
    )
    values = np.clip(np.round(latent), 1, 4)
    weights = np.array(list(WEIGHTS.values()))
    truth = ability + own @ (weights / weights.sum()) if spread else ability
    return World(cand_a, inter_a, dim_a, values, truth)


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (1-based)."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    first = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], x.shape[0]]
    avg = (starts + ends - 1) / 2.0 + 1.0
    out = np.empty(x.shape[0])
    out[order] = avg[group]
    return out


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def top_share(score: np.ndarray, truth: np.ndarray) -> float:
    k = round(TOP_SHARE * truth.shape[0])
    picked = set(np.argsort(-score, kind="mergesort")[:k].tolist())
    best = set(np.argsort(-truth, kind="mergesort")[:k].tolist())
    return len(picked & best) / k


def weighted_loop_score(w: World, c: int, per_rating: np.ndarray) -> float:
    """The profile's weighted mean over dimensions of per-dimension means of ``per_rating``."""
    mask = w.cand == c
    total = weight_sum = 0.0
    for k in np.unique(w.dim[mask]):
        sel = mask & (w.dim == k)
        weight = WEIGHTS[f"d{k}"]
        total += weight * float(per_rating[sel].mean())
        weight_sum += weight
    return total / weight_sum


def evaluate(w: World) -> dict[str, np.ndarray]:
    eval_c = np.arange(N_HISTORY, N_HISTORY + N_EVAL)
    n_i = np.bincount(w.inter, minlength=N_INTERVIEWERS)
    # z-score: each interviewer's ratings standardised by their own history.
    mean_i = np.bincount(w.inter, weights=w.values, minlength=N_INTERVIEWERS) / n_i
    sq_i = np.bincount(w.inter, weights=w.values**2, minlength=N_INTERVIEWERS) / n_i
    sd_i = np.sqrt(np.maximum(sq_i - mean_i**2, 1e-6))
    z = (w.values - mean_i[w.inter]) / sd_i[w.inter]
    # Naive correction: subtract (rater mean - global mean).
    naive = w.values - (mean_i - w.values.mean())[w.inter]

    fit = fit_leniency(
        w.cand, w.inter, w.dim, w.values, N_HISTORY + N_EVAL, N_INTERVIEWERS, N_DIMENSIONS
    )
    leniency = {str(i): float(b) for i, b in enumerate(fit.leniency)}
    leniency_var = {str(i): float(s) ** 2 for i, s in enumerate(fit.leniency_se)}
    means = {f"d{k}": float(m) for k, m in enumerate(fit.mu)}

    scores = {name: np.empty(N_EVAL) for name in LABELS}
    order = np.argsort(w.cand, kind="mergesort")
    bounds = np.searchsorted(w.cand[order], [N_HISTORY, N_HISTORY + N_EVAL])
    by_candidate = np.split(
        order[bounds[0] : bounds[1]],
        np.flatnonzero(np.diff(w.cand[order[bounds[0] : bounds[1]]])) + 1,
    )
    for k, rows in enumerate(by_candidate):
        loop = [LoopRating(str(w.inter[r]), f"d{w.dim[r]}", float(w.values[r])) for r in rows]
        result = score_loop(
            loop,
            leniency,
            WEIGHTS,
            fit.residual_variance,
            leniency_variance=leniency_var,
            pair_variance=fit.pair_variance,
            dimension_variance=fit.dimension_variance,
            rating_variance=fit.rating_variance,
            dimension_means=means,
        )
        overall = result.overall
        assert overall.raw is not None
        assert overall.calibrated is not None
        assert overall.weighted_mean is not None
        assert overall.raw_weighted_mean is not None
        c = int(w.cand[rows[0]])
        scores["raw"][k] = overall.raw_weighted_mean
        scores["plain"][k] = float(w.values[rows].mean())
        scores["loopwise"][k] = overall.weighted_mean
        scores["theta"][k] = float(fit.theta[c])
        scores["precise"][k] = overall.calibrated
        scores["precise_raw"][k] = overall.raw
        scores["zscore"][k] = weighted_loop_score(w, c, z)
        scores["naive"][k] = weighted_loop_score(w, c, naive)
    truth = w.ability[eval_c]
    return {name: np.array([spearman(s, truth), top_share(s, truth)]) for name, s in scores.items()}


LABELS = {
    "raw": "raw weighted mean",
    "plain": "raw plain mean of all ratings",
    "zscore": "per-interviewer z-score",
    "naive": "rater mean - global mean",
    "loopwise": "Loopwise weighted mean of calibrated means (ridge-als-1)",
    "theta": "joint model's candidate effect",
    "precise": "Loopwise precision-aware overall (ridge-als-2)",
    "precise_raw": "precision-aware raw overall (no leniency correction)",
}
#: Paired comparisons printed: (method, baseline).
PAIRS = (
    ("precise", "theta"),
    ("precise", "loopwise"),
    ("precise_raw", "plain"),
    ("precise_raw", "raw"),
    ("loopwise", "raw"),
    ("loopwise", "zscore"),
)


def main() -> None:
    start = time.perf_counter()
    print(
        f"{len(SEEDS)} seeds; {N_INTERVIEWERS} interviewers, {N_HISTORY} history + {N_EVAL} "
        f"ranked loops of {PANEL} interviewers x {FOCUS} of {N_DIMENSIONS} dimensions; "
        f"leniency sd {LENIENCY_SD}, ability sd {ABILITY_SD}, interview effect sd {HALO_SD}, "
        f"noise sd {NOISE_SD}, ratings rounded to 1-4.\n"
    )
    print("| scenario | method | Spearman rho (mean ± sd) | top-20 % caught (mean ± sd) |")
    print("|---|---|---|---|")
    paired: list[str] = []
    for scenario, flags in SCENARIOS.items():
        runs = [evaluate(simulate(seed, *flags)) for seed in SEEDS]
        for name, label in LABELS.items():
            values = np.array([r[name] for r in runs])
            mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
            print(
                f"| {scenario} | {label} | {mean[0]:.3f} ± {sd[0]:.3f} | "
                f"{mean[1]:.3f} ± {sd[1]:.3f} |"
            )
        for name, base in PAIRS:
            diff = np.array([r[name] - r[base] for r in runs])
            mean, sd = diff.mean(axis=0), diff.std(axis=0, ddof=1)
            se = sd / np.sqrt(len(runs))
            paired.append(
                f"| {scenario} | {LABELS[name]} - {LABELS[base]} | {mean[0]:+.4f} "
                f"(sd {sd[0]:.4f}, se {se[0]:.4f}) | {mean[1]:+.3f} (sd {sd[1]:.3f}, "
                f"se {se[1]:.3f}) |"
            )
    print("\nPaired differences over the same seeds (mean, sd across seeds, standard error):\n")
    print("| scenario | comparison | delta Spearman rho | delta top-20 % caught |")
    print("|---|---|---|---|")
    print("\n".join(paired))
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
