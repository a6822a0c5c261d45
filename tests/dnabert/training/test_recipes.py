"""The auto recipe: candidates on one dev split within a budget, the best kept, sweep.tsv beside it; the CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from dnabert_demo.synthetic import make_planted_dataset, write_table
from dnabert.loading.checkpoint import load_model
from dnabert.training.finetune import FinetuneSettings
from dnabert.training.recipes import Candidate, auto_candidates, auto_finetune
from dnabert.training.tables import LabeledData
from dnabert.training.policy import ModelShape
from explorer.cli import main

TINY = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)


def labeled(data, name):
    return LabeledData(list(data.seqs), [str(y) for y in data.labels], list(data.ids), name)


def test_auto_keeps_the_best_dev_candidate(tmp_path):
    train = make_planted_dataset(150, 150, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=1)
    dev = make_planted_dataset(50, 50, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=2)
    cands = [
        Candidate("frozen k=4", None, 4, TINY, 1e-12),  # learning rate ~0: stays a random model
        Candidate("k=4", None, 4, TINY, 3e-3),
        Candidate("k=3", None, 3, TINY, 3e-3),
    ]
    settings = FinetuneSettings(epochs=3, threads=1, device="cpu")
    _, sweep = auto_finetune(labeled(train, "train"), tmp_path / "m", dev=labeled(dev, "dev"), settings=settings,
                               budget_minutes=1.0, candidates=cands, log=lambda _: None)  # fmt: skip
    ran = sweep[sweep["status"] == "ran"]
    assert len(ran) >= 2  # the budget fits more than one
    best = ran["dev_auroc"].idxmax()
    assert sweep.loc[best, "chosen"] and sweep["chosen"].sum() == 1
    assert sweep.loc[best, "candidate"] != "frozen k=4"
    rec = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert rec["dev"]["auroc"] == pytest.approx(ran["dev_auroc"].max())
    assert rec["recipe"]["chosen"] == sweep.loc[best, "candidate"]
    on_disk = pd.read_csv(tmp_path / "m" / "sweep.tsv", sep="\t")
    assert list(on_disk["candidate"]) == [c.name for c in cands]
    lm = load_model(tmp_path / "m")
    assert lm.k == sweep.loc[best, "k"]
    assert rec["baseline"]["dev"]["auroc"] is not None  # one baseline for all candidates, recorded with the winner


def test_auto_candidates(tiny_model_dir):
    names = [c.name for c in auto_candidates(None, None, 2)]
    assert names[:2] == ["new tiny k=4", "new tiny k=6"] and len(names) == 4
    from_model = auto_candidates(tiny_model_dir, None, 2)
    assert from_model[0].model == tiny_model_dir and from_model[1].learning_rate == pytest.approx(3 * from_model[0].learning_rate)
    assert any(c.model is None for c in from_model)


def test_cli_auto_prints_the_table_and_writes_the_sweep(tmp_path, capsys):
    data = make_planted_dataset(100, 100, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=4)
    write_table(tmp_path / "train.tsv", data)
    out = tmp_path / "m"
    code = main(["finetune", "--train", str(tmp_path / "train.tsv"), "--recipe", "auto", "--budget-minutes", "0.2", "--threads", "1",
                 "--device", "cpu", "--out", str(out)])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "recipe auto" in err and "k-mer baseline (k=" in err and (out / "sweep.tsv").is_file()
    assert (out / "curves.tsv").is_file()
    html = (out / "report.html").read_text()
    assert "Dev AUROC" in html and "k-mer baseline (k=" in html and "plotly" in html
    assert np.isfinite(json.loads((out / "metrics.json").read_text())["baseline"]["dev"]["auroc"])
