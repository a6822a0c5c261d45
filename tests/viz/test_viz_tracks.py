"""Attention track, landscape and display binning: figure data, binning, bad input, HTML export."""

import re

import numpy as np
import pytest
from support import random_seqs

from dnabert.errors import InputError
from viz.binning import bin_max, bin_mean, bin_starts
from viz.export import write_html
from viz.landscape import attention_landscape
from viz.tracks import attention_track


def trace(fig, name):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def shapes(fig, name):
    return [s for s in fig.layout.shapes if s.name == name]


def test_binning_keeps_peaks_and_ignores_nan():
    x = np.array([0.0, 5.0, 1.0, np.nan, np.nan, 2.0, 3.0])
    starts = bin_starts(len(x), 3)
    assert starts.tolist() == [0, 3, 6]
    assert bin_max(x, starts).tolist() == [5.0, 2.0, 3.0]
    assert np.allclose(bin_mean(x, starts), [2.0, 2.0, 3.0])
    assert bin_starts(5, 10).tolist() == [0, 1, 2, 3, 4]
    assert bin_starts(5, None).tolist() == [0, 1, 2, 3, 4]
    assert np.isnan(bin_mean(np.array([np.nan, np.nan, 1.0]), np.array([0, 2])))[0]


def test_track_data_regions_sites_and_seams():
    seq = random_seqs(1, 60, 60, seed=1)[0]
    scores = np.linspace(0, 1, 60)
    fig = attention_track(
        seq,
        scores,
        regions=np.array([[10, 20]]),
        sites=[(12, 18, "NRF1"), (40, 50, "REST"), (2, 8, "NRF1")],
        windows=np.array([[0, 40], [30, 60]]),
    )
    line = trace(fig, "attention")
    assert np.allclose(line.x, np.arange(60)) and np.allclose(line.y, scores)
    assert np.allclose(trace(fig, "strip").z[0], scores)
    strip = trace(fig, "sequence")
    assert "".join(strip.text[0]) == seq
    assert strip.z[0].tolist() == ["ACGT".index(b) for b in seq]
    assert strip.texttemplate == "%{text}"
    (region,) = shapes(fig, "region")
    assert (region.x0, region.x1) == (9.5, 19.5)
    nrf1 = trace(fig, "NRF1")
    assert list(nrf1.x) == [11.5, 17.5, None, 1.5, 7.5, None]
    assert list(trace(fig, "REST").x) == [39.5, 49.5, None]
    assert sorted(s.x0 for s in shapes(fig, "window seam")) == [29.5, 39.5]
    assert tuple(fig.layout.xaxis3.range) == (-0.5, 59.5)


