"""Motif logos: information content, reverse complement, TOMTOM alignment, PNG / SVG."""

import warnings

import numpy as np
import pytest

from dnabert_demo.synthetic import motif_ppm
from dnabert.errors import InputError
from viz.logos import aligned_logos, figure_bytes, information_matrix, motif_logo, reverse_complement_ppm

PPM = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0, 0, 0.5, 0.5], [0, 1.0, 0, 0]]).T  # (4, W)


def glyphs(ax):
    """(x centre, bottom, top, colour) of every drawn letter, rounded."""
    out = []
    for patch in ax.patches:
        e = patch.get_path().get_extents()
        out.append((round((e.x0 + e.x1) / 2), round(e.y0, 3), round(e.y1, 3), patch.get_facecolor()[:3]))
    return sorted(out)


def column_heights(ax):
    heights = {}
    for x, _, top, _ in glyphs(ax):
        heights[x] = max(heights.get(x, 0), top)
    return heights


def test_information_matrix_is_bits():
    info = information_matrix(PPM)
    assert list(info.columns) == list("ACGT")
    assert np.allclose(info.sum(axis=1), [2.0, 0.0, 1.0, 2.0])
    assert np.allclose(information_matrix(PPM * 7), info)  # counts are normalised


def test_motif_logo_draws_information_per_position():
    fig = motif_logo(PPM, "demo")
    ax = fig.axes[0]
    assert column_heights(ax) == {0: 2.0, 2: 1.0, 3: 2.0}  # the uniform column draws nothing
    assert ax.get_ylim() == (0.0, 2.0) and ax.get_title(loc="left") == "demo"


def test_reverse_complement_logo():
    rc = reverse_complement_ppm(PPM)
    assert np.array_equal(rc.T, [[0, 0, 1, 0], [0.5, 0.5, 0, 0], [0.25] * 4, [0, 0, 0, 1]])
    assert np.array_equal(reverse_complement_ppm(rc), PPM)
    fig = motif_logo(PPM, "demo", reverse_complement=True)
    assert column_heights(fig.axes[0]) == {0: 2.0, 1: 1.0, 3: 2.0}
    assert "reverse complement" in fig.axes[0].get_title(loc="left")


def test_aligned_logos_follow_memelite_tomtom_offsets():
    from memelite import tomtom

    rng = np.random.default_rng(0)
    target = motif_ppm("MA0138.3")  # REST, (4, 20)
    decoys = [rng.dirichlet(np.full(4, 0.3), size=12).T for _ in range(30)]
    cases = [(target[:, 4:13], "+"), (reverse_complement_ppm(target[:, 4:13]), "-")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, _, offsets, _, strands = tomtom(
            [np.ascontiguousarray(q) for q, _ in cases], [np.ascontiguousarray(t) for t in [target, *decoys]]
        )[:5]
    for i, (query, strand) in enumerate(cases):
        assert strands[i, 0] == (strand == "-")
        fig = aligned_logos(query, target, int(offsets[i, 0]), int(strands[i, 0]), "query", "REST")
        q_ax, t_ax = fig.axes
        shown_target = target if strand == "+" else reverse_complement_ppm(target)
        q_info, t_info = information_matrix(query), information_matrix(shown_target)
        # every query column sits above the target column it was cut from
        t_heights = column_heights(t_ax)
        for x, height in column_heights(q_ax).items():
            assert height == pytest.approx(q_info.sum(axis=1)[x], abs=1e-3)
            assert t_heights[x] == pytest.approx(t_info.sum(axis=1)[x + int(offsets[i, 0])], abs=1e-3)
        assert t_ax.get_xlim() == (-int(offsets[i, 0]) - 0.5, -int(offsets[i, 0]) + 20 - 0.5)
        assert ("reverse complement" in t_ax.get_title(loc="left")) == (strand == "-")


def test_figure_bytes_png_and_svg():
    out = figure_bytes(motif_logo(PPM))
    assert out["png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in out["svg"][:1000]
    assert list(figure_bytes(motif_logo(PPM), formats=("svg",))) == ["svg"]


@pytest.mark.parametrize(
    "ppm, message",
    [
        (PPM.T[:3], r"\(W, 4\) matrix: pass its transpose"),
        (np.ones((3, 5)), r"shape \(4, W\)"),
        (np.zeros((4, 0)), r"shape \(4, W\)"),
        (-PPM, "non-negative"),
        (np.array([[1, 0, 0, 0], [0, 0, 0, 0]]).T, "position 2 has all-zero"),
        (np.array([[np.nan, 0, 0, 1]]).T, "finite"),
    ],
)
def test_logo_bad_input(ppm, message):
    with pytest.raises(InputError, match=message):
        motif_logo(ppm)


def test_aligned_logo_bad_strand():
    with pytest.raises(InputError, match="strand"):
        aligned_logos(PPM, PPM, 0, "forward")
