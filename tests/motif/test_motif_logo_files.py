"""Logo files of a motif run (--logos png|svg|none): valid images that show the right motif."""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from motif_fixtures import make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)
from PIL import Image

from motif.jaspar import load_jaspar
from motif.output import write_results
from motif.pipeline import MotifParams, find_motifs
from viz.logo_images import COLORS, MARGINS, aligned_logo_image
from viz.motif_images import REPORT_DPI as DPI
from viz.motif_images import motif_images

pytestmark = pytest.mark.usefixtures("tomtom_warm")


@pytest.fixture(scope="module")
def result():
    data = make_planted(300, 300, motifs=("REST", "CTCF"), seed=3)
    res = find_motifs(data.pos, data.scores, data.neg, MotifParams(), load_jaspar())
    assert len(res.motifs) >= 2
    return res


def information_content(ppm: np.ndarray) -> np.ndarray:
    """Bits per position of a (4, W) PPM, 2 + sum p log2 p, computed directly."""
    p = ppm / ppm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 + np.nansum(np.where(p > 0, p * np.log2(p), 0.0), axis=0)


def stack_heights_from_png(png: bytes, width: int, rows: int = 1, row: int = 0, start: int = 0, lo: float = -0.5, hi=None) -> np.ndarray:
    """Height in bits of the letter stack at positions start .. start + width - 1, read from the pixels.

    The axes sit in fixed margins (viz.logo_images.MARGINS), ``rows`` of them stacked, x from ``lo``
    to ``hi`` (default width - 0.5), y from 0 to 2 bits; a stack's top is the highest pixel coloured like a base.
    """
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    h, w = img.shape[:2]
    hi = width - 0.5 if hi is None else hi
    axis_h = (h / DPI - MARGINS["bottom"] - MARGINS["top"] - (rows - 1) * MARGINS["between"]) / rows
    left, right = MARGINS["left"] * DPI, w - MARGINS["right"] * DPI
    top = (MARGINS["top"] + row * (axis_h + MARGINS["between"])) * DPI
    bottom = top + axis_h * DPI
    img = img[int(np.floor(top)) - 2 : int(np.ceil(bottom)) + 1]
    top, bottom = top - (int(np.floor(top)) - 2), bottom - (int(np.floor(top)) - 2)
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in COLORS.values()], dtype=float)
    is_base = (np.linalg.norm(img[:, :, None, :] - colours[None, None], axis=-1) < 40).any(axis=-1)  # (h, w)
    heights = []
    for x in range(start, start + width):
        column = round(left + (x - lo) / (hi - lo) * (right - left))
        rows = np.flatnonzero(is_base[:, column - 2 : column + 3].any(axis=1))
        heights.append(0.0 if not len(rows) else (bottom - rows.min()) / (bottom - top) * 2)
    return np.array(heights)


def test_png_logos_show_each_motifs_information(result, tmp_path):
    out = write_results(result, tmp_path / "png", images=motif_images(result, "png"))
    for m in result.motifs:
        for name, ppm in ((f"{m.id}.png", m.ppm), (f"{m.id}_rc.png", m.ppm[::-1, ::-1])):
            png = (out / "logos" / name).read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            heights = stack_heights_from_png(png, ppm.shape[1])
            np.testing.assert_allclose(heights, information_content(ppm), atol=0.06)
    report = (out / "report.html").read_text()
    shown_matches = sum(min(3, int((result.matches["motif"] == m.id).sum())) for m in result.motifs)
    assert report.count("data:image/png;base64,") == len(result.motifs) + shown_matches  # logos, then aligned matches


def test_svg_logos_are_valid_svg(result, tmp_path):
    out = write_results(result, tmp_path / "svg", images=motif_images(result, "svg"))
    files = sorted(p.name for p in (out / "logos").iterdir())
    assert files == sorted([f"{m.id}.svg" for m in result.motifs] + [f"{m.id}_rc.svg" for m in result.motifs])
    for m in result.motifs:
        root = ET.fromstring((out / "logos" / f"{m.id}.svg").read_bytes())
        assert root.tag.endswith("svg")
        fills = {el.get("style", "") for el in root.iter() if el.tag.endswith("path")}
        consensus_colours = {COLORS[b].lower() for b in m.consensus if b in COLORS}
        assert all(any(f"fill: {c}" in f for f in fills) for c in consensus_colours)
    assert "data:image/svg+xml;base64," in (out / "report.html").read_text()


def test_no_logos(result, tmp_path):
    out = write_results(result, tmp_path / "none")
    assert not (out / "logos").exists()
    report = (out / "report.html").read_text()
    assert "<img" not in report and all(m.id in report for m in result.motifs)
    assert (out / "motifs.meme").read_text().count("MOTIF") == len(result.motifs)


def test_aligned_images_show_motif_above_its_oriented_match(result):
    m = result.motifs[0]
    rows = result.matches[result.matches["motif"] == m.id].head(3)
    assert len(rows)
    for r in rows.itertuples():
        target = result.target_ppms[r.target_id]
        shown = target[::-1, ::-1] if r.orientation == "-" else target
        png = aligned_logo_image(m.ppm, target, int(r.offset), r.orientation, m.id, r.target_id, "png", DPI)
        wq, wt, offset = m.ppm.shape[1], shown.shape[1], int(r.offset)
        lo, hi = min(0, -offset) - 0.5, max(wq, wt - offset) - 0.5
        top = stack_heights_from_png(png, wq, rows=2, row=0, start=0, lo=lo, hi=hi)
        bottom = stack_heights_from_png(png, wt, rows=2, row=1, start=-offset, lo=lo, hi=hi)
        np.testing.assert_allclose(top, information_content(m.ppm), atol=0.06)
        np.testing.assert_allclose(bottom, information_content(shown), atol=0.06)
