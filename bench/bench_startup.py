"""CLI start-up: how long a command takes before it does any work.

    python -m bench.bench_startup [--rounds 5]

Each measurement is a new Python process, timed from launch to exit (wall seconds):

- ``python -c pass``: the interpreter alone, the floor no command can beat;
- ``python -c "import torch, transformers"``: what every command paid when the CLI
  imported the model stack up front (the baseline the ratios are against);
- ``dnabert --help`` and ``dnabert <command> --help`` for the heaviest commands;
- ``dnabert motifs --scores`` on a small planted set (300 + 300 x 100 bp, ``--no-match``),
  a command that needs no model, next to the same analysis run inside this process, so the
  difference is the command's start-up and file handling.

The rounds interleave the commands, so machine noise hits all of them; the table shows
medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dnabert_demo.synthetic import planted_with_attention, write_fasta
from motif.params import MotifParams
from motif.pipeline import find_motifs

ROOT = Path(__file__).resolve().parent.parent


def planted_inputs(folder: Path, n: int) -> tuple[list[str], list[str], list[np.ndarray]]:
    """Write pos.fa, neg.fa and att.npz for ``n`` + ``n`` planted sequences; return them too."""
    data, scores = planted_with_attention(n, n, ("MA0138.3",), seed=1)
    pos = [i for i, y in enumerate(data.labels) if y == 1]
    neg = [i for i, y in enumerate(data.labels) if y == 0]
    write_fasta(folder / "pos.fa", [data.ids[i] for i in pos], [data.seqs[i] for i in pos])
    write_fasta(folder / "neg.fa", [data.ids[i] for i in neg], [data.seqs[i] for i in neg])
    lengths = np.array([len(data.seqs[i]) for i in pos])
    np.savez(folder / "att.npz", ids=np.array([data.ids[i] for i in pos]), lengths=lengths, scores=np.concatenate(scores))
    return [data.seqs[i] for i in pos], [data.seqs[i] for i in neg], list(scores)


def timed(argv: list[str], cwd: Path) -> float:
    """Wall seconds of one process running ``argv``; fails loudly if the command fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (medians are shown)")
    parser.add_argument("--n", type=int, default=300, help="positives (and negatives) for the motifs command")
    args = parser.parse_args()

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pos, neg, scores = planted_inputs(folder, args.n)
        motifs = [py, "-m", "dnabert", "motifs", "--scores", "att.npz", "--positives", "pos.fa",
                  "--negatives", "neg.fa", "--no-match", "--logos", "none"]  # fmt: skip
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "import torch, transformers (baseline)": [py, "-c", "import torch, transformers"],
            "dnabert --help": [py, "-m", "dnabert", "--help"],
            "dnabert predict --help": [py, "-m", "dnabert", "predict", "--help"],
            "dnabert motifs --help": [py, "-m", "dnabert", "motifs", "--help"],
            f"dnabert motifs --scores ({args.n}+{args.n})": motifs,
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        times["motif analysis in-process"] = []
        for r in range(args.rounds):
            for name, argv in commands.items():
                out = ["--out", f"out{r}"] if name.startswith("dnabert motifs --scores") else []
                times[name].append(timed(argv + out, folder))
            t0 = time.perf_counter()
            find_motifs(pos, scores, neg, MotifParams())
            times["motif analysis in-process"].append(time.perf_counter() - t0)

    base = statistics.median(times["import torch, transformers (baseline)"])
    print(f"{'':48s} {'median s':>9s} {'vs baseline':>12s}")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"{name:48s} {m:9.2f} {base / m:11.1f}x")


if __name__ == "__main__":
    main()
