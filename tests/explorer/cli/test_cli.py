"""The core CLI commands end to end (in-process via explorer.cli.main, and once as a subprocess)."""

import gzip
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dnabert.outputs import load_attention_npz
from dnabert.sequences import read_sequences
from explorer.cli import main

FASTA = ">a\nACGTACGTACGTAGCTAGCTAGCTAGCATCGATCGATCGATCGAT\n>b\nacgtnnnnACGATCGATCGATCGACTAGCTACGATCGA\n>a\nACGATCGACTAGCTAGCTAGCTAGCATCGACTAGCA\n"


@pytest.fixture()
def fasta(tmp_path):
    p = tmp_path / "in.fa"
    p.write_text(FASTA)
    return p


def test_predict(tiny_model_dir, fasta, tmp_path, capsys):
    out = tmp_path / "preds.tsv"
    assert main(["predict", "--model", str(tiny_model_dir), "--input", str(fasta), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["id", "length", "p_class0", "p_class1", "predicted"]
    assert table["id"].tolist() == ["a", "b", "a_2"]
    np.testing.assert_allclose(table[["p_class0", "p_class1"]].sum(axis=1), 1, atol=1e-5)
    assert "duplicate id" in capsys.readouterr().err


def test_attention_npz_and_tsv(tiny_model_dir, fasta, tmp_path):
    out, tsv = tmp_path / "s.npz", tmp_path / "s.tsv"
    assert (
        main(
            [
                "attention",
                "--model",
                str(tiny_model_dir),
                "--input",
                str(fasta),
                "--out",
                str(out),
                "--tsv",
                str(tsv),
                "--attention",
                "mean",
            ]
        )
        == 0
    )
    ids, tracks = load_attention_npz(out)
    seqs = read_sequences(fasta).seqs
    assert ids == ["a", "b", "a_2"] and [len(t) for t in tracks] == [len(s) for s in seqs]
    long = pd.read_csv(tsv, sep="\t")
    assert len(long) == sum(map(len, seqs))
    assert "".join(long["base"][long["id"] == "b"]) == seqs[1]
    np.testing.assert_allclose(long["score"][long["id"] == "b"], tracks[1], rtol=1e-5)


def test_scan_covers_the_sequence(tiny_model_dir, fasta, tmp_path):
    out = tmp_path / "scan.tsv"
    assert (
        main(
            ["scan", "--model", str(tiny_model_dir), "--input", str(fasta), "--window", "20", "--stride", "10", "--out", str(out)]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    a = table[table["id"] == "a"]
    assert a["start"].tolist() == [0, 10, 20, 25] and (a["end"] - a["start"] == 20).all()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b">a\nACGTZZ\n", "character 'Z' at position 4"),
        (b">a\nACG\n", "shorter than k=6"),
        (gzip.compress(FASTA.encode())[:30], "truncated or corrupt"),
    ],
)
def test_bad_input_exit_2_and_no_output(tiny_model_dir, tmp_path, capsys, content, message):
    src, out = tmp_path / "bad.fa", tmp_path / "preds.tsv"
    src.write_bytes(content)
    assert main(["predict", "--model", str(tiny_model_dir), "--input", str(src), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_bad_model_and_window(tiny_model_dir, fasta, tmp_path, capsys):
    assert main(["predict", "--model", str(tmp_path / "nope"), "--input", str(fasta), "--out", str(tmp_path / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(["scan", "--model", str(tiny_model_dir), "--input", str(fasta), "--window", "600", "--out", str(tmp_path / "x")])
        == 2
    )
    assert "more k-mers than the model window" in capsys.readouterr().err


def test_module_entry_point(tiny_model_dir, fasta, tmp_path):
    out = tmp_path / "p.tsv"
    run = subprocess.run(
        [sys.executable, "-m", "dnabert", "predict", "--model", str(tiny_model_dir), "--input", str(fasta), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and out.is_file()
