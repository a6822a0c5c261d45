"""The gallery command end to end (tiny model, example files), and PNG export through Chromium."""

import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from dnabert_demo.gallery import load_inputs, main
from dnabert_demo.synthetic import make_planted_dataset, write_fasta
from viz.bertviz_offline import head_view_html
from viz.export import figures_to_png, html_to_png
from viz.tracks import attention_track

CHROMIUM = Path("/usr/bin/chromium")
PLOTLY_FIGURES = {
    "attention_track",
    "attention_track_long",
    "landscape",
    "head_grid",
    "context",
    "context_overview",
    "mutation_map",
    "attention_vs_attribution",
}
LOGOS = {"logo", "logo_reverse_complement", "logo_jaspar_match"}


def model_with_examples(tiny_model_dir, folder, n=12):
    shutil.copytree(tiny_model_dir, folder)
    data = make_planted_dataset(n, n, length=100, seed=1)
    pos, neg = np.flatnonzero(data.labels == 1), np.flatnonzero(data.labels == 0)
    write_fasta(folder / "example_positives.fa", [data.ids[i] for i in pos], [data.seqs[i] for i in pos])
    write_fasta(folder / "example_negatives.fa", [data.ids[i] for i in neg], [data.seqs[i] for i in neg])
    data.sites.to_csv(folder / "example_sites.tsv", sep="\t", index=False)
    return folder


def test_gallery_renders_every_figure(tiny_model_dir, tmp_path, capsys):
    model = model_with_examples(tiny_model_dir, tmp_path / "model")
    out = tmp_path / "gallery"
    assert main(["--out", str(out), "--model", str(model), "--format", "html", "--n", "12"]) == 0
    assert {p.stem for p in out.glob("*.html")} == PLOTLY_FIGURES | {"head_view", "index"}
    assert {p.name for p in out.glob("logo*")} == {f"{n}.{ext}" for n in LOGOS for ext in ("png", "svg")}
    assert (out / "plotly.min.js").is_file()
    for page in out.glob("*.html"):
        sources = re.findall(r'<script[^>]*\ssrc="([^"]*)"', page.read_text())
        assert sources in ([], ["plotly.min.js"]), page.name  # everything local
    index = (out / "index.html").read_text()
    assert all(f'href="{name}.html"' in index for name in PLOTLY_FIGURES | {"head_view"})
    assert (out / "logo.png").read_bytes()[:4] == b"\x89PNG"
    track = (out / "attention_track.html").read_text()
    assert '"name":"CTCF"' in track or '"name":"YY1"' in track  # the ground-truth site is drawn
    assert "wrote" in capsys.readouterr().err


def test_gallery_falls_back_to_synthetic_data(tiny_model_dir, tmp_path):
    _, data, notes = load_inputs(str(tiny_model_dir), 5, tmp_path)
    assert len(data.seqs) == 10 and data.labels.sum() == 5 and 5 <= len(data.sites) <= 10  # 1-2 sites per positive
    assert any("synthetic planted-motif sequences" in n for n in notes)


def test_gallery_bad_arguments(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--model", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["--out", str(tmp_path), "--n", "1"]) == 2


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium")
def test_png_export_through_chromium(tmp_path):
    fig = attention_track("ACGTACGTAC" * 3, np.arange(30.0))
    (path,) = figures_to_png({tmp_path / "track.png": fig}, width=800, scale=1)
    assert png_size(path.read_bytes()) == (800, fig.layout.height)
    tokens = ["[CLS]", "ACG", "CGT", "[SEP]"]
    attn = np.full((1, 2, 4, 4), 0.25)
    shot = html_to_png(head_view_html(tokens, attn, 0), tmp_path / "head_view.png", width=600)
    assert png_size(shot.read_bytes())[0] == 600
