"""``python -m dnabert motifs``: motif discovery from per-nucleotide evidence, written to a folder.

Scores come from a model (``--model``: the ``--evidence`` of :mod:`dnabert.analysis.evidence`,
attention by default; ``all`` runs every kind and writes which motifs they
agree on, :mod:`motif.agreement`) or from a file (``--scores``: the NPZ of
``dnabert attention`` or the original DNABERT ``atten.npy``). Without ``--negatives`` the negatives are
dinucleotide-shuffled positives (seeded by ``--seed``). The analysis options
are built from the fields of :class:`motif.pipeline.MotifParams` (their help
text and ranges), as the app's Motifs page builds its widgets.
"""

from __future__ import annotations

import argparse
import sys

from dnabert.errors import InputError
from dnabert.options import EVIDENCE_ALL, EVIDENCE_KINDS
from motif.params import JasparSource, MotifParams
from explorer.cli.common import (
    GENOME_HELP,
    add_evidence_args,
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
    p.add_argument(
        "--scores", help="precomputed per-nucleotide scores: NPZ from 'dnabert attention' or the original DNABERT atten.npy"
    )
    add_model_args(p)
    add_evidence_args(p, (*EVIDENCE_KINDS, EVIDENCE_ALL))
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
    register_cause(subparsers)


def register_cause(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cause`` subcommand: the cause check of known motifs (a MEME file or JASPAR ids)."""
    from motif.params import CAUSE_FIELDS

    p = subparsers.add_parser(
        "cause", help="does the model use these motifs? insertion and ablation tests of known motifs (TSV)"
    )
    add_located_input(p, "--positives")
    p.add_argument("--negatives", help="backgrounds for the insertion test (default: dinucleotide-shuffled positives)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--motifs", help="MEME file of the motifs to check (e.g. motifs.meme of 'dnabert motifs')")
    which.add_argument("--jaspar", nargs="+", metavar="ID", help="JASPAR matrix ids to check, e.g. MA0139.2 MA0035.5")
    p.add_argument("--only", nargs="+", metavar="ID", help="with --motifs: check only these motif ids of the file")
    add_model_args(p)
    p.add_argument("--class", dest="class_name", help="class whose probability is tested, by name or index (default: the last)")
    p.add_argument(
        "--out", required=True,
        help="output TSV: motif_id, name, insertion_n/effect/low/high/p/q, ablation_n/effect/low/high/p/q, verdict",
    )  # fmt: skip
    add_settings_args(p.add_argument_group("cause check"), MotifParams, names=CAUSE_FIELDS)
    p.set_defaults(func=run_cause)


def run_cause(args: argparse.Namespace) -> int:
    """Run the ``cause`` subcommand; returns the exit status."""
    from dnabert.outputs import atomic_paths, check_output_file
    from dnabert.analysis.variants import resolve_class
    from motif.cause import backgrounds_for, cause_check, model_predictor
    from motif.jaspar import jaspar_matrix, load_meme_database
    from motif.params import CAUSE_FIELDS, MotifParams

    check_output_file(args.out)
    params = MotifParams(**{name: getattr(args, name) for name in CAUSE_FIELDS})
    params.check()
    if args.motifs:
        database = load_meme_database(args.motifs)
        ids = args.only or list(database.ids)
        missing = sorted(set(ids) - set(database.ids))
        if missing:
            raise InputError(f"--only: {missing[0]!r} is not a motif id of {args.motifs}")
        names, ppms = [database.names[database.ids.index(i)] for i in ids], [database.ppm(i) for i in ids]
    else:
        ids, found = args.jaspar, [jaspar_matrix(i) for i in args.jaspar]
        names, ppms = [n for n, _ in found], [m for _, m in found]
    lm = load_for_cli(args)
    positives, _ = read_located(args, args.positives, lm)
    negatives = read_input(args.negatives, lm).seqs if args.negatives else None
    class_index = resolve_class(lm.labels, args.class_name)
    print(f"note: testing the probability of class '{lm.labels[class_index]}'", file=sys.stderr)
    checked = cause_check(
        model_predictor(lm, class_index, args.batch_size), ids, names, ppms, positives.seqs,
        backgrounds_for(positives.seqs, negatives, params.seed), params,
    )  # fmt: skip
    for note in checked.notes:
        print(f"note: {note}", file=sys.stderr)
    with atomic_paths(args.out) as (tmp,):
        checked.table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    uses = int((checked.table["verdict"] == "the model uses it").sum())
    print(
        f"wrote the cause check of {len(ids)} motifs to {args.out} ({uses} used by the model; {checked.seconds:.0f} s)",
        file=sys.stderr,
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the ``motifs`` subcommand; returns the exit status."""
    from motif.bed import locate_instances
    from motif.jaspar import jaspar_database, load_meme_database
    from motif.output import check_out_dir, write_results
    from motif.pipeline import find_motifs
    from motif.scores import load_scores

    if (args.model is None) == (args.scores is None):
        raise InputError("give exactly one of --model (compute the evidence) or --scores (a file of precomputed scores)")
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
        if args.evidence != EVIDENCE_KINDS[0] or args.class_name is not None:
            raise InputError("--scores gives the scores: --evidence and --class apply only with --model")
        runs = {"scores": load_scores(args.scores, positives.seqs, positives.ids)}
    else:
        from dnabert.analysis.evidence import evidence
        from dnabert.loading.model_info import require_tokens
        from dnabert.training.provenance import training_note
        from dnabert.analysis.variants import resolve_class

        lm = load_for_cli(args)
        require_tokens(positives, lm, args.positives or args.regions)
        class_index = resolve_class(lm.labels, args.class_name)
        kinds = EVIDENCE_KINDS if args.evidence == EVIDENCE_ALL else (args.evidence,)
        runs = {}
        for kind in kinds:
            print(f"evidence: {kind}" + ("" if kind == "attention" else f" of class '{lm.labels[class_index]}'"), file=sys.stderr)
            runs[kind] = evidence(lm, positives.seqs, kind, args.attention, class_index, args.batch_size)
        note = training_note(lm.path, positives.seqs + (negatives or []))
        if note:
            print(f"note: {note}", file=sys.stderr)
    results = {}
    for kind, scores in runs.items():
        results[kind] = find_motifs(positives.seqs, scores, negatives, params, database, positives.ids)
        locate_instances(results[kind].motifs, positives.ids, coords)
    if params.cause_check and any(r.motifs for r in results.values()):
        if args.scores:
            for result in results.values():
                result.notes.append("cause check skipped: it needs the model's predictions (--model instead of --scores)")
        else:
            from motif.cause import check_motifs, model_predictor

            for kind, result in results.items():
                if result.motifs:
                    print(f"cause check of {len(result.motifs)} {kind} motifs (budget {params.cause_budget:g} s)...", file=sys.stderr)
                    check_motifs(result, model_predictor(lm, class_index, args.batch_size), positives.seqs, negatives)
    for kind, result in results.items():
        for note in result.notes:
            print(f"note: {f'{kind}: ' if len(results) > 1 else ''}{note}", file=sys.stderr)
    images = {kind: None for kind in results}
    if args.logos != "none":
        from viz.motif_images import motif_images

        images = {kind: motif_images(result, args.logos) for kind, result in results.items()}
    if len(results) > 1:
        from motif.agreement import agreement_table
        from motif.output import write_evidence_results

        agreement = agreement_table(results, params.agreement_pvalue)
        write_evidence_results(results, agreement, args.out, tuple(args.format), images)
        every = int((agreement["n_kinds"] == len(results)).sum())
        print(f"wrote {len(agreement)} motif groups ({every} found by every kind) and each kind's run to {args.out}", file=sys.stderr)
        return 0
    (kind, result), = results.items()
    write_results(result, args.out, tuple(args.format), images[kind])
    print(
        f"wrote {len(result.motifs)} motifs from {result.n_pos} positives and {result.n_neg} negatives to {args.out}",
        file=sys.stderr,
    )
    return 0
