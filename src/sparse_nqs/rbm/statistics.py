"""Statistics of Z-basis samples of a chain (docs/rbm.md, "Metrics"), the same for the training data
and for the RBM's own block-Gibbs samples: the magnetisation m = (1/N) sum_i Z_i per sample, its mean
<m>, <|m|> and histogram over the N + 1 values of m, the connected correlation
C(d) = <Z_i Z_{i+d}> - <Z_i><Z_{i+d}> from the site i = N/2 (1-based; index N/2 - 1) for d = 0 .. N/2,
and the data's Z2 occurrence ratio. Samples are (n, N) arrays of 0/1 (QuCumber's convention: 1 = up).
"""

from __future__ import annotations

import numpy as np


def magnetisation(samples: np.ndarray) -> np.ndarray:
    """m = (1/N) sum_i Z_i of each sample (Z = 2 v - 1)."""
    return np.mean(2.0 * np.asarray(samples, dtype=np.float64) - 1.0, axis=1)


#: a configuration pair enters the Z2 ratio only when both members were seen this often: the ratio
#: of two small Poisson counts is noise (all pairs: 1.23 +- 0.91 on the N = 18, h = 1 data; 20 or
#: more each: 1.03 +- 0.20, the source's 0.98 +- 0.19)
Z2_MIN_COUNT = 20


def z2_ratio(samples: np.ndarray, min_count: int = Z2_MIN_COUNT) -> tuple[float, float]:
    """Mean and standard deviation of count(v) / count(1 - v) over the pairs {v, 1 - v} whose members
    were both seen at least ``min_count`` times, each pair once (v the member with its first spin
    up): the data's Z2 occurrence ratio, 1 for a symmetric distribution up to sampling noise."""
    samples = np.asarray(samples, dtype=np.int64)
    N = samples.shape[1]
    codes, counts = np.unique(samples @ (1 << np.arange(N - 1, -1, -1, dtype=np.int64)), return_counts=True)
    count = dict(zip(codes.tolist(), counts.tolist()))
    everything, first = (1 << N) - 1, 1 << (N - 1)  # XOR with all ones flips every spin
    ratios = [n / count[c ^ everything] for c, n in count.items()
              if c & first and n >= min_count and count.get(c ^ everything, 0) >= min_count]
    return (float(np.mean(ratios)), float(np.std(ratios))) if ratios else (float("nan"), float("nan"))


def midpoint(N: int) -> int:
    """The 0-based index of the site i = N/2 (1-based) from which C(d) is measured."""
    return N // 2 - 1


def correlations(samples) -> np.ndarray:
    """C(d) = <Z_i Z_{i+d}> - <Z_i><Z_{i+d}>, i the midpoint, d = 0 .. N/2."""
    z = 2.0 * np.asarray(samples, dtype=np.float64) - 1.0
    N = z.shape[1]
    i = midpoint(N)
    j = i + np.arange(N // 2 + 1)
    return np.mean(z[:, [i]] * z[:, j], axis=0) - np.mean(z[:, i]) * np.mean(z[:, j], axis=0)


def histogram(samples) -> np.ndarray:
    """Fraction of samples at each value m = -1, -1 + 2/N, ..., 1 (N + 1 entries)."""
    samples = np.asarray(samples)
    ups = samples.sum(axis=1).astype(np.int64)
    return np.bincount(ups, minlength=samples.shape[1] + 1) / len(samples)


def sample_statistics(samples) -> dict:
    """<m>, <|m|> with their standard deviations, the m histogram and C(d) of ``samples`` (n, N)."""
    m = magnetisation(samples)
    return {"m": float(m.mean()), "m_std": float(m.std()), "abs_m": float(np.abs(m).mean()),
            "abs_m_std": float(np.abs(m).std()), "n_samples": int(len(m)),
            "histogram": histogram(samples).tolist(), "correlations": correlations(samples).tolist()}
