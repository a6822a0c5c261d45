"""``python -m dnabert motifs``: motif discovery from attention, written to a folder.

Scores come from a model (``--model``, computed with the core inference) or
from a file (``--scores``: the NPZ of ``dnabert attention`` or the original
DNABERT ``atten.npy``). Without ``--negatives`` the negatives are
dinucleotide-shuffled positives (seeded by ``--seed``). The analysis options
are built from the fields of :class:`motif.pipeline.MotifParams` (their help
text and ranges), as the app's Motifs page builds its widgets.
"""

from __future__ import annotations

import argparse
import sys

from dnabert.errors import InputError
from motif.params import JasparSource, MotifParams
from explorer.cli.common import (
    CHUNK,
    GENOME_HELP,
    add_attention_arg,
    add_located_input,
    add_model_args,
    load_for_cli,
    read_input,
    read_located,
)
from explorer.cli.params import add_settings_args, settings_from_args

LOGO_CHOICES = ("png", "svg", "none")
ALIASES = {"q_cutoff": ("--pval-cutoff",)}  # older names kept working


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``motifs`` subcommand."""
    p = subparsers.add_parser("motifs", help="motifs from high-attention regions, matched to JASPAR (folder of results)")
    add_located_input(p, "--positives")
    p.add_argument("--negatives", help="negative sequences (default: dinucleotide-shuffled positives)")
    p.add_argument("--scores", help="precomputed attention: NPZ from 'dnabert attention' or the original DNABERT atten.npy")
    add_model_args(p)
    add_attention_arg(p)
    p.set_defaults(model=None)
    p.add_argument(
        "--out",
        required=True,
        help=f"output folder (created; replaced only if it holds a previous run); instances.tsv {GENOME_HELP}; "
        "instances.bed: BED6, score = relative PWM score x 1000",
    )
    add_settings_args(p.add_argument_group("analysis (regions, candidates, enrichment, motifs)"), MotifParams, aliases=ALIASES)
    g = p.add_argument_group("matching and export")
    add_settings_args(g, JasparSource)
    g.add_argument("--motif-db", help="MEME file to match against instead of JASPAR")
    g.add_argument(
        "--no-match", action="store_true",
        help="skip matching against a motif database (TOMTOM still compares the motifs with each other to merge them, when "
        "there are two or more)",
    )  # fmt: skip
    g.add_argument(
        "--format", nargs="+", choices=("meme", "jaspar", "transfac"), default=["meme"],
        help="motif files to write besides motifs.meme: jaspar, transfac",
    )  # fmt: skip
    g.add_argument(
        "--logos", choices=LOGO_CHOICES, default="png",
        help="logo images in logos/ and the report: png (default), svg, or none (fastest: tables and MEME only)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the ``motifs`` subcommand; returns the exit status."""
    from motif.bed import locate_instances
    from motif.jaspar import jaspar_database, load_meme_database
    from motif.output import check_out_dir, write_results
    from motif.pipeline import find_motifs
    from motif.scores import load_scores

    if (args.model is None) == (args.scores is None):
        raise InputError("give exactly one of --model (compute attention) or --scores (precomputed attention file)")
    check_out_dir(args.out)
    params = settings_from_args(MotifParams, args)
    params.check()
    database = None
    if args.motif_db:
        database = load_meme_database(args.motif_db)
    elif not args.no_match:
        database = jaspar_database(settings_from_args(JasparSource, args))
    positives, coords = read_located(args, args.positives)
    negatives = read_input(args.negatives).seqs if args.negatives else None
    if args.scores:
        scores = load_scores(args.scores, positives.seqs, positives.ids)
    else:
        from dnabert.inference import predict
        from dnabert.model_info import require_tokens

        lm = load_for_cli(args)
        require_tokens(positives, lm, args.positives or args.regions)
        scores = []
        for lo in range(0, len(positives), CHUNK):
            chunk = positives.seqs[lo : lo + CHUNK]
            scores.extend(predict(lm, chunk, args.batch_size, attention=args.attention, progress=True).scores)
    result = find_motifs(positives.seqs, scores, negatives, params, database, positives.ids)
    locate_instances(result.motifs, positives.ids, coords)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    images = None
    if args.logos != "none":
        from viz.motif_images import motif_images

        images = motif_images(result, args.logos)
    write_results(result, args.out, tuple(args.format), images)
    print(
        f"wrote {len(result.motifs)} motifs from {result.n_pos} positives and {result.n_neg} negatives to {args.out}",
        file=sys.stderr,
    )
    return 0
