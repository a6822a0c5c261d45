"""Reliability and security guarantees beyond single bad inputs (those are in test_bad_input_catalog.py).

* Safe loading: weights only through safetensors or ``torch.load(weights_only=True)``,
  never ``trust_remote_code``; the app opens models only from its configured folders.
* No partial outputs: a failing or killed run leaves no file under the output name.
* The app: sessions never see each other's data, the shared model is loaded once
  and never changed, memory stays flat over repeated runs of a page, no matplotlib
  figure stays open, upload limits hold (also for a gzip file that inflates).
* Determinism: seeded shuffles, synthetic data, motif discovery and training give
  identical results, also in another process with another hash seed.
* Fuzzing (hypothesis, bounded): the region finder against a plain per-track loop,
  and MEME files written and read back.
"""

from __future__ import annotations

import ctypes
import gc
import gzip
import hashlib
import json
import os
import re
import threading
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from Bio import motifs as bio_motifs
from support import APP_SCRIPT, make_tiny_model, random_seqs, tiny_config, write_original_layout
from hypothesis import given, settings
from hypothesis import strategies as st
from motif_fixtures import make_planted
from safetensors.torch import load_file
from streamlit.testing.v1 import AppTest
from transformers import BertForSequenceClassification

import dnabert.limits
import explorer.state
from dnabert_demo.synthetic import make_planted_dataset
from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.errors import InputError
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.training.tables import LabeledData
from dnabert.training.policy import ModelShape
from dnabert.outputs import atomic_path
from dnabert.training.pretrain import PretrainSettings, pretrain
from dnabert.sequences import shuffled_negatives
from explorer.cli import main
from motif.encoding import encode
from motif.meme import format_meme, read_meme
from motif.output import motif_table, write_results
from motif.pipeline import MotifParams, find_motifs
from motif.regions import find_regions
from viz.logos import aligned_logos, figure_bytes, motif_logo

REPO = Path(__file__).resolve().parent.parent
needs_demo = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")
SEQS = [
    "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGAT",
    "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT",
    "GGGCCCGGGTACGTAGCTAGCTAGCTAGCGATCGCGCGATATATCGCGCGCGATCGATCG",
]


def fasta(ids: list[str], seqs: list[str]) -> str:
    return "".join(f">{i}\n{s}\n" for i, s in zip(ids, seqs))


def paste(at: AppTest, text: str, kind: str = "positives") -> AppTest:
    """Paste sequences on the Data page and press its load button."""
    radio, button = ("pos_source", 0) if kind == "positives" else ("neg_source", 1)
    at.radio(key=radio).set_value("Paste").run()
    at.text_area(key=f"{kind}_text").input(text)
    at.button[button].click().run()
    return at


# ----------------------------------------------------------------------------- safe loading


def test_sources_never_unpickle_or_trust_remote_code():
    sources = [
        REPO / "app.py",
        *(p for d in ("dnabert", "motif", "viz", "explorer", "pages", "dnabert_demo", "bench") for p in (REPO / d).rglob("*.py")),
    ]
    for path in sources:
        code = path.read_text()
        assert not re.search(r"trust_remote_code\s*=\s*True", code), path
        assert not re.search(r"allow_pickle\s*=\s*True|pickle\.loads?\(|joblib\.load|dill\.", code), path
        for call in re.finditer(r"torch\.load\(([^)]*)\)", code):
            assert "weights_only=True" in call.group(1), (path, call.group())


def test_bin_checkpoints_are_read_with_weights_only(tmp_path, monkeypatch):
    """An original DNABERT folder (pytorch_model.bin) goes through torch.load(weights_only=True) only."""
    model = BertForSequenceClassification(tiny_config(6))
    write_original_layout(tmp_path / "orig", model, architecture="BertForSequenceClassification")
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **kw: calls.append(kw) or real_load(*a, **kw))
    load_model(tmp_path / "orig")
    assert calls and all(kw.get("weights_only") is True for kw in calls)


