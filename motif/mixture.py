"""Are a motif's aligned windows one population of sites or two? A two-component mixture of PPMs.

One PPM (4, W) models windows whose columns are independent draws from
one matrix. Sites of two factors that share a core (YY1 and ZFP42 share
CAAAATGG, YY2 and ZFP42 share ATGGC, CTCFL's CAGGGGGC lies in CTCF), cut
around that core, are a mixture: the columns where the factors differ vary
together (ZFP42's CTGCC after the core is either all there or not at all).
:func:`two_populations` fits a mixture of two PPMs by expectation-maximisation
and compares it with one PPM by the Bayesian information criterion:

    delta_bic = 2 (log L2 - log L1) - (3 W + 1) ln n

(the second PPM adds 3 free probabilities per column and one mixing weight).
delta_bic > 0 says two populations. On planted data (3000 + 3000 sequences)
the windows of one factor give -190 to -390 (65 to 1077 windows), two factors
sharing a core +1488 (YY1 / ZFP42), +2682 (YY2 / ZFP42), +3511 (CTCF / CTCFL),
and YY1 sites caught by a YY2 motif +99; so no threshold other than 0 is
needed. Two other things also give two populations: the sites of one motif
of which a few are aligned at another offset (+2395 for 108 shifted windows
among 7680 of CCGCGNGGNGGCAG, whose GGNGG repeat lets a site align shifted),
which :mod:`motif.redundancy` recognises by aligning the two parts, and an
edge-fragment motif whose windows are partly on a stronger motif's sites
(+42, +51), whose parts that stage merges or drops. The same test decides
whether a weak motif loosely similar to a stronger one joins it (one
population in the union of their windows: -388 and -247 for two 7-bp YY2
variants against YY2).

The EM starts from the sign of each window's score on the first principal
component of the one-hot windows (the direction separating two populations
carries their difference), so the result is deterministic; it stops when the
log-likelihood grows by less than ``tol`` x n nats. Non-ACGT bases
(code 4) count as missing. Probabilities use the pipeline's PPM formula
(:func:`motif.pwm.probabilities`) with the responsibilities as weights.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from motif.pwm import probabilities


def one_hot(codes: np.ndarray) -> np.ndarray:
    """Windows (n, W) of codes 0..4 -> (n, 4 W) float64, column 4 j + b = [base j is b] (code 4: all zero)."""
    return (codes[:, :, None] == np.arange(4)).reshape(len(codes), -1).astype(np.float64)


def _log_ppm(cell: np.ndarray, weights: np.ndarray, pseudocount: float, background: np.ndarray) -> np.ndarray:
    """log PPM of weighted windows, shape (5, W), row 4 (non-ACGT) zero.

    ``cell`` (n, W) is code x W + column of every base (:func:`two_populations`), ``weights`` (n,).
    """
    w = cell.shape[1]
    counts = np.bincount(cell.ravel(), weights=np.repeat(weights, w), minlength=5 * w).reshape(5, w)
    out = np.zeros((5, w))
    out[:4] = np.log(probabilities(counts[:4], pseudocount, background))
    return out


def two_populations(
    codes: np.ndarray, pseudocount: float, background: np.ndarray, max_iter: int = 200, tol: float = 1e-4
) -> tuple[np.ndarray, float]:
    """Split aligned windows into two populations when a mixture of two PPMs fits better than one (module docstring).

    Parameters
    ----------
    codes : np.ndarray, shape (n, W), uint8
        Aligned windows (codes 0..3 = ACGT, 4 = other), all in the motif's orientation.
    pseudocount : float
        PPM pseudocount (spread by ``background``).
    background : np.ndarray, shape (4,)
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when the log-likelihood grows by less than ``tol`` x n (nats).

    Returns
    -------
    second : np.ndarray, shape (n,), bool
        Windows more likely under the smaller component.
    delta_bic : float
        2 (log L2 - log L1) - (3 W + 1) ln n; > 0 favours two populations.
    """
    n, w = codes.shape
    cell = codes.astype(np.int64) * w + np.arange(w)  # (n, W): index into a raveled (5, W) matrix

    def log_lik(weights: np.ndarray) -> np.ndarray:  # (n,): each window under the PPM of the weighted windows
        return _log_ppm(cell, weights, pseudocount, background).ravel()[cell].sum(axis=1)

    log_l1 = float(log_lik(np.ones(n)).sum())
    centred = one_hot(codes)
    centred -= centred.mean(axis=0)
    with threadpool_limits(1, user_api="blas"):  # (4W, 4W) is small: BLAS threads would only fight TOMTOM's numba threads
        pc1 = np.linalg.eigh(centred.T @ centred)[1][:, -1]  # (4W,): the covariance's leading eigenvector
        resp = (centred @ pc1 > 0).astype(np.float64)  # (n,): responsibility of component 2
    log_l2 = -np.inf
    for _ in range(max_iter):
        share = np.clip(resp.mean(), 1e-12, 1 - 1e-12)
        log_a, log_b = log_lik(1 - resp) + np.log(1 - share), log_lik(resp) + np.log(share)  # (n,) each
        total = np.logaddexp(log_a, log_b)
        resp = np.exp(log_b - total)
        gain, log_l2 = float(total.sum()) - log_l2, float(total.sum())
        if gain < tol * n:
            break
    second = resp > 0.5
    if second.sum() > n - second.sum():
        second = ~second
    return second, 2 * (log_l2 - log_l1) - (3 * w + 1) * np.log(n)
