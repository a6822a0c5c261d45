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

from dnabert_demo.synthetic import make_planted_dataset, split_indices, write_planted, write_table
from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from dnabert.training.tables import read_labeled

REPO = Path(__file__).resolve().parents[3]
TINY = ["--k", "6", "--preset", "tiny", "--layers", "1", "--hidden", "32", "--heads", "2", "--device", "cpu"]

# Runs the real command line in every process and notes which ranks started and which rank saved a model.
LAUNCHER = """
import os, sys
import dnabert.loading.checkpoint
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
dnabert.loading.checkpoint.save_model = noting(dnabert.loading.checkpoint.save_model)  # finetune and pretrain import it when they save
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


def torchrun(tmp_path, *argv, launcher: str = "torchrun"):
    """Run the command line ``argv`` in 2 processes with torchrun (``python -m torch.distributed.run``) or
    ``accelerate launch`` (``launcher="accelerate"``).

    Returns the processes' output (stdout + stderr) and the launcher's log lines.
    """
    script, log = tmp_path / "launch.py", tmp_path / "ranks.log"
    script.write_text(LAUNCHER)
    if launcher == "accelerate":
        # --multi_gpu: accelerate's torchrun launcher, also on CPU (without it, CPU processes need mpirun)
        start = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
        start += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    else:
        start = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd = [*start, str(script), *map(str, argv)]
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


# Issue 26: without --device on a machine without a GPU, each rank trained its own model (the Trainer was not in
# distributed mode) and one rank failed on the output folder; and `accelerate launch` is the other launcher.
NO_DEVICE = [a for a in TINY if a not in ("--device", "cpu")]


@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_finetune_without_device_is_one_data_parallel_run(tmp_path, data, launcher):
    out = tmp_path / "ft"
    argv = ["finetune", *NO_DEVICE, "--train", data / "train.tsv", "--dev", data / "dev.tsv", "--epochs", 1, "--batch-size", 8]
    output, lines = torchrun(tmp_path, *argv, "--out", out, launcher=launcher)
    assert sorted(line for line in lines if line.startswith("start")) == ["start 0/2", "start 1/2"]
    assert [line for line in lines if line.startswith("save")] == ["save 0"]
    assert "parallel_mode != ParallelMode.DISTRIBUTED" not in output and "Could not locate the best model" not in output
    n_train = len(read_labeled(data / "train.tsv").seqs)
    assert json.loads((out / "metrics.json").read_text())["steps"] == math.ceil(n_train / 16)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ft", "launch.py", "ranks.log"]  # one output folder
    load_model(out)


STEP = """
import os, sys
import torch
from transformers import TrainerCallback
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.training.tables import read_labeled
from dnabert.training.policy import ModelShape

folder, batch = sys.argv[1], int(sys.argv[2])
rank = os.environ.get("RANK", "single")


class Dump(TrainerCallback):
    def on_step_end(self, args, state, control, model=None, **kwargs):
        params = {n: p.detach().clone() for n, p in model.named_parameters()}
        torch.save(params, f"{folder}/params_{rank}_{state.global_step}.pt")


settings = FinetuneSettings(
    epochs=1, batch_size=batch, learning_rate=1e-3, warmup=0.4, head_dropout=0.0, seed=3, device="cpu", log_every=1,
    test_fraction=0.0,
)  # warm-up: 0.4 of the run's steps, which must count the world's batch (1 step: no warm-up step, full rate);
# no test rows held out of the 16: both runs train on all of them
shape = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, dropout=0.0)
finetune(read_labeled(sys.argv[3]), f"{folder}/model", read_labeled(sys.argv[4]), k=4, shape=shape, settings=settings,
         callbacks=[Dump()])
"""


def test_two_processes_equal_one_process_with_their_global_batch(tmp_path, data):
    """DDP through the Trainer: 2 processes x 8 sequences take one step that leaves identical parameters on both
    ranks, the parameters and dev metrics of one process taking all 16 in one step (dropout off, same seed)."""
    planted = make_planted_dataset(8, 8, length=60, seed=2)
    train = tmp_path / "train16.tsv"
    write_table(train, planted)
    script = tmp_path / "step.py"
    script.write_text(STEP)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = {}
    for name, prefix, batch in (("ddp", ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"], 8),
                                ("single", [], 16)):  # fmt: skip
        folder = tmp_path / name
        folder.mkdir()
        cmd = [sys.executable, *prefix, str(script), str(folder), str(batch), str(train), str(data / "dev.tsv")]
        result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[name] = (folder, result.stdout + result.stderr)
    ddp, single = runs["ddp"][0], runs["single"][0]
    assert sorted(p.name for p in ddp.glob("params_*")) == ["params_0_1.pt", "params_1_1.pt"]  # one step each
    rank0, rank1, alone = (torch_load(ddp / "params_0_1.pt"), torch_load(ddp / "params_1_1.pt"),
                           torch_load(single / "params_single_1.pt"))  # fmt: skip
    for name, p in rank0.items():
        assert np.array_equal(p, rank1[name]), name  # gradients synchronised: the same update on both ranks
        # AdamW's first step is lr * g / (|g| + eps): rounding may move an element with g near 0 by up to 2 lr
        close = np.isclose(p, alone[name], rtol=1e-4, atol=1e-6)
        assert close.mean() > 0.99 and np.abs(p - alone[name]).max() <= 2e-3 + 1e-6, name
    # the first step's logged training loss is the mean over the same 16 sequences
    assert logged(runs["ddp"][1], "loss")[0] == pytest.approx(logged(runs["single"][1], "loss")[0], rel=1e-5)
    m_ddp, m_single = (json.loads((f / "model" / "metrics.json").read_text())["dev"] for f in (ddp, single))
    for key in ("auroc", "loss", "accuracy"):
        if key in m_single:
            assert m_ddp[key] == pytest.approx(m_single[key], abs=1e-3), key


def torch_load(path):
    import torch

    return {n: t.numpy() for n, t in torch.load(path, weights_only=True).items()}