def test_app_offers_only_models_in_configured_folders(tmp_path, monkeypatch):
    """The picker lists the demo and the checkpoint folders directly inside DNABERT_MODEL_DIRS; nothing else opens."""
    models, outside = tmp_path / "models", tmp_path / "elsewhere"
    make_tiny_model(models / "good")
    make_tiny_model(outside / "secret")
    make_tiny_model(models / "nested" / "deeper")
    (models / "notes").mkdir()
    (models / "link").symlink_to(outside / "secret")
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(models))
    assert explorer.state.available_models() == {"demo": DEMO_MODEL_DIR.resolve(), "models/good": (models / "good").resolve()}
    for name in ["models/link", "models/nested", "models/nested/deeper", "models/../elsewhere/secret",
                 str(outside / "secret"), "../elsewhere/secret", "/etc"]:  # fmt: skip
        with pytest.raises(InputError, match="is not one of the configured models"):
            explorer.state.model_path(name)


@needs_demo
def test_app_ignores_a_model_path_put_in_the_session(tmp_path, monkeypatch):
    """A session state naming a server path (not a picker entry) falls back to the demo: the path is never loaded."""
    secret = make_tiny_model(tmp_path / "secret", k=4)
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path / "none"))
    loaded = []
    monkeypatch.setattr(explorer.state, "load_model", lambda path: loaded.append(path) or load_model(path))
    explorer.state._load.clear()
    for name in (str(secret), "../" + secret.name):
        at = AppTest.from_file(APP_SCRIPT, default_timeout=120)
        at.session_state["model_name"] = name
        at.run()
        assert not at.exception
        assert at.selectbox(key="model_name").value == "demo" and not at.sidebar.text_input
        assert "DNABERT-1 · overlapping 6-mers" in at.sidebar.caption[0].value
    assert loaded == [str(DEMO_MODEL_DIR.resolve())]


# ----------------------------------------------------------------------------- no partial outputs


@pytest.mark.parametrize("folder", [False, True])
def test_failing_writer_leaves_the_previous_output_and_no_temporary(tmp_path, folder):
    target = tmp_path / ("results" if folder else "preds.tsv")
    if folder:
        target.mkdir()
        (target / "old.tsv").write_text("previous run\n")
    else:
        target.write_text("previous run\n")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        if folder:
            tmp.mkdir()
            tmp = tmp / "new.tsv"
        tmp.write_text("id\tp\na\t0.")  # half a table ...
        raise RuntimeError("disk full")  # ... then the writer fails
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert (target / "old.tsv" if folder else target).read_text() == "previous run\n"


def test_killed_cli_runs_leave_no_output(tmp_path):
    """predict on 60000 sequences, stopped mid-way by SIGINT, SIGTERM (e.g. a Slurm time-out) and SIGKILL."""
    model = make_tiny_model(tmp_path / "tiny")
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGT"))[rng.integers(0, 4, size=(60000, 100))]
    (tmp_path / "many.fa").write_text("".join(f">s{i}\n{''.join(row)}\n" for i, row in enumerate(letters)))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    runs = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        out, log = tmp_path / sig.name, tmp_path / f"{sig.name}.log"
        out.mkdir()
        argv = ["predict", "--model", model, "--input", tmp_path / "many.fa", "--out", out / "preds.tsv", "--batch-size", 64]
        with log.open("w") as fh:  # the child keeps its own copy of the handle
            proc = subprocess.Popen([sys.executable, "-m", "dnabert", *map(str, argv)], stderr=fh, env=env, cwd=tmp_path)
        runs[sig] = (proc, out, log)
    for sig, (proc, out, log) in runs.items():
        deadline = time.monotonic() + 180
        while "windows:" not in log.read_text():  # the first batch of sequences is being scored
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the run never started scoring"
            time.sleep(0.2)
        proc.send_signal(sig)
    for sig, (proc, out, log) in runs.items():
        rc = proc.wait(timeout=120)
        err = log.read_text()
        assert "Traceback" not in err and "wrote" not in err
        left = sorted(p.name for p in out.iterdir())
        if sig == signal.SIGKILL:  # no clean-up possible: at most a hidden temporary that says it is partial
            assert rc == -signal.SIGKILL and all(re.fullmatch(r"\.preds\.tsv\..+\.partial", n) for n in left), left
        else:
            assert rc == 130 and "interrupted: unfinished outputs were removed" in err and left == [], (rc, err, left)


# ----------------------------------------------------------------------------- app sessions and resources


