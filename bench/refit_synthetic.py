"""Time the nightly calibration refit on a synthetic history of production size.

1,000,000 ratings: 20,000 candidates, each seen by 5 of 2,000 interviewers on all 10 dimensions.
Pure numpy, no database. Prints the fit time, the sweeps it took and the peak RSS.

    .venv/bin/python bench/refit_synthetic.py
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecards.calibration.model import fit_leniency

N_CANDIDATES = 20_000
N_INTERVIEWERS = 2_000
N_DIMENSIONS = 10
PER_LOOP = 5
SEED = 20240601


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def distinct_panels(rng: np.random.Generator) -> np.ndarray:
    """PER_LOOP distinct interviewers per candidate (rows with a repeat are redrawn)."""
    panel = rng.integers(0, N_INTERVIEWERS, (N_CANDIDATES, PER_LOOP))
    while True:
        ordered = np.sort(panel, axis=1)
        repeat = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeat.any():
            return panel
        panel[repeat] = rng.integers(0, N_INTERVIEWERS, (int(repeat.sum()), PER_LOOP))


def synthetic_history(seed: int = SEED) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, 0.7, N_CANDIDATES)
    leniency = rng.normal(0.0, 0.5, N_INTERVIEWERS)
    mu = rng.normal(2.7, 0.2, N_DIMENSIONS)
    panel = distinct_panels(rng)
    halo = rng.normal(0.0, 0.3, (N_CANDIDATES, PER_LOOP))
    cand = np.repeat(np.arange(N_CANDIDATES), PER_LOOP * N_DIMENSIONS)
    inter = np.repeat(panel.reshape(-1), N_DIMENSIONS)
    dim = np.tile(np.arange(N_DIMENSIONS), N_CANDIDATES * PER_LOOP)
    noise = rng.normal(0.0, 0.6, cand.shape[0])
    x = mu[dim] + ability[cand] + leniency[inter] + np.repeat(halo.reshape(-1), N_DIMENSIONS)
    values = np.clip(np.round(x + noise), 1, 4)
    return cand, inter, dim, values, leniency


def main() -> None:
    cand, inter, dim, values, leniency = synthetic_history()
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    fit = fit_leniency(cand, inter, dim, values, N_CANDIDATES, N_INTERVIEWERS, N_DIMENSIONS)
    seconds = time.perf_counter() - start
    corr = float(np.corrcoef(fit.leniency, leniency)[0, 1])
    print(
        f"ratings: {values.shape[0]:,}  candidates: {N_CANDIDATES:,}  "
        f"interviewers: {N_INTERVIEWERS:,}  dimensions: {N_DIMENSIONS}"
    )
    print(f"fit: {seconds:.2f} s  sweeps: {fit.iterations}  converged: {fit.converged}")
    print(
        f"shrinkage: {fit.shrinkage:.2f}  residual variance: {fit.residual_variance:.3f}  "
        f"interview-effect variance: {fit.pair_variance:.3f}  "
        f"leniency prior variance: {fit.prior_variance:.3f}"
    )
    print(f"correlation of fitted with true leniency: {corr:.3f}")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (after generating the data: {rss_before:.0f} MiB)")


if __name__ == "__main__":
    main()
