"""Every page's "same run from the command line" is the same run: its output files equal what the page computed.

For each page with an action, the page runs in AppTest with non-default settings; its inputs are
written to the files the shown command names; the command runs in a subprocess from another folder;
its output files are compared with the page's downloads (numbers within a tolerance). Shown commands
never contain a server path: models appear by the names the user picked (the command line accepts
the picker's names, ``explorer.model_names``). The Motifs page has its own such test
(``tests/explorer/app/test_app.py::test_motifs_page_command_reproduces_the_run``); the Models page's command is
the fine-tuning form's.
"""

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from support import APP_SCRIPT
import streamlit as st
from support import make_tiny_model
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.outputs import load_attention_npz

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

REPO = Path(__file__).resolve().parents[2]
SEQS = [
    "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGATCCGCCCCCTGGTGGCACGTTGCAAGG",
    "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT",
    "GGGCCCGGGTACGTAGCTAGCTAGCTAGCGATCGCGCGATATATCGCGCGCGATCGATCGCCGCGCCCCCTGGTGG",
    "CAGCTAGCTAGCTTTACGATCGATCGACTCCACTAGGGGGCGCTAGCTAGCAGCATCGACGACTGC",
]
FASTA = "".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS))
TOL = {"rtol": 1e-4, "atol": 1e-6}


@pytest.fixture
def downloads(monkeypatch):
    """What the page offered for download: file name -> bytes (recorded, then drawn as usual)."""
    got: dict[str, bytes] = {}
    original = DeltaGenerator.download_button

    def record(self, label, data, file_name=None, *args, **kwargs):
        value = data() if callable(data) else data
        got[file_name] = value.encode() if isinstance(value, str) else bytes(value)
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: record(st._main, *a, **k))
    return got


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """A configured model folder outside the working folder, holding a second model (``zoo/tiny``)."""
    root = tmp_path / "configured" / "zoo"
    make_tiny_model(root / "tiny", k=4, seed=2)
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(root))
    work = tmp_path / "work"
    work.mkdir()
    return work


def app() -> AppTest:
    at = AppTest.from_file(APP_SCRIPT, default_timeout=180).run()
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(FASTA)
    at.button[0].click().run()
    assert not at.exception and not at.error
    return at


def shown_command(at: AppTest, subcommand: str) -> list[str]:
    """The command the page shows for ``subcommand``, checked to hold no server path."""
    commands = [shlex.split(c.value) for c in at.code if c.value.startswith("python -m dnabert ")]
    argv = next(a for a in commands if a[3] == subcommand)
    for arg in argv:
        assert not Path(arg).is_absolute() and str(REPO) not in arg and "configured" not in arg, argv
    return argv


def run_shown(argv: list[str], work: Path, files: dict[str, str]) -> None:
    """Write the page's inputs as ``files`` in ``work`` and run the shown command there."""
    for name, text in files.items():
        (work / name).write_text(text)
    done = subprocess.run([sys.executable, "-m", "dnabert", *argv[3:]], cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr


def table(data: bytes, sep: str = "\t") -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep=sep)


def same_numbers(page: pd.DataFrame, cli: pd.DataFrame, columns) -> None:
    for c in columns:
        np.testing.assert_allclose(page[c].to_numpy(float), cli[c].to_numpy(float), equal_nan=True, err_msg=c, **TOL)


def test_predict_with_a_picked_model(zoo, downloads):
    at = app()
    at.selectbox(key="model_name").set_value("zoo/tiny").run()
    at.switch_page("../pages/predict.py").run()
    assert not at.exception and not at.error
    argv = shown_command(at, "predict")
    assert argv[argv.index("--model") + 1] == "zoo/tiny"  # as picked
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = table(downloads["predictions.csv"], ","), table((zoo / "predictions.tsv").read_bytes())
    assert list(page["id"]) == list(cli["id"]) == [f"s{i}" for i in range(len(SEQS))]
    probs = [c for c in cli.columns if c.startswith("p_")]
    assert probs and set(probs) <= set(page.columns)
    same_numbers(page, cli, probs)


def test_attention(zoo, downloads, tmp_path):
    at = app()
    at.switch_page("../pages/attention.py").run()
    at.radio(key="attention_mode").set_value("rollout").run()
    assert not at.exception and not at.error
    argv = shown_command(at, "attention")
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    (tmp_path / "page.npz").write_bytes(downloads["attention.npz"])
    page_ids, page_tracks = load_attention_npz(tmp_path / "page.npz")
    cli_ids, cli_tracks = load_attention_npz(zoo / "scores.npz")
    assert page_ids == cli_ids
    for a, b in zip(page_tracks, cli_tracks):
        np.testing.assert_allclose(a, b, **TOL)
    page, cli = table(downloads["attention.tsv"]), table((zoo / "scores.tsv").read_bytes())
    assert list(page.columns) == list(cli.columns)
    same_numbers(page, cli, [c for c in cli.columns if c not in ("id", "base")])