@needs_demo
def test_two_sessions_never_see_each_others_data_and_share_one_read_only_model(monkeypatch):
    loaded = []
    monkeypatch.setattr(explorer.state, "load_model", lambda path: loaded.append(path) or load_model(path))
    explorer.state._load.clear()
    alice = paste(AppTest.from_file(APP_SCRIPT, default_timeout=120).run(), fasta(["a1", "a2", "a3"], SEQS))
    bob = paste(AppTest.from_file(APP_SCRIPT, default_timeout=120).run(), fasta(["b1", "b2"], SEQS[::-1][:2]))
    tables = {}
    for name, at in (("alice", alice), ("bob", bob), ("alice again", alice)):
        for page in ("../pages/predict.py", "../pages/attention.py"):
            at.switch_page(page).run()
            assert not at.exception and not at.error, (name, page)
        at.switch_page("../pages/predict.py").run()
        tables[name] = at.dataframe[0].value.set_index("id")
    assert list(tables["alice"].index) == ["a1", "a2", "a3"] == list(tables["alice again"].index)
    assert list(tables["bob"].index) == ["b1", "b2"]
    assert alice.session_state["positives"].ids == ["a1", "a2", "a3"] and bob.session_state["positives"].ids == ["b1", "b2"]
    # same sequence, same probabilities: results are keyed by content, never by who asked
    assert tables["bob"].loc["b1", "p_positive"] == pytest.approx(tables["alice"].loc["a3", "p_positive"], abs=1e-6)
    lm = explorer.state._load(str(DEMO_MODEL_DIR.resolve()))
    assert len(loaded) == 1, "each session loaded its own model"
    assert not lm.model.training and not any(p.requires_grad for p in lm.model.parameters())
    saved = load_file(DEMO_MODEL_DIR / "model.safetensors")
    state = lm.model.state_dict()
    assert all(torch.equal(state[name], tensor) for name, tensor in saved.items() if name in state)


def rss_mb() -> float:
    """Resident set size in MiB after a garbage collection, with glibc's free heap pages handed back
    (``malloc_trim``), so freed memory still held by the allocator does not count as kept."""
    gc.collect()
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="reads the resident set size from /proc")
def test_memory_stays_flat_over_50_runs_of_the_attention_page(tmp_path, monkeypatch):
    """The heaviest page (track, head views, bertviz HTML) on a small model. Before the head view was kept per
    session, each rerun left its ~1 MB page in urllib's URL cache: +66 MB over these 50 runs."""
    model = make_tiny_model(tmp_path / "models" / "tiny")
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(model.parent))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120)
    at.session_state["model_name"] = "models/tiny"
    paste(at.run(), fasta(["s1", "s2", "s3"], SEQS)).switch_page("../pages/attention.py").run()
    for _ in range(50):  # warm-up: caches fill and the allocator settles (tens of MB over the first runs, then flat)
        at.run()
    for thread in threading.enumerate():  # the app's one-time TOMTOM warm-up loads numba code: not a per-run cost
        if thread.name == "tomtom-warmup":
            thread.join(timeout=600)
    gc.collect()
    before = rss_mb()
    for _ in range(50):
        at.run()
        assert not at.exception and not at.error
    gc.collect()
    assert rss_mb() - before < 25


def test_logo_and_report_code_leaves_no_figure_open(tmp_path):
    data = make_planted(200, 200, motifs=("REST",), seed=2)
    result = find_motifs(data.pos, data.scores, data.neg, MotifParams())
    assert result.motifs
    plt.close("all")
    write_results(result, tmp_path / "motifs", formats=("meme", "jaspar"))  # a logo per motif and the HTML report
    ppm = result.motifs[0].ppm
    figure_bytes(motif_logo(ppm, "m"))
    figure_bytes(aligned_logos(ppm, ppm[::-1, ::-1], offset=0, strand="-"))
    assert plt.get_fignums() == []


LIMITS = {  # limit: (module constant, value, data, message)
    "upload size": ("MAX_UPLOAD_MB", 0.001, fasta(["a", "b"], SEQS[:2]) * 10, "MB is over the app's limit of 0.001 MB"),
    "gzip that inflates": (
        "MAX_UPLOAD_MB",
        0.01,
        gzip.compress((b"A" * 99 + b"\n") * 10000),
        "decompresses to more than the limit of 0.01 MB",
    ),
    "sequence count": ("MAX_SEQUENCES", 3, fasta(list("abcd"), SEQS + SEQS[:1]), "4 sequences is over the app's limit of 3"),
    "sequence length": (
        "MAX_LENGTH",
        100,
        fasta(["short", "long"], [SEQS[0], SEQS[1] * 3]),
        "sequence 'long' is 180 bp, over the app's limit",
    ),
}


