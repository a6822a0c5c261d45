"""Command line: ``python -m dnabert <command> ...`` (also the ``dnabert`` console script).

Core commands live here (``predict``, ``attention``, ``scan``); other areas
add theirs through a ``register(subparsers)`` function listed in
:data:`REGISTRARS`. Bad input ends with ``error: <message>`` on stderr and
exit status 2, never a traceback. Every output file is written under a
temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

import numpy as np
import pandas as pd

from dnabert.errors import InputError
from dnabert.outputs import atomic_path, attention_long_table, check_output_file, write_attention_npz

# modules with a `register(subparsers)` adding their subcommands
REGISTRARS = [
    "dnabert.cli",
    "dnabert.cli_training",
    "dnabert.cli_variants",
    "dnabert.cli_genome",
    "dnabert.cli_maps",
    "motif.cli",
]

CHUNK = 4096  # sequences per inference call, so huge inputs stream through memory


def add_model_args(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--batch-size``, ``--device``: shared by every command that runs a model."""
    p.add_argument("--model", default="demo", help="checkpoint folder, or 'demo' for the embedded demo model (default)")
    p.add_argument("--batch-size", type=int, default=32, help="model windows per forward pass (default 32)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default cpu)")


def add_attention_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--attention",
        choices=["last", "mean", "rollout"],
        default="last",
        help="aggregation: last layer [CLS] attention (DNABERT-viz, default), mean over layers, or attention rollout",
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


def _chunks(n: int):
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))


def run_predict(args: argparse.Namespace) -> int:
    from dnabert.inference import predict

    check_output_file(args.out)
    lm = load_for_cli(args)
    data = read_input(args.input, lm.k)
    probs = np.concatenate(
        [predict(lm, data.seqs[s], args.batch_size, attention=None, progress=True).probs for s in _chunks(len(data))]
    )
    table = pd.DataFrame({"id": data.ids, "length": [len(s) for s in data.seqs]})
    for c, label in enumerate(lm.labels):
        table[f"p_{label}"] = probs[:, c]
    table["predicted"] = [lm.labels[i] for i in probs.argmax(axis=1)]
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    print(f"wrote {len(table)} predictions to {args.out}", file=sys.stderr)
    return 0


def run_attention(args: argparse.Namespace) -> int:
    from dnabert.inference import predict

    for path in (args.out, args.tsv):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    data = read_input(args.input, lm.k)
    scores: list[np.ndarray] = []
    for s in _chunks(len(data)):
        scores.extend(predict(lm, data.seqs[s], args.batch_size, attention=args.attention, progress=True).scores)
    with atomic_path(args.out) as tmp:
        with open(tmp, "wb") as fh:
            write_attention_npz(fh, data.ids, data.seqs, scores, args.attention, lm.k)
    if args.tsv:
        with atomic_path(args.tsv) as tmp:
            attention_long_table(data.ids, data.seqs, scores).to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    print(f"wrote attention of {len(data)} sequences to {args.out}", file=sys.stderr)
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from dnabert.inference import predict

    if args.window < 1 or args.stride < 1:
        raise InputError("--window and --stride must be positive")
    check_output_file(args.out)
    lm = load_for_cli(args)
    if args.window - lm.k + 1 > lm.window:
        raise InputError(
            f"--window {args.window} gives more k-mers than the model window ({lm.window}); use at most {lm.window + lm.k - 1}"
        )
    if args.window < lm.k:
        raise InputError(f"--window {args.window} is shorter than k={lm.k}")
    data = read_input(args.input, lm.k)
    rows = []
    for rid, seq in zip(data.ids, data.seqs):
        starts = list(range(0, max(len(seq) - args.window, 0) + 1, args.stride))
        if starts[-1] + args.window < len(seq):
            starts.append(len(seq) - args.window)  # cover the 3' end too
        pieces = [seq[s : s + args.window] for s in starts]
        probs = predict(lm, pieces, args.batch_size, attention=None, progress=True).probs
        for s, piece, p in zip(starts, pieces, probs):
            rows.append({"id": rid, "start": s, "end": s + len(piece), **{f"p_{lab}": p[c] for c, lab in enumerate(lm.labels)}})
    with atomic_path(args.out) as tmp:
        pd.DataFrame(rows).to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    print(f"wrote {len(rows)} windows to {args.out}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="class probabilities per sequence (TSV)")
    add_model_args(p)
    p.add_argument("--input", required=True, help="FASTA / FASTA.gz / one sequence per line")
    p.add_argument("--out", required=True, help="output TSV: id, length, p_<class>..., predicted")
    p.set_defaults(func=run_predict)

    p = sub.add_parser("attention", help="per-nucleotide attention scores (NPZ, optional TSV)")
    add_model_args(p)
    add_attention_arg(p)
    p.add_argument("--input", required=True, help="FASTA / FASTA.gz / one sequence per line")
    p.add_argument("--out", required=True, help="output NPZ: ids, lengths, scores (concatenated tracks)")
    p.add_argument("--tsv", help="also write a long table: id, position (0-based), base, score")
    p.set_defaults(func=run_attention)

    p = sub.add_parser("scan", help="sliding-window prediction along long sequences")
    add_model_args(p)
    p.add_argument("--input", required=True)
    p.add_argument("--window", type=int, default=300, help="window length in bp (default 300)")
    p.add_argument("--stride", type=int, default=50, help="step between windows in bp (default 50)")
    p.add_argument("--out", required=True, help="output TSV: id, start, end (0-based, half-open), p_<class>...")
    p.set_defaults(func=run_scan)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dnabert", description="DNABERT Explorer: predict, explain and find motifs with DNA language models"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in REGISTRARS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # a killed job (e.g. a Slurm time-out) cleans up like Ctrl-C; Ctrl-C works even where the shell
    # started us with SIGINT ignored (background jobs of a non-interactive shell)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.default_int_handler)
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: unfinished outputs were removed", file=sys.stderr)
        return 130