def test_known_motifs(zoo, downloads):
    at = app()
    at.switch_page("../pages/known_motifs.py").run()
    at.selectbox(key="known_tax_group").set_value("insects")
    at.number_input(key="known_threshold").set_value(1e-3)
    at.number_input(key="known_gap").set_value(4)
    at.number_input(key="known_min_sites").set_value(3)
    at.selectbox(key="known_attention").set_value("mean")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    argv = shown_command(at, "known-motifs")
    assert {"--jaspar-tax-group", "--threshold", "--gap", "--min-sites"} <= set(argv)
    run_shown(argv, zoo, {"positives.fa": FASTA})
    for name in ("known_motifs.tsv", "known_sites.tsv"):
        page, cli = table(downloads[name]), table((zoo / "known_out" / name).read_bytes())
        assert len(page) and list(page.columns) == list(cli.columns), name
        numeric = [c for c in cli.columns if pd.api.types.is_numeric_dtype(cli[c])]
        same_numbers(page, cli, numeric)
        text = [c for c in cli.columns if c not in numeric]
        pd.testing.assert_frame_equal(page[text], cli[text])


def bed_rows(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep="\t", header=None, skiprows=1)


def test_genome_tracks(zoo, downloads):
    at = app()
    at.switch_page("../pages/tracks.py").run()
    at.radio(key="tracks_mode").set_value("mean").run()
    at.number_input(key="tracks_z").set_value(0.5).run()
    at.number_input(key="tracks_min_len").set_value(3).run()
    assert not at.exception and not at.error
    argv = shown_command(at, "tracks")
    assert {"--z", "--min-len"} <= set(argv)
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = bed_rows(downloads["attention.bedGraph"]), bed_rows((zoo / "tracks" / "attention.bedGraph").read_bytes())
    pd.testing.assert_frame_equal(page[[0, 1, 2]], cli[[0, 1, 2]])
    np.testing.assert_allclose(page[3], cli[3], **TOL)
    page, cli = bed_rows(downloads["high_attention.bed"]), bed_rows((zoo / "tracks" / "high_attention.bed").read_bytes())
    assert len(page)
    pd.testing.assert_frame_equal(page, cli)


def test_embedding_map(zoo, downloads):
    at = app()
    at.switch_page("../pages/embedding.py").run()
    at.radio(key="embed_pooling").set_value("mean").run()
    assert not at.exception and not at.error
    argv = shown_command(at, "embed")
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = table(downloads["embedding_map.csv"], ","), table((zoo / "map.tsv").read_bytes())
    assert list(page["id"]) == list(cli["id"])
    same_numbers(page, cli, ["x", "y"])


def test_compare_models(zoo, downloads):
    at = app()
    at.switch_page("../pages/compare.py").run()
    at.radio(key="compare_mode").set_value("mean").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="compare_model").value == "zoo/tiny"
    argv = shown_command(at, "compare")
    assert argv[argv.index("--compare") + 1] == "zoo/tiny"
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = table(downloads["comparison.csv"], ","), table((zoo / "compare.tsv").read_bytes())
    assert list(page["id"]) == list(cli["id"])
    a, b = at.selectbox(key="compare_class_a").value, at.selectbox(key="compare_class_b").value
    np.testing.assert_allclose(page["p_A"], cli[f"A_p_{a}"], **TOL)
    np.testing.assert_allclose(page["p_B"], cli[f"B_p_{b}"], **TOL)
    same_numbers(page, cli, ["pearson", "spearman"])


def test_scan(zoo, downloads):
    at = app()
    at.switch_page("../pages/scan.py").run()
    at.number_input(key="scan_window").set_value(40)
    at.number_input(key="scan_stride").set_value(7)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    argv = shown_command(at, "scan")
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = table(downloads["scan.tsv"]), table((zoo / "scan.tsv").read_bytes())
    cli = cli[cli["id"].isin(page["id"])].reset_index(drop=True)  # the page scans one sequence, the command all
    assert len(page) > 3 and list(page.columns) == list(cli.columns)
    pd.testing.assert_frame_equal(page[["id", "start", "end"]], cli[["id", "start", "end"]])
    same_numbers(page, cli, [c for c in cli.columns if c.startswith("p_")])


def test_variants_map_and_list(zoo, downloads):
    at = app()
    at.switch_page("../pages/variants.py").run()
    at.checkbox(key="variants_both").check().run()
    at.selectbox(key="variants_seq").set_value(1).run()
    at.button(key="variants_map_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    argv = shown_command(at, "mutate")
    assert "--both-strands" in argv
    run_shown(argv, zoo, {"sequences.fa": FASTA})
    page, cli = table(downloads["s1_mutations.tsv"]), table((zoo / "mutations.tsv").read_bytes())
    cli = cli[cli["id"] == "s1"].reset_index(drop=True)
    assert len(page) == 3 * len(SEQS[1]) and list(page.columns) == list(cli.columns)
    numeric = [c for c in cli.columns if pd.api.types.is_float_dtype(cli[c])]
    same_numbers(page, cli, numeric)

    variants = "id\tstart\tend\talt\ns0\t10\t11\tT\ns2\t5\t5\tGG\ns3\t20\t23\t\n"
    at.file_uploader(key="variants_file").upload("variants.tsv", variants.encode())
    at.run()
    at.button(key="variants_list_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    commands = [shlex.split(c.value) for c in at.code if "--variants" in c.value]
    run_shown(commands[0], zoo, {"sequences.fa": FASTA, "variants.tsv": variants})
    page, cli = table(downloads["variants.tsv"]), table((zoo / "variants_scored.tsv").read_bytes())
    assert len(page) == 3 and list(page.columns) == list(cli.columns)
    same_numbers(page, cli, [c for c in cli.columns if pd.api.types.is_float_dtype(cli[c])])
