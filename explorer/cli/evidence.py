"""``python -m dnabert faithfulness``: deletion curves of attention, attribution and ISM against random, written to a folder.

The Attention page's *Faithfulness* section shows the same result for the first sequences loaded (the evidence of
:mod:`dnabert.analysis.evidence`, then :func:`dnabert.analysis.faithfulness.deletion_curves`).
"""

from __future__ import annotations

import argparse
import sys

from dnabert.options import DELETION_FILL_HELP, DELETION_FILLS, FAITHFULNESS_SEQUENCES
from explorer.cli.argtypes import SEED, integer
from explorer.cli.common import (
    add_attention_arg,
    add_class_arg,
    add_located_input,
    add_model_args,
    load_for_cli,
    read_located,
)

CURVES_FILE, AREAS_FILE = "curves.tsv", "areas.tsv"


def add_faithfulness_args(p: argparse.ArgumentParser) -> None:
    """The options the command and the Attention page share: fill, sequences, seed."""
    p.add_argument("--fill", choices=DELETION_FILLS, default=DELETION_FILLS[0], help=f"{DELETION_FILL_HELP} (default N)")
    p.add_argument(
        "--sequences",
        type=integer(1),
        default=FAITHFULNESS_SEQUENCES,
        help=f"use the first this many sequences (default {FAITHFULNESS_SEQUENCES}; ISM scores 3 mutants per base)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the random ranking, the shuffles and the bootstrap (default 0)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "faithfulness",
        help="deletion curves: the prediction as the bases attention, attribution or ISM rank first are deleted, against random",
    )
    add_located_input(p)
    add_model_args(p)
    add_attention_arg(p)
    add_class_arg(p, "follow (and explain with attribution and ism)")
    add_faithfulness_args(p)
    p.add_argument(
        "--out",
        required=True,
        help=f"output folder (created; replaced only if it holds a previous run): {CURVES_FILE} (id, ranking, fraction, "
        f"n_deleted, p per sequence), {AREAS_FILE} (per ranking: auc, area_vs_random with its 95%% bootstrap interval)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dnabert.errors import InputError
    from dnabert.analysis.faithfulness import evidence_deletion_curves
    from dnabert.outputs import MARKER, atomic_path, check_output_folder
    from dnabert.analysis.variants import resolve_class

    out = Path(args.out)
    foreign = sorted(p.name for p in out.iterdir() if p.name not in {CURVES_FILE, AREAS_FILE, MARKER}) if out.is_dir() else []
    if foreign:
        raise InputError(f"--out {out} already holds other files (e.g. {foreign[0]}); choose a new or empty folder")
    check_output_folder(out)
    lm = load_for_cli(args)
    data, _ = read_located(args, args.input, lm)
    class_index = resolve_class(lm.labels, args.class_name)
    ids, seqs = data.ids[: args.sequences], data.seqs[: args.sequences]
    print(
        f"note: following class '{lm.labels[class_index]}' over {len(seqs)} sequences, deleted bases as {args.fill}",
        file=sys.stderr,
    )
    result = evidence_deletion_curves(lm, ids, seqs, args.attention, class_index, args.fill, args.seed, args.batch_size)
    curves, areas = result.table([len(s) for s in seqs]), result.areas(args.seed)
    with atomic_path(args.out) as tmp:
        tmp.mkdir()
        curves.to_csv(tmp / CURVES_FILE, sep="\t", index=False, float_format="%.6g")
        areas.to_csv(tmp / AREAS_FILE, sep="\t", index=False, float_format="%.6g")
    for row in areas.itertuples():
        if row.ranking != "random":
            print(
                f"{row.ranking}: area vs random {row.area_vs_random:.4f} (95% CI {row.ci_low:.4f} .. {row.ci_high:.4f})",
                file=sys.stderr,
            )
    print(f"wrote deletion curves of {len(seqs)} sequences to {args.out}", file=sys.stderr)
    return 0
