"""What logos cost: logomaker figures vs :mod:`viz.logo_images`, and the whole ``motifs`` command with and without logos.

    python -m bench.bench_logos [--rounds 3] [--n 5000]

Two inputs, ``--n`` positives + ``--n`` negatives of 100 bp with synthetic attention:

* ``1 motif``: ``../shared/bench_inputs/synth5k`` (one planted GC-rich motif; all of it when ``--n`` is 5000),
  or planted CTCF sites when that folder is absent;
* ``15 TFs``: one site of one of 15 JASPAR factors per positive (:func:`dnabert_demo.synthetic.planted_with_attention`),
  about 16 motifs found.

Timed, interleaved over ``--rounds`` rounds (wall seconds, medians):

1. In this process, the images of one motif run (each motif, its reverse complement, its top 3
   JASPAR matches aligned): matplotlib + logomaker figures (:mod:`viz.logos`, rendered as PNG) against
   :func:`viz.motif_images.motif_images` in PNG and SVG (:mod:`viz.logo_images`).
2. The whole command in a new process, ``python -m dnabert motifs --scores ... --out ...`` (default:
   k-mer mode, JASPAR matching, PNG logos, report) against the same with ``--logos none``; the ratio's
   target is at most 1.3x.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = [ROOT.parent / "shared" / "bench_inputs", ROOT.parent.parent / "shared" / "bench_inputs"]  # ../shared from a checkout or a worktree
FACTORS = ("MA0139.2", "MA0138.3", "MA0035.5", "MA0047.4", "MA0466.4", "MA0106.3", "MA1494.2", "MA0143.5", "MA0060.4",
           "MA0100.4", "MA0090.4", "MA0088.2", "MA0014.4", "MA0039.5", "MA0024.3")  # fmt: skip  # 15 JASPAR 2024 factors
TARGET = 1.3


def one_motif_input(work: Path, n: int) -> Path:
    """pos.fa, neg.fa and pos_atten.npy of the one-motif input (see the module docstring)."""
    from dnabert_demo.synthetic import planted_with_attention, write_fasta

    folder = work / "one"
    folder.mkdir()
    shared = next((p / "synth5k" for p in SHARED if (p / "synth5k").is_dir()), None)
    if shared is not None:
        pos = gzip.open(shared / "pos.txt.gz", "rt").read().split()[:n]
        neg = gzip.open(shared / "neg.txt.gz", "rt").read().split()[:n]
        scores = np.load(shared / "pos_atten.npy")[:n]
    else:
        data, tracks = planted_with_attention(n, n, ("MA0139.2",), seed=1)
        pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
        neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
        scores = np.stack(tracks)
    write_fasta(folder / "pos.fa", [f"pos_{i}" for i in range(len(pos))], pos)
    write_fasta(folder / "neg.fa", [f"neg_{i}" for i in range(len(neg))], neg)
    np.save(folder / "pos_atten.npy", scores)
    return folder


def fifteen_input(work: Path, n: int) -> Path:
    """The 15-factor input (see the module docstring)."""
    from dnabert_demo.synthetic import planted_with_attention, write_fasta

    data, tracks = planted_with_attention(n, n, FACTORS, seed=5)
    folder = work / "fifteen"
    folder.mkdir()
    pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
    neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
    write_fasta(folder / "pos.fa", [f"pos_{i}" for i in range(len(pos))], pos)
    write_fasta(folder / "neg.fa", [f"neg_{i}" for i in range(len(neg))], neg)
    np.save(folder / "pos_atten.npy", np.stack(tracks))
    return folder


def command(folder: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole ``dnabert motifs`` process on ``folder``'s input."""
    cmd = [sys.executable, "-m", "dnabert", "motifs", "--scores", str(folder / "pos_atten.npy"), "--positives",
           str(folder / "pos.fa"), "--negatives", str(folder / "neg.fa"), "--out", str(out), *extra]  # fmt: skip
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, c0 = time.perf_counter(), usage.ru_utime + usage.ru_stime
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True, capture_output=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime - c0


def logomaker_images(result) -> None:
    """Every image of :func:`viz.motif_images.motif_images`, drawn as matplotlib + logomaker figures."""
    from motif.report import REPORT_MATCHES
    from viz.logos import aligned_logos, figure_bytes, motif_logo

    for m in result.motifs:
        figure_bytes(motif_logo(m.ppm, m.id), ("png",), 100)
        figure_bytes(motif_logo(m.ppm, m.id, reverse_complement=True), ("png",), 100)
        for r in result.matches[result.matches["motif"] == m.id].head(REPORT_MATCHES).itertuples(index=False):
            target = result.target_ppms[r.target_id]
            figure_bytes(aligned_logos(m.ppm, target, int(r.offset), r.orientation, m.id, r.target_id), ("png",), 100)


def in_process(folder: Path, rounds: int) -> None:
    from dnabert.sequences import read_sequences
    from motif.jaspar import load_jaspar
    from motif.pipeline import MotifParams, find_motifs
    from viz.motif_images import motif_images

    pos, neg = read_sequences(folder / "pos.fa").seqs, read_sequences(folder / "neg.fa").seqs
    result = find_motifs(pos, list(np.load(folder / "pos_atten.npy")), neg, MotifParams(), load_jaspar())
    runs = {
        "matplotlib + logomaker, PNG": lambda: logomaker_images(result),
        "viz.logo_images, PNG": lambda: motif_images(result, "png"),
        "viz.logo_images, SVG": lambda: motif_images(result, "svg"),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, fn in runs.items() if r % 2 == 0 else reversed(runs.items()):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    n = max(len(result.motifs), 1)
    base = statistics.median(times["matplotlib + logomaker, PNG"])
    print(f"  images of {len(result.motifs)} motifs, in process: {'s':>6} {'per motif':>9} {'vs logomaker':>12}")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:44s} {med:6.2f} {med / n:9.3f} {base / med:11.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="positives (= negatives), 100 bp")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--commands-only", action="store_true", help="skip the in-process image timings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-logos-") as tmp:
        work = Path(tmp)
        inputs = {"1 motif": one_motif_input(work, args.n), "15 TFs": fifteen_input(work, args.n)}
        for label, folder in inputs.items():
            print(f"{label} ({args.n} + {args.n} x 100 bp):", flush=True)
            if not args.commands_only:
                in_process(folder, args.rounds)
            times = {"default": [], "--logos none": []}
            for r in range(args.rounds):
                order = ["default", "--logos none"] if r % 2 == 0 else ["--logos none", "default"]
                for name in order:
                    extra = [] if name == "default" else ["--logos", "none"]
                    times[name].append(command(folder, work / f"out_{label[:2].strip()}_{r}_{len(extra)}", extra))
            found = sum(1 for line in (work / f"out_{label[:2].strip()}_0_0" / "motifs.tsv").read_text().splitlines()[1:] if line)
            d, nl = (statistics.median(t[0] for t in times[k]) for k in ("default", "--logos none"))
            dc, nc = (statistics.median(t[1] for t in times[k]) for k in ("default", "--logos none"))
            print(f"  whole command ({found} motifs): default {d:.2f} s ({dc:.2f} CPU s), --logos none {nl:.2f} s ({nc:.2f} CPU s): "
                  f"{d / nl:.2f}x wall, {dc / nc:.2f}x CPU (target at most {TARGET}x: {'met' if max(d / nl, dc / nc) <= TARGET else 'NOT met'})",
                  flush=True)  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
