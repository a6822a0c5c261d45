"""Inference commands: ``predict``, ``attention`` and ``scan``."""

from __future__ import annotations

import argparse
import sys

from dnabert.errors import InputError
from explorer.cli.common import (
    GENOME_HELP,
    add_attention_arg,
    add_engine_args,
    add_located_input,
    add_model_args,
    chunks,
    load_for_cli,
    read_located,
)


def run_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from dnabert.genome.coordinates import sequence_rows, with_genome_columns
    from dnabert.outputs import atomic_path, check_output_file, prediction_table
    from dnabert.analysis.strands import predict_probs
    from dnabert.training.provenance import training_note
    from dnabert.training.threshold import predicted_labels

    check_output_file(args.out)
    lm = load_for_cli(args)
    data, coords = read_located(args, args.input, lm)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        if args.rc_average:
            raise InputError("--rc-average works with the local engine only; drop it or use --engine local")
        probs, _ = ray_engine.predict(args, lm, data.seqs, attention=None)
    else:
        probs = np.concatenate(
            [predict_probs(lm, data.seqs[s], args.batch_size, rc_average=args.rc_average, progress=True) for s in chunks(len(data))]
        )
    table = prediction_table(data.ids, data.seqs, probs, lm.labels, predicted_labels(lm, probs))
    table = with_genome_columns(table, coords, *sequence_rows([len(s) for s in data.seqs]))
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    note = training_note(lm.path, data.seqs)
    if note:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(table)} predictions to {args.out}", file=sys.stderr)
    return 0


def run_attention(args: argparse.Namespace) -> int:
    from dnabert.genome.coordinates import base_rows, with_genome_columns
    from dnabert.analysis.inference import predict
    from dnabert.outputs import atomic_paths, attention_long_table, check_output_file, write_attention_npz

    if args.compare:
        from explorer.cli.maps import run_comparison

        if args.engine == "ray":
            raise InputError("--compare works with the local engine only; drop --engine ray")
        stem = args.out.removesuffix(".npz")
        return run_comparison(args, f"{stem}_correlation.tsv", stem, args.tsv)
    for path in (args.out, args.tsv):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    data, coords = read_located(args, args.input, lm)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        _, scores = ray_engine.predict(args, lm, data.seqs, attention=args.attention)
    else:
        scores = [
            track
            for s in chunks(len(data))
            for track in predict(lm, data.seqs[s], args.batch_size, attention=args.attention, progress=True).scores
        ]
    with atomic_paths(args.out, args.tsv) as (tmp, tmp_tsv):
        with open(tmp, "wb") as fh:
            write_attention_npz(fh, data.ids, data.seqs, scores, args.attention, lm.family, lm.tokenizer.name, coords)
        if tmp_tsv:
            table = attention_long_table(data.ids, data.seqs, scores)
            table = with_genome_columns(table, coords, *base_rows([len(s) for s in data.seqs]))
            table.to_csv(tmp_tsv, sep="\t", index=False, float_format="%.6g")
    print(f"wrote attention of {len(data)} sequences to {args.out}", file=sys.stderr)
    return 0


def run_scan(args: argparse.Namespace) -> int:
    import numpy as np

    from dnabert.genome.coordinates import with_genome_columns
    from dnabert.outputs import atomic_path, check_output_file
    from dnabert.analysis.scan import check_scan, scan_probs, scan_starts, scan_table

    check_output_file(args.out)
    lm = load_for_cli(args)
    data, coords = read_located(args, args.input, lm)
    starts = [scan_starts(len(seq), args.window, args.stride) for seq in data.seqs]
    check_scan(lm, data.ids, data.seqs, starts, args.window, "--window")
    if args.engine == "ray":
        from explorer.cli import ray_engine

        probs = ray_engine.scan(args, lm, data.seqs, starts)
    else:
        probs = scan_probs(lm, data.seqs, starts, args.window, args.batch_size, progress=True)
    table = scan_table(data.ids, [len(s) for s in data.seqs], starts, probs, args.window, lm.labels)
    seq = np.repeat(np.arange(len(data)), [len(st) for st in starts])
    table = with_genome_columns(table, coords, seq, table["start"].to_numpy(), table["end"].to_numpy())
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    print(f"wrote {len(table)} windows to {args.out}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="class probabilities per sequence (TSV)")
    add_model_args(p)
    add_located_input(p)
    p.add_argument(
        "--out",
        required=True,
        help="output TSV: id, length, p_<class>..., predicted (two classes: by the model's decision_threshold when it has one); "
        f"{GENOME_HELP}",
    )
    p.add_argument(
        "--rc-average", action="store_true", help="average the probabilities of each sequence and its reverse complement"
    )
    add_engine_args(p)
    p.set_defaults(func=run_predict)

    p = sub.add_parser("attention", help="per-nucleotide attention scores (NPZ, optional TSV)")
    add_model_args(p)
    add_attention_arg(p)
    add_located_input(p)
    p.add_argument(
        "--compare",
        help="a second model (checkpoint folder, hub id or 'demo'; any k or tokenizer): writes <out>_A.npz and <out>_B.npz, "
        "and <out>_correlation.tsv: id, length, A_p_<class>..., B_p_<class>..., pearson, spearman of the two tracks",
    )
    p.add_argument(
        "--out",
        required=True,
        help="output NPZ: ids, lengths, scores (concatenated tracks); with coordinates also chrom, chrom_start, chrom_end, "
        "chrom_strand per sequence",
    )
    p.add_argument(
        "--tsv",
        help=f"also write a long table: id, position (0-based), base, score (score_A, score_B with --compare); {GENOME_HELP}",
    )
    add_engine_args(p)
    p.set_defaults(func=run_attention)

    from dnabert.options import ScanWindows
    from explorer.cli.params import add_settings_args

    p = sub.add_parser("scan", help="sliding-window prediction along long sequences")
    add_model_args(p)
    add_located_input(p)
    add_settings_args(p, ScanWindows)
    p.add_argument("--out", required=True, help=f"output TSV: id, start, end (0-based, half-open), p_<class>...; {GENOME_HELP}")
    add_engine_args(p)
    p.set_defaults(func=run_scan)
