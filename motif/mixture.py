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
delta_bic > 0 says two populations. Windows of one planted factor give
delta_bic far below 0 (-200 to -400 for 100..900 sites), two factors sharing a
core far above (+1500 to +3500 for 2500 sites), so no threshold other than 0
is needed.

The EM starts from the sign of each window's score on the first principal
component of the one-hot windows (the direction separating two populations
carries their difference), so the result is deterministic. Non-ACGT bases
(code 4) count as missing. Probabilities use the pipeline's PPM formula
(:func:`motif.pwm.probabilities`) with the responsibilities as weights.
"""

from __future__ import annotations

import numpy as np

from motif.pwm import probabilities


def one_hot(codes: np.ndarray) -> np.ndarray:
    """Windows (n, W) of codes 0..4 -> (n, 4 W) float64, column 4 j + b = [base j is b] (code 4: all zero)."""
    return (codes[:, :, None] == np.arange(4)).reshape(len(codes), -1).astype(np.float64)


def _log_ppm(x: np.ndarray, weights: np.ndarray, pseudocount: float, background: np.ndarray) -> np.ndarray:
    """log PPM of weighted one-hot windows: x (n, 4 W), weights (n,) -> (4 W,), ordered as x's columns."""
    counts = (weights @ x).reshape(-1, 4).T  # (4, W)
    return np.log(probabilities(counts, pseudocount, background)).T.reshape(-1)


def two_populations(
    codes: np.ndarray, pseudocount: float, background: np.ndarray, max_iter: int = 200, tol: float = 1e-6
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
    x = one_hot(codes)  # (n, 4W)
    log_l1 = float(x.sum(axis=0) @ _log_ppm(x, np.ones(n), pseudocount, background))
    centred = x - x.mean(axis=0)
    pc1 = np.linalg.eigh(centred.T @ centred)[1][:, -1]  # (4W,): the covariance's leading eigenvector
    resp = (centred @ pc1 > 0).astype(np.float64)  # (n,): responsibility of component 2
    log_l2 = -np.inf
    for _ in range(max_iter):
        share = np.clip(resp.mean(), 1e-12, 1 - 1e-12)
        log_joint = np.stack(
            [
                x @ _log_ppm(x, 1 - resp, pseudocount, background) + np.log(1 - share),
                x @ _log_ppm(x, resp, pseudocount, background) + np.log(share),
            ],
            axis=1,
        )  # (n, 2)
        total = np.logaddexp(log_joint[:, 0], log_joint[:, 1])  # (n,)
        resp = np.exp(log_joint[:, 1] - total)
        gain, log_l2 = float(total.sum()) - log_l2, float(total.sum())
        if gain < tol * n:
            break
    second = resp > 0.5
    if second.sum() > n - second.sum():
        second = ~second
    return second, 2 * (log_l2 - log_l1) - (3 * w + 1) * np.log(n)
