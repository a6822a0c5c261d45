"""``python -m dnabert motifs``: outputs, precomputed scores, the model path, and bad input."""

import os
import re

import numpy as np
import pandas as pd
import pytest
from Bio import motifs as bio_motifs
from memelite.io import read_meme as memelite_read
from motif_fixtures import make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)

import explorer.cli
from dnabert_demo.synthetic import write_fasta
from motif.output import MOTIF_COLUMNS

pytestmark = pytest.mark.usefixtures("tomtom_warm")


@pytest.fixture
def main():
    """``python -m dnabert`` in-process."""
    return explorer.cli.main


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Planted NRF1 + REST data as FASTA, with scores as an attention NPZ and an atten.npy."""
    d = tmp_path_factory.mktemp("motif_cli")
    data = make_planted(400, 400, motifs=("NRF1", "REST"), seed=9)
    ids = [f"p{i}" for i in range(len(data.pos))]
    write_fasta(d / "pos.fa", ids, data.pos)
    write_fasta(d / "neg.fa", [f"n{i}" for i in range(len(data.neg))], data.neg)
    np.savez(d / "att.npz", ids=np.array(ids), lengths=np.array([len(s) for s in data.pos]), scores=np.concatenate(data.scores))
    padded = np.zeros((len(data.pos), 110))
    padded[:, :100] = np.stack(data.scores)
    np.save(d / "atten.npy", padded)
    return d


def run_motifs(main, inputs, out, *extra):
    return main(
        ["motifs", "--positives", str(inputs / "pos.fa"), "--negatives", str(inputs / "neg.fa"), "--out", str(out), *extra]
    )


def test_all_outputs_from_attention_npz(main, inputs, tmp_path):
    out = tmp_path / "out"
    assert run_motifs(main, inputs, out, "--scores", str(inputs / "att.npz"), "--format", "jaspar", "transfac") == 0
    motifs = pd.read_csv(out / "motifs.tsv", sep="\t")
    assert {"MA0506", "MA0138"} <= {i.split(".")[0] for i in motifs["best_match_id"]}
    assert motifs.columns.tolist() == MOTIF_COLUMNS
    with open(out / "motifs.meme") as h:
        parsed = bio_motifs.parse(h, "minimal")
    assert [m.name for m in parsed] == motifs["id"].tolist()
    assert [m.num_occurrences for m in parsed] == motifs["instances"].tolist()
    assert len(memelite_read(str(out / "motifs.meme"))) == len(motifs)
    for fmt in ("jaspar", "transfac"):
        with open(out / f"motifs.{fmt}") as h:
            assert len(list(bio_motifs.parse(h, fmt))) == len(motifs)
    instances = pd.read_csv(out / "instances.tsv", sep="\t")
    assert instances.groupby("motif").size().to_dict() == dict(zip(motifs["id"], motifs["instances"]))
    assert ((instances["end"] - instances["start"]) == instances["motif"].map(dict(zip(motifs["id"], motifs["length"])))).all()
    candidates = pd.read_csv(out / "candidates.tsv", sep="\t")
    assert candidates.columns.tolist() == ["sequence", "n_pos", "n_neg", "p", "log10_p", "q", "kept"]
    matches = pd.read_csv(out / "jaspar_matches.tsv", sep="\t")
    assert len(matches) == 5 * len(motifs)
    assert sorted(os.listdir(out / "logos")) == sorted(f"{m}{end}" for m in motifs["id"] for end in (".png", "_rc.png"))
    html = (out / "report.html").read_text()
    assert not re.search(r"<script|<link|https?://|@import|url\(", html)  # self-contained
    shown = pd.read_csv(out / "jaspar_matches.tsv", sep="\t").groupby("motif").size().clip(upper=3).sum()
    assert html.count("data:image/png;base64,") == len(motifs) + shown  # each motif's logo, and its top 3 matches aligned
    assert "MA0138.3 REST" in html and "q_cutoff" in html


def test_logo_choices_and_the_old_cutoff_name(main, inputs, tmp_path):
    out = tmp_path / "none"
    assert run_motifs(main, inputs, out, "--scores", str(inputs / "att.npz"), "--no-match", "--logos", "none",
                      "--pval-cutoff", "0.01") == 0  # fmt: skip
    html = (out / "report.html").read_text()
    assert not (out / "logos").exists() and "<img" not in html
    assert "<th>q_cutoff</th><td>0.01</td>" in html  # the old option name sets q_cutoff
    out = tmp_path / "svg"
    assert run_motifs(main, inputs, out, "--scores", str(inputs / "att.npz"), "--no-match", "--logos", "svg") == 0
    motifs = pd.read_csv(out / "motifs.tsv", sep="\t")["id"]
    assert sorted(os.listdir(out / "logos")) == sorted(f"{m}{end}" for m in motifs for end in (".svg", "_rc.svg"))
    assert all((out / "logos" / f"{m}.svg").read_text().lstrip().startswith(("<?xml", "<svg")) for m in motifs)
    assert (out / "report.html").read_text().count("data:image/svg+xml;base64,") == len(motifs)


def test_original_atten_npy_regions_mode_without_negatives(main, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["motifs", "--positives", str(inputs / "pos.fa"), "--scores", str(inputs / "atten.npy"), "--out", str(out)]
    assert main([*args, "--mode", "regions", "--no-match"]) == 0
    assert "dinucleotide-shuffled positives" in capsys.readouterr().err
    assert "dinucleotide-shuffled positives" in (out / "report.html").read_text()
    assert len(pd.read_csv(out / "candidates.tsv", sep="\t")) > 0
    assert run_motifs(main, inputs, out, "--scores", str(inputs / "att.npz"), "--no-match") == 0  # a previous run is replaced


def test_scores_from_a_model(main, inputs, tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    assert run_motifs(main, inputs, out, "--model", str(tiny_model_dir), "--attention", "mean", "--no-match") == 0
    assert (out / "motifs.meme").is_file() and (out / "report.html").is_file()


@pytest.mark.parametrize(
    "extra,message",
    [
        ([], "give exactly one of --model"),
        (["--scores", "{d}/missing.npz"], "no such scores file"),
        (["--scores", "{d}/att.npz", "--jaspar-release", "JASPAR1999"], "unknown JASPAR release"),
        (["--scores", "{d}/att.npz", "--jaspar-collection", "NOPE"], "no matrix in collection 'NOPE'"),
        (["--scores", "{d}/att.npz", "--pval-cutoff", "0"], "--q-cutoff must be in (0.0, 1.0], got 0.0"),
        (["--scores", "{d}/att.npz", "--motif-db", "{d}/pos.fa"], "no MOTIF found"),
        (["--scores", "{d}/att.npz", "--evidence", "ism"], "--evidence and --class apply only with --model"),
    ],
)
def test_bad_input_exits_2_with_a_message(main, inputs, tmp_path, capsys, extra, message):
    args = [a.format(d=inputs) for a in extra]
    assert run_motifs(main, inputs, tmp_path / "out", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_scores_that_do_not_fit(main, inputs, tmp_path, capsys):
    np.save(tmp_path / "short.npy", np.zeros((399, 100)))
    assert run_motifs(main, inputs, tmp_path / "out", "--scores", str(tmp_path / "short.npy")) == 2
    assert "scores for 399 sequences but there are 400 positive sequences" in capsys.readouterr().err


def test_empty_negatives(main, inputs, tmp_path, capsys):
    (tmp_path / "empty.fa").write_text("")
    args = ["motifs", "--positives", str(inputs / "pos.fa"), "--negatives", str(tmp_path / "empty.fa")]
    assert main([*args, "--scores", str(inputs / "att.npz"), "--out", str(tmp_path / "out")]) == 2
    assert "empty" in capsys.readouterr().err


def test_unwritable_or_occupied_output(main, inputs, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert run_motifs(main, inputs, tmp_path / "file", "--scores", str(inputs / "att.npz"), "--no-match") == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "precious.txt").write_text("keep me")
    assert run_motifs(main, inputs, tmp_path / "data", "--scores", str(inputs / "att.npz"), "--no-match") == 2
    assert "already holds other files (e.g. precious.txt)" in capsys.readouterr().err
    assert (tmp_path / "data" / "precious.txt").read_text() == "keep me"
    assert run_motifs(main, inputs, tmp_path / "file" / "out", "--scores", str(inputs / "att.npz"), "--no-match") == 2
    assert "cannot write to" in capsys.readouterr().err


def test_no_motif_gives_empty_but_valid_outputs(main, inputs, tmp_path, capsys):
    np.save(tmp_path / "flat.npy", np.zeros((400, 100)))
    out = tmp_path / "out"
    assert run_motifs(main, inputs, out, "--scores", str(tmp_path / "flat.npy")) == 0
    err = capsys.readouterr().err
    assert "400 of 400 score tracks are constant" in err and "wrote 0 motifs" in err
    assert memelite_read(str(out / "motifs.meme")) == {}
    with open(out / "motifs.meme") as h:
        assert len(bio_motifs.parse(h, "minimal")) == 0
    for table in ("motifs.tsv", "instances.tsv", "candidates.tsv", "jaspar_matches.tsv"):
        assert pd.read_csv(out / table, sep="\t").empty
    assert "No motif found" in (out / "report.html").read_text()
