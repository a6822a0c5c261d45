"""Options and steps shared by the commands that run a model."""

from __future__ import annotations

import argparse
import sys

from dnabert.options import ATTENTION_HELP, ATTENTION_MODES
from explorer.cli.argtypes import device, integer

CHUNK = 4096  # sequences per inference call, so huge inputs stream through memory
# option dests naming files a command reads / writes: no output may be an input or another output
INPUT_OPTIONS = ("input", "variants", "vcf", "genome", "positives", "negatives", "scores", "train", "dev", "test", "model",
                 "motif_db")  # fmt: skip
OUTPUT_OPTIONS = ("out", "tsv", "maps")


def add_model_args(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--batch-size``, ``--device``: shared by every command that runs a model."""
    p.add_argument("--model", default="demo", help="checkpoint folder, or 'demo' for the embedded demo model (default)")
    p.add_argument("--batch-size", type=integer(1, 65536), default=32, help="model windows per forward pass (default 32)")
    p.add_argument("--device", type=device, default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default cpu)")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """``--engine`` and the options of the Ray engine (:mod:`explorer.cli.ray_engine`)."""
    g = p.add_argument_group("engine")
    g.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: this process (default); ray: shards on a Ray cluster, one model worker per GPU (or per CPU), "
        "shard files in <out>.shards/ so a rerun resumes; --device is then the driver's only",
    )
    g.add_argument("--address", help="ray: address of an existing cluster (e.g. auto, host:6379); default: start a local one")
    g.add_argument("--num-workers", type=integer(1, 4096), help="ray: model workers (default: one per GPU, or per CPU without GPUs)")
    g.add_argument(
        "--shard-size",
        type=integer(1),
        default=CHUNK,
        help=f"ray: model inputs (sequences, windows, mutants, variants) per shard (default {CHUNK}: the local engine's "
        "chunks, so the results are identical; smaller shards spread a small input over more workers)",
    )


def add_attention_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--attention",
        choices=ATTENTION_MODES,
        default=ATTENTION_MODES[0],
        help=ATTENTION_HELP,
    )


def load_for_cli(args: argparse.Namespace):
    """Load ``--model`` on ``--device``, printing the model's notes to stderr."""
    from dnabert.checkpoint import load_model

    lm = load_model(args.model, device=args.device)
    for note in lm.notes:
        print(f"note: {note}", file=sys.stderr)
    return lm


def read_input(path: str, k: int | None = None):
    """Read ``--input`` and print its normalisation notes to stderr; with ``k``, refuse sequences shorter than k."""
    from dnabert.sequences import read_sequences, require_kmers

    data = read_sequences(path)
    for note in data.notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    if k is not None:
        require_kmers(data, k, path)
    return data


def chunks(n: int):
    """Slices of at most :data:`CHUNK` items covering ``range(n)``."""
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))