@needs_demo
@pytest.mark.parametrize(
    "limit, kind",
    [(limit, "positives") for limit in LIMITS] + [(limit, "negatives") for limit in LIMITS if limit != "gzip that inflates"],
)
def test_upload_limits_are_enforced_with_clear_messages(monkeypatch, limit, kind):
    """Uploaded sequences and pasted negatives (pasted text cannot be gzipped)."""
    name, value, data, message = LIMITS[limit]
    monkeypatch.setattr(dnabert.limits, name, value)
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120).run()
    if kind == "positives":
        at.file_uploader(key="positives_file").upload("seqs.fa", data if isinstance(data, bytes) else data.encode())
        at.button[0].click().run()
    else:
        at = paste(paste(at, fasta(["p"], SEQS[:1])), data, kind="negatives")
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert kind not in at.session_state


def test_limits_are_read_from_the_environment():
    limits = {"DNABERT_MAX_UPLOAD_MB": "1.5", "DNABERT_MAX_SEQUENCES": "7", "DNABERT_MAX_LENGTH": "300"}
    env = {**os.environ, "PYTHONPATH": str(REPO), **limits}
    code = "import dnabert.limits as s; print(s.MAX_UPLOAD_MB, s.MAX_SEQUENCES, s.MAX_LENGTH)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.split() == ["1.5", "7", "300"], run.stderr


# ----------------------------------------------------------------------------- determinism


def digests() -> dict[str, str]:
    """sha256 of seeded results: shuffles, synthetic data, motif discovery (run here and in other processes)."""

    def h(*parts) -> str:
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    seqs = random_seqs(40, 30, 80, seed=1)
    data = make_planted_dataset(30, 30, length=80, seed=3)
    planted = make_planted(150, 0, motifs=("REST",), seed=4)
    result = find_motifs(planted.pos, planted.scores, None, MotifParams(seed=5))
    return {
        "shuffle": h(shuffled_negatives(seqs, seed=2)),
        "synthetic": h(data.ids, data.seqs, data.labels.tolist(), data.sites.to_csv()),
        "motifs": h(motif_table(result).to_csv(), [m.ppm.round(12).tolist() for m in result.motifs], result.candidates.to_csv()),
    }


def test_seeded_results_are_identical_in_other_processes_and_hash_seeds():
    here = digests()
    code = "import json, sys; sys.path.insert(0, 'tests'); from test_reliability import digests; print(json.dumps(digests()))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]  # fmt: skip
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert json.loads(out.splitlines()[-1]) == here


def test_seeded_motif_discovery_depends_on_its_seed_only():
    planted = make_planted(150, 0, motifs=("REST",), seed=4)
    runs = [find_motifs(planted.pos, planted.scores, None, MotifParams(seed=s)) for s in (5, 5, 6)]
    a, b, c = (r.candidates for r in runs)
    assert a.equals(b) and motif_table(runs[0]).equals(motif_table(runs[1]))
    assert not a["n_neg"].equals(c["n_neg"])  # another seed shuffles other negatives


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


def test_seeded_training_is_identical(tmp_path):
    seqs = random_seqs(48, 40, 60, seed=7)
    data = LabeledData(seqs=seqs, labels=["pos" if "GGG" in s else "neg" for s in seqs], ids=[f"r{i}" for i in range(48)])
    shape = ModelShape(layers=1, hidden=16, heads=2, intermediate=32, max_tokens=64)
    run = {"threads": 1, "device": "cpu", "batch_size": 8}
    tuned = [finetune(data, tmp_path / f"ft{i}", k=6, shape=shape, settings=FinetuneSettings(epochs=2, seed=seed, **run))
             for i, seed in enumerate((3, 3, 4))]  # fmt: skip
    trained = [pretrain(seqs, tmp_path / f"pt{i}", k=6, shape=shape, settings=PretrainSettings(max_steps=4, seed=seed, **run))
               for i, seed in enumerate((3, 3, 4))]  # fmt: skip
    for a, b, c in (tuned, trained):  # seeds 3, 3, 4
        wa, wb, wc = weights(a.path), weights(b.path), weights(c.path)
        assert all(torch.equal(wa[n], wb[n]) for n in wa)
        assert not all(torch.equal(wa[n], wc[n]) for n in wa)
    assert trained[0].last_loss == trained[1].last_loss and tuned[0].dev_metrics == tuned[1].dev_metrics


