"""TOMTOM in NumPy (motif.tomtom) against memelite's numba-compiled TOMTOM, the reference it reimplements."""

import numpy as np
import pytest
from motif_fixtures import make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)

from motif.jaspar import load_jaspar
from motif.pipeline import MotifParams, find_motifs
from motif.tomtom import NUMPY_MAX_QUERIES, tomtom, tomtom_numpy

pytestmark = pytest.mark.usefixtures("tomtom_warm")

FIELDS = ("p", "score", "offset", "overlap", "strand")


def compiled(queries, targets):
    from memelite import tomtom as memelite_tomtom

    return memelite_tomtom([np.asarray(q, dtype=np.float64) for q in queries], [np.asarray(t, dtype=np.float64) for t in targets])


def assert_same(ours, reference):
    for name, a, b in zip(FIELDS, ours, reference):
        if name == "p":
            assert np.all((a > 0) == (b > 0))
            both = (a > 0) & (b > 0)
            np.testing.assert_allclose(np.log(a[both]), np.log(b[both]), rtol=0, atol=1e-9, err_msg=name)  # relative 1e-9
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


def test_jaspar_and_random_queries_against_jaspar():
    db = load_jaspar()
    rng = np.random.default_rng(1)
    queries = [db.ppms[i] for i in (0, 17, 300, 878)]
    queries += [rng.dirichlet(np.full(4, 0.4), size=w).T for w in (1, 5, 12, 30, 45)]  # widths 1..45, some wider than every target
    ours, reference = tomtom_numpy(queries, list(db.ppms)), compiled(queries, list(db.ppms))
    assert_same(ours, reference)
    assert reference[0].min() < 1e-20  # the comparison reaches the far tail (each JASPAR query against itself)


def test_discovered_motifs_against_motifs_and_jaspar():
    """The redundancy step's call: found motifs against themselves plus JASPAR."""
    data = make_planted(300, 300, motifs=("REST", "CTCF"), seed=3)
    db = load_jaspar()
    found = find_motifs(data.pos, data.scores, data.neg, MotifParams(), db)
    queries = [m.ppm for m in found.motifs]
    assert len(queries) >= 2
    targets = queries + list(db.ppms)
    assert_same(tomtom_numpy(queries, targets), compiled(queries, targets))


def test_small_targets_and_count_matrices():
    """Few targets (memelite warns: the null comes from them) and columns not summing to 1 still agree."""
    rng = np.random.default_rng(7)
    targets = [rng.integers(0, 20, size=(4, w)).astype(float) + 0.5 for w in (4, 8, 8, 15)]
    queries = [targets[1][:, 2:7], rng.dirichlet(np.ones(4), size=9).T]
    with pytest.warns(UserWarning):
        reference = compiled(queries, targets)
    assert_same(tomtom_numpy(queries, targets), reference)


def test_best_match_of_a_jaspar_matrix_is_itself_and_its_reverse_complement():
    db = load_jaspar()
    m = db.ppms[42]
    p, _, offset, overlap, strand = tomtom([m, m[::-1, ::-1]], list(db.ppms))
    assert p[:, 42].tolist() == [p[0].min(), p[1].min()]
    assert offset[:, 42].tolist() == [0, 0] and overlap[:, 42].tolist() == [m.shape[1]] * 2
    assert strand[:, 42].tolist() == [0, 1]


def test_dispatch_numpy_for_few_queries_compiled_for_many():
    db = load_jaspar()
    few = list(db.ppms[:3])
    for a, b in zip(tomtom(few, list(db.ppms)), tomtom_numpy(few, list(db.ppms))):
        np.testing.assert_array_equal(a, b)
    many = list(db.ppms[: NUMPY_MAX_QUERIES + 1])
    for a, b in zip(tomtom(many, list(db.ppms[:100])), compiled(many, list(db.ppms[:100]))):
        np.testing.assert_array_equal(a, b)
