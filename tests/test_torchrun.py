"""``pretrain`` and ``finetune`` under ``torchrun --nproc_per_node 2`` on CPU (DDP over gloo through the HF Trainer)."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from demo.synthetic import make_planted_dataset, split_indices, write_planted
from dnabert.checkpoint import load_model
from dnabert.inference import predict
from dnabert.tables import read_labeled

REPO = Path(__file__).resolve().parent.parent
TINY = ["--k", "6", "--preset", "tiny", "--layers", "1", "--hidden", "32", "--heads", "2", "--device", "cpu"]

# Runs the real command line in every process and notes which ranks started and which rank saved a model.
LAUNCHER = """
import os, sys
import dnabert.checkpoint
from explorer.cli import main

def note(line):
    with open(os.environ["DNABERT_TEST_LOG"], "a") as fh:
        fh.write(line + "\\n")

def noting(save):
    def save_model(*args, **kwargs):
        note(f"save {os.environ['RANK']}")
        return save(*args, **kwargs)
    return save_model

note(f"start {os.environ['RANK']}/{os.environ['WORLD_SIZE']}")
dnabert.checkpoint.save_model = noting(dnabert.checkpoint.save_model)  # finetune and pretrain import it when they save
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Planted-motif data: 48 sequences of 60 bp split 80/10/10."""
    out = tmp_path_factory.mktemp("synth") / "data"
    planted = make_planted_dataset(24, 24, length=60, seed=1)
    splits = dict(zip(("train", "dev", "test"), split_indices(len(planted), (0.8, 0.1, 0.1), 1)))
    write_planted(out, planted, splits)
    return out


def torchrun(tmp_path, *argv):
    """Run the command line ``argv`` in 2 processes with torchrun (``python -m torch.distributed.run``).

    Returns the processes' output (stdout + stderr) and the launcher's log lines.
    """
    launcher, log = tmp_path / "launch.py", tmp_path / "ranks.log"
    launcher.write_text(LAUNCHER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(launcher), *map(str, argv)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "DNABERT_TEST_LOG": str(log)}
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr, log.read_text().split("\n")[:-1]


def logged(output: str, name: str) -> list[float]:
    """Every value the Trainer logged under ``name`` (its log lines are dicts with quoted numbers)."""
    return [float(v) for v in re.findall(rf"'{name}': '([^']+)'", output)]


def test_finetune_under_torchrun(tmp_path, data):
    out = tmp_path / "ft"
    argv = ["finetune", *TINY, "--train", data / "train.tsv", "--dev", data / "dev.tsv", "--epochs", 1, "--batch-size", 8]
    output, lines = torchrun(tmp_path, *argv, "--out", out)
    assert sorted(line for line in lines if line.startswith("start")) == ["start 0/2", "start 1/2"]
    assert [line for line in lines if line.startswith("save")] == ["save 0"]
    n_train = len(read_labeled(data / "train.tsv").seqs)
    # two processes of 8 sequences per step: the epoch takes ceil(n / 16) steps, not ceil(n / 8)
    assert json.loads((out / "metrics.json").read_text())["steps"] == math.ceil(n_train / 16)
    losses = logged(output, "train_loss") + logged(output, "eval_loss")
    assert losses and all(math.isfinite(v) for v in losses)
    # an untrained 2-class head gives cross-entropy near ln 2; a loss scaled by the process count would be 2 ln 2
    assert all(abs(v - math.log(2)) < 0.1 for v in losses), losses
    lm = load_model(out)
    probs = predict(lm, read_labeled(data / "test.tsv").seqs, attention=None).probs
    assert np.isfinite(probs).all() and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_pretrain_under_torchrun(tmp_path, data):
    out = tmp_path / "pt"
    argv = ["pretrain", *TINY, "--input", data / "positives.fa", "--max-steps", 3, "--batch-size", 4]
    output, lines = torchrun(tmp_path, *argv, "--out", out)
    assert sorted(line for line in lines if line.startswith("start")) == ["start 0/2", "start 1/2"]
    assert [line for line in lines if line.startswith("save")] == ["save 0"]
    first, last = map(float, re.search(r"MLM loss ([\d.]+) -> ([\d.]+)", output).groups())
    # a fresh model predicts masked k-mers near uniformly over the 4^6 + 5 tokens
    assert abs(first - math.log(4**6 + 5)) < 0.5 and math.isfinite(last)
    lm = load_model(out, task="mlm")
    assert lm.k == 6 and sum(p.numel() for p in lm.model.parameters()) > 0