def test_synth_files_are_identical_for_one_seed(tmp_path):
    outs = [tmp_path / name for name in ("a", "b")]
    for out in outs:
        assert main(["synth", "--n-pos", "20", "--n-neg", "20", "--seed", "9", "--out", str(out)]) == 0
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert all((outs[0] / f).read_bytes() == (outs[1] / f).read_bytes() for f in files)


# ----------------------------------------------------------------------------- fuzzing


def naive_regions(tracks: list[np.ndarray], seqs: list[str], rule: str, min_len: int, z: float) -> list[tuple[int, int, int]]:
    """High-attention runs, one track and one position at a time (the definition in motif.regions)."""
    out = []
    for i, (t, s) in enumerate(zip(tracks, seqs)):
        mean = t.mean()
        high = t > mean + z * t.std() if rule == "zscore" else (t > mean) & (t > 10 * t.min())
        start = None
        for j in range(len(s) + 1):
            on = j < len(s) and bool(high[j]) and s[j] in "ACGT"
            if on and start is None:
                start = j
            elif not on and start is not None:
                if j - start >= min_len:
                    out.append((i, start, j))
                start = None
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text("ACGTN", min_size=1, max_size=40), min_size=1, max_size=8),
    st.data(),
    st.sampled_from(["zscore", "original"]),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.5, 1.0, 2.0]),
)
def test_region_finder_fuzz(seqs, data, rule, min_len, z):
    values = st.one_of(st.integers(0, 3).map(float), st.floats(0, 1, width=32))  # ties and plateaus as well as noise
    tracks = [np.array(data.draw(st.lists(values, min_size=len(s), max_size=len(s))), dtype=np.float32) for s in seqs]
    r = find_regions(tracks, encode(seqs), rule=rule, min_len=min_len, z=z)
    assert list(zip(r.seq.tolist(), r.start.tolist(), r.end.tolist())) == naive_regions(tracks, seqs, rule, min_len, z)


NAMES = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=12)


@st.composite
def motif_sets(draw):
    n = draw(st.integers(1, 6))
    names = draw(st.lists(NAMES, min_size=n, max_size=n, unique=True))
    ppms = []
    for _ in range(n):
        width = draw(st.integers(1, 15))
        values = draw(st.lists(st.floats(0, 1, allow_subnormal=False), min_size=4 * width, max_size=4 * width))
        raw = np.array(values).reshape(4, width)
        raw[draw(st.integers(0, 3)), :] += 1e-3  # no all-zero column
        ppms.append(raw / raw.sum(axis=0))
    nsites = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    evalues = draw(st.lists(st.floats(1e-300, 1.0), min_size=n, max_size=n))
    descriptions = draw(st.none() | st.lists(NAMES, min_size=n, max_size=n))
    return names, ppms, nsites, evalues, descriptions


@settings(max_examples=60, deadline=None)
@given(motif_sets(), st.lists(st.floats(0.01, 1), min_size=4, max_size=4))
def test_meme_round_trip_fuzz(tmp_path_factory, motifs, background):
    names, ppms, nsites, evalues, descriptions = motifs
    path = tmp_path_factory.mktemp("meme") / "m.meme"
    background = np.array(background) / sum(background)
    path.write_text(format_meme(names, ppms, nsites, evalues, background, descriptions))
    read_names, read_ppms = read_meme(path)
    assert read_names == [f"{n} {d}" if descriptions else n for n, d in zip(names, descriptions or names)]
    for got, ppm in zip(read_ppms, ppms):
        assert got.shape == ppm.shape and np.abs(got - ppm).max() <= 5e-7
    with open(path) as fh:
        parsed = bio_motifs.parse(fh, "minimal")
    assert [m.name for m in parsed] == names and [m.num_occurrences for m in parsed] == nsites