def test_long_track_is_binned_for_display_only():
    rng = np.random.default_rng(0)
    seq = random_seqs(1, 12_000, 12_000)[0]
    scores = rng.random(12_000)
    scores[7_777] = 50.0
    fig = attention_track(seq, scores, max_points=1000)
    line = trace(fig, "attention")
    assert len(line.y) == 1000
    assert line.y.max() == 50.0  # the peak survives binning
    assert line.y[7_777 // 12] == 50.0
    assert "max of each 12-bp bin" in fig.layout.title.text
    assert len(trace(fig, "sequence").z[0]) == 12_000  # bases are never binned
    assert trace(fig, "sequence").texttemplate is None  # no letters on a 12 kb strip
    full = attention_track(seq, scores, max_points=None)
    assert np.array_equal(trace(full, "attention").y, scores)
    assert "bin" not in full.layout.title.text


def test_track_nan_gaps_and_all_zero():
    seq = "ACGTACGTAC"
    scores = np.r_[np.nan, np.nan, np.ones(6), np.nan, np.nan]
    fig = attention_track(seq, scores)
    assert np.isnan(trace(fig, "attention").y[:2]).all()
    flat = attention_track(seq, np.zeros(10))
    assert np.all(trace(flat, "attention").y == 0)


@pytest.mark.parametrize(
    "seq, scores, kwargs, message",
    [
        ("ACGT", [0.1, 0.2, 0.3], {}, "3 values but the sequence has 4"),
        ("", [], {}, "empty"),
        ("ACGT", [np.nan] * 4, {}, "NaN at every position"),
        ("ACGT", [0, np.inf, 0, 0], {}, "infinite"),
        ("ACGT", [[0.1, 0.2], [0.3, 0.4]], {}, "1-D"),
        ("ACGT", ["a", "b", "c", "d"], {}, "numbers"),
        ("ACGT", [1, 2, 3, 4], {"regions": np.array([[2, 9]])}, "outside the sequence"),
        ("ACGT", [1, 2, 3, 4], {"regions": np.array([1, 2])}, "(r, 2)"),
        ("ACGT", [1, 2, 3, 4], {"sites": [(3, 3, "x")]}, "empty or outside"),
    ],
)
def test_track_bad_input(seq, scores, kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        attention_track(seq, scores, **kwargs)


def test_track_exports_standalone_html(tmp_path):
    fig = attention_track("ACGTACGTAA", np.arange(10.0))
    path = write_html(fig, tmp_path / "track.html")
    text = path.read_text()
    assert "Plotly.newPlot" in text and len(text) > 1_000_000  # plotly.js inlined
    assert not re.findall(r"<script[^>]*\ssrc=", text)  # nothing loaded from elsewhere
    write_html(fig, tmp_path / "shared" / "track.html", plotlyjs="directory")
    assert (tmp_path / "shared" / "plotly.min.js").is_file()
    assert re.findall(r'<script[^>]*\ssrc="([^"]*)"', (tmp_path / "shared" / "track.html").read_text()) == ["plotly.min.js"]


def landscape_data(n=40, length=50, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.random((n, length))
    peaks = rng.integers(0, length, n)
    m[np.arange(n), peaks] = 5.0
    probs = rng.random(n)
    classes = np.where(np.arange(n) % 3 == 0, "positive", "negative")
    return m, peaks, probs, classes


def heatmap_rows(fig):
    return np.array(trace(fig, "landscape").z, dtype=float)


def test_landscape_sorts_rows():
    m, _, probs, classes = landscape_data()
    ids = [f"s{i}" for i in range(len(m))]
    by_p = attention_landscape(m, probs, classes, ids, sort="probability")
    order = np.argsort(-probs)
    assert np.allclose(heatmap_rows(by_p), m[order], atol=1e-6)
    assert trace(by_p, "landscape").y[0].startswith(f"#1 s{order[0]}")
    by_peak = attention_landscape(m, sort="peak")
    assert np.all(np.diff(heatmap_rows(by_peak).argmax(axis=1)) >= 0)
    by_class = attention_landscape(m, probs, classes, sort="class")
    rows = heatmap_rows(by_class)
    first = classes == classes[0]  # classes in order of first appearance, then by probability
    n_first = int(first.sum())
    assert np.allclose(rows[:n_first], m[first][np.argsort(-probs[first])], atol=1e-6)
    assert np.allclose(rows[n_first:], m[~first][np.argsort(-probs[~first])], atol=1e-6)
    assert [s.y0 for s in shapes(by_class, "class boundary")] == [n_first - 0.5]
    assert "binned" not in by_class.layout.title.text


def test_landscape_profiles_are_class_means_over_all_sequences():
    m, _, probs, classes = landscape_data(n=300)
    fig = attention_landscape(m, probs, classes, max_rows=50)
    for name in ("positive", "negative"):
        assert np.allclose(trace(fig, f"{name} mean").y, m[classes == name].mean(axis=0))
        band = trace(fig, f"{name} +-1 SD")
        sd = m[classes == name].std(axis=0)
        assert np.allclose(band.y[: m.shape[1]], m[classes == name].mean(axis=0) + sd)


def test_landscape_bins_rows_within_classes_and_says_so():
    m, _, probs, classes = landscape_data(n=1000, length=30)
    fig = attention_landscape(m, probs, classes, sort="class", max_rows=100)
    rows = heatmap_rows(fig)
    assert rows.shape[1] == 30 and rows.shape[0] <= 102
    assert "mean of 10" in fig.layout.yaxis2.title.text and "binned" in fig.layout.title.text
    first = classes == classes[0]
    a = m[first][np.argsort(-probs[first], kind="stable")]
    b = m[~first][np.argsort(-probs[~first], kind="stable")]
    n_first_bins = -(-len(a) // 10)
    assert np.allclose(rows[0], a[:10].mean(axis=0), atol=1e-6)
    assert np.allclose(rows[n_first_bins - 1], a[(n_first_bins - 1) * 10 :].mean(axis=0), atol=1e-6)  # a short last bin
    assert np.allclose(rows[n_first_bins], b[:10].mean(axis=0), atol=1e-6)  # no bin mixes the classes


def test_landscape_of_unequal_lengths_and_column_bins():
    tracks = [np.ones(10), np.full(20, 2.0), np.full(15, 3.0)]
    fig = attention_landscape(tracks)
    rows = heatmap_rows(fig)
    assert rows.shape == (3, 20) and np.isnan(rows[0, 10:]).all() and np.isnan(rows[2, 15:]).all()
    assert np.allclose(trace(fig, "all sequences mean").y[:10], 2.0)
    wide = attention_landscape([np.arange(100.0), np.arange(100.0)], max_cols=10)
    assert np.allclose(heatmap_rows(wide)[0], np.arange(4.5, 100, 10))
    assert "each column = mean of 10 bp" in wide.layout.xaxis2.title.text


def test_landscape_all_zero_is_an_honest_flat_figure():
    fig = attention_landscape(np.zeros((5, 8)))
    assert np.all(heatmap_rows(fig) == 0)


@pytest.mark.parametrize(
    "tracks, kwargs, message",
    [
        ([np.ones(5)], {}, "at least 2 sequences"),
        ([], {}, "at least 2 sequences"),
        ([np.ones(5), np.array([])], {}, "non-empty"),
        ([np.full(3, np.nan), np.full(3, np.nan)], {}, "NaN everywhere"),
        ([np.ones(3), np.array([1, np.inf, 1])], {}, "infinite"),
        ([np.ones(3)] * 3, {"probs": np.ones(2)}, "one per sequence"),
        ([np.ones(3)] * 3, {"classes": ["a"]}, "one class per sequence"),
        ([np.ones(3)] * 3, {"sort": "probability"}, "needs the predicted probabilities"),
        ([np.ones(3)] * 3, {"sort": "class"}, "needs the class"),
        ([np.ones(3)] * 3, {"sort": "random"}, "sort must be one of"),
        ([np.ones(3)] * 3, {"ids": ["a"]}, "ids must name every sequence"),
    ],
)
def test_landscape_bad_input(tracks, kwargs, message):
    with pytest.raises(InputError, match=message):
        attention_landscape(tracks, **kwargs)
