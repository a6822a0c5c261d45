"""``python -m dnabert motifs``: motif discovery from attention, written to a folder.

Scores come from a model (``--model``, computed with the core inference) or
from a file (``--scores``: the NPZ of ``dnabert attention`` or the original
DNABERT ``atten.npy``). Without ``--negatives`` the negatives are
dinucleotide-shuffled positives (seeded by ``--seed``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from dnabert.cli import CHUNK, add_attention_arg, add_model_args, load_for_cli, read_input
from dnabert.errors import InputError
from motif.jaspar import load_jaspar, load_meme_database
from motif.meme import FORMATS
from motif.output import check_out_dir, write_results
from motif.pipeline import MODES, MotifParams, find_motifs
from motif.regions import RULES
from motif.report import LOGO_FORMATS
from motif.scores import load_scores

DEFAULTS = MotifParams()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``motifs`` subcommand."""
    p = subparsers.add_parser("motifs", help="motifs from high-attention regions, matched to JASPAR (folder of results)")
    p.add_argument("--positives", required=True, help="positive sequences: FASTA / FASTA.gz / one per line")
    p.add_argument("--negatives", help="negative sequences (default: dinucleotide-shuffled positives)")
    p.add_argument("--scores", help="precomputed attention: NPZ from 'dnabert attention' or the original DNABERT atten.npy")
    add_model_args(p)
    add_attention_arg(p)
    p.set_defaults(model=None)
    p.add_argument("--out", required=True, help="output folder (created; replaced only if it holds a previous run)")
    g = p.add_argument_group("regions and candidates")
    g.add_argument(
        "--mode",
        choices=MODES,
        default=DEFAULTS.mode,
        help="kmers (default): k-mers assembled into motifs; regions: the original exact region strings and greedy merge",
    )
    g.add_argument(
        "--rule",
        choices=RULES,
        default=DEFAULTS.rule,
        help="high attention: zscore (score > mean + z SD; default in kmers mode) or original (> mean and > 10x min; default in regions mode)",
    )
    g.add_argument("--min-len", type=int, default=DEFAULTS.min_len, help="shortest region and shortest k-mer (default 5)")
    g.add_argument("--z", type=float, default=DEFAULTS.z, help="zscore rule: SDs above the mean (default 1)")
    g.add_argument(
        "--mean-factor", type=float, default=DEFAULTS.mean_factor, help="original rule: multiple of the mean (default 1)"
    )
    g.add_argument(
        "--min-factor", type=float, default=DEFAULTS.min_factor, help="original rule: multiple of the minimum (default 10)"
    )
    g.add_argument("--k-max", type=int, default=DEFAULTS.k_max, help="longest k-mer in kmers mode (default 8)")
    strands = g.add_mutually_exclusive_group()
    strands.add_argument(
        "--both-strands",
        dest="both_strands",
        action="store_const",
        const=True,
        default=None,
        help="count reverse complements too (default in kmers mode)",
    )
    strands.add_argument(
        "--forward-strand",
        dest="both_strands",
        action="store_const",
        const=False,
        help="count the forward strand only (default in regions mode)",
    )
    g = p.add_argument_group("enrichment and motifs")
    g.add_argument(
        "--pval-cutoff", type=float, default=DEFAULTS.pval_cutoff, help="keep candidates with BH q below this (default 0.005)"
    )
    g.add_argument(
        "--max-mismatches",
        type=int,
        default=DEFAULTS.max_mismatches,
        help="mismatches when a seed k-mer collects sites (default 1)",
    )
    g.add_argument("--min-score", type=float, default=DEFAULTS.min_score, help="relative PWM score of a site, 0..1 (default 0.8)")
    g.add_argument(
        "--site-pvalue", type=float, default=DEFAULTS.site_pvalue, help="site p-value when counting motif sites (default 1e-4)"
    )
    g.add_argument("--window-size", type=int, default=DEFAULTS.window_size, help="window around each instance (default 24)")
    g.add_argument("--pseudocount", type=float, default=DEFAULTS.pseudocount, help="pseudocount per PPM column (default 1)")
    g.add_argument(
        "--trim-bits", type=float, default=DEFAULTS.trim_bits, help="trim flanks below this information, bits (default 0.3)"
    )
    g.add_argument("--min-n-motif", type=int, default=DEFAULTS.min_n_motif, help="fewest instances of a motif (default 3)")
    g.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed of the shuffled negatives (default 0)")
    g = p.add_argument_group("matching and export")
    g.add_argument("--jaspar-release", default="JASPAR2024", help="JASPAR release (default JASPAR2024)")
    g.add_argument("--jaspar-collection", default="CORE", help="JASPAR collection (default CORE)")
    g.add_argument("--jaspar-tax-group", default="vertebrates", help="JASPAR taxonomic group, or 'all' (default vertebrates)")
    g.add_argument("--motif-db", help="MEME file to match against instead of JASPAR")
    g.add_argument("--no-match", action="store_true", help="skip TOMTOM matching")
    g.add_argument("--top-matches", type=int, default=DEFAULTS.top_matches, help="matches kept per motif (default 5)")
    g.add_argument(
        "--format",
        nargs="+",
        choices=FORMATS,
        default=["meme"],
        help="motif files to write besides motifs.meme: jaspar, transfac",
    )
    g.add_argument(
        "--logos", choices=LOGO_FORMATS, default="png", help="logo files and report logos: png (default), svg, or none (fastest)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the ``motifs`` subcommand; returns the exit status."""
    if (args.model is None) == (args.scores is None):
        raise InputError("give exactly one of --model (compute attention) or --scores (precomputed attention file)")
    check_out_dir(args.out)
    params = MotifParams(**{f.name: getattr(args, f.name) for f in fields(MotifParams)})  # option dests = field names
    params.check()
    database = None
    if args.motif_db:
        database = load_meme_database(args.motif_db)
    elif not args.no_match:
        database = load_jaspar(
            args.jaspar_release, args.jaspar_collection, None if args.jaspar_tax_group == "all" else args.jaspar_tax_group
        )
    positives = read_input(args.positives)
    negatives = read_input(args.negatives).seqs if args.negatives else None
    if args.scores:
        scores = load_scores(args.scores, positives.seqs, positives.ids)
    else:
        from dnabert.inference import predict
        from dnabert.sequences import require_kmers

        lm = load_for_cli(args)
        require_kmers(positives, lm.k, args.positives)
        scores = []
        for lo in range(0, len(positives), CHUNK):
            chunk = positives.seqs[lo : lo + CHUNK]
            scores.extend(predict(lm, chunk, args.batch_size, attention=args.attention, progress=True).scores)
    result = find_motifs(positives.seqs, scores, negatives, params, database, positives.ids)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    write_results(result, args.out, tuple(args.format), args.logos)
    print(
        f"wrote {len(result.motifs)} motifs from {result.n_pos} positives and {result.n_neg} negatives to {args.out}",
        file=sys.stderr,
    )
    return 0
