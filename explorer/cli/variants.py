"""``python -m dnabert mutate``: variant effects as a TSV, one row per variant, sorted by |diff|.

Three inputs:

* ``--input seqs.fa``: saturation mutagenesis of every sequence (``--maps``
  also writes the (L x 4) matrices as NPZ);
* ``--input seqs.fa --variants list.tsv``: the listed edits (sequence id,
  start, end, alt; 0-based, half-open);
* ``--vcf calls.vcf --genome ref.fa``: each ALT in a reference window centred
  on it, streamed in chunks.

The first two also take ``--regions peaks.bed --genome ref.fa`` instead of
``--input``; sequences with coordinates add the genome columns of each edit
(:func:`dnabert.genome.coordinates.with_genome_columns`; ref and alt as read on
``chrom_strand``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from dnabert.errors import InputError
from explorer.cli.argtypes import PROBABILITY, integer
from explorer.cli.common import (
    GENOME_HELP,
    add_attention_arg,
    add_class_arg,
    add_engine_args,
    add_located_input,
    add_model_args,
    load_for_cli,
    read_located,
)

if TYPE_CHECKING:  # the model stack (torch) is imported only when a command runs
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.loading.checkpoint import LoadedModel
    from dnabert.genome.coordinates import Interval
    from dnabert.sequences import SequenceSet


def _advance(bar: tqdm) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback for one scoring call that moves ``bar`` on by the newly done items."""
    seen = 0

    def update(done: int, _total: int) -> None:
        nonlocal seen
        bar.update(done - seen)
        seen = done

    return update


def _mode(args: argparse.Namespace) -> str | None:
    """The attention aggregation for ``attn_change`` (None without ``--attention-change``)."""
    return args.attention if args.attention_change else None


def _located(table: pd.DataFrame, data: SequenceSet, coords: list[Interval | None]) -> pd.DataFrame:
    """``table`` (one row per edit: id, position, ref) with the genome columns of each edit's [position, position + len(ref))."""
    import numpy as np

    from dnabert.genome.coordinates import with_genome_columns

    index = {rid: i for i, rid in enumerate(data.ids)}
    ref_len = np.where(table["ref"] == "-", 0, table["ref"].str.len())  # "-": the empty ref of an insertion
    position = table["position"].to_numpy()
    return with_genome_columns(table, coords, table["id"].map(index).to_numpy(), position, position + ref_len)


def _explainer(args: argparse.Namespace) -> list | None:
    """The motif databases a variant is explained with (JASPAR, plus ``--explain-motifs``), or None (``--no-explain``)."""
    if args.no_explain:
        return None
    from motif.jaspar import load_jaspar, load_meme_database

    jaspar = load_jaspar()
    databases = [(jaspar.name, jaspar)]
    if args.explain_motifs:
        databases.append((args.explain_motifs, load_meme_database(args.explain_motifs)))
    args.motif_change_tables = []
    return databases


def _explain(
    args: argparse.Namespace, databases: list | None, seqs: list[str], edits: list, ids: list[str], positions, refs, alts
) -> pd.DataFrame | None:
    """The motifs_created / motifs_destroyed columns of these edits (edit order); keeps their long table for ``--motif-changes``."""
    if databases is None:
        return None
    from motif.variant_motifs import change_summary, located_changes, motif_changes

    changes = motif_changes(seqs, edits, databases, args.explain_pvalue)
    located = located_changes(changes, edits, ids, positions, refs, alts)
    args.motif_change_tables.append(located)
    return change_summary(changes, len(edits))


def _saturation(args: argparse.Namespace, lm: LoadedModel, class_index: int) -> pd.DataFrame:
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.limits import check_saturation_length
    from dnabert.analysis.variants import mutation_map, mutation_map_table, saturation_edits, sort_by_effect

    data, coords = read_located(args, args.input, lm)
    for rid, seq in zip(data.ids, data.seqs):  # refuse before scoring any
        check_saturation_length(len(seq), rid)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        maps = ray_engine.mutation_maps(args, lm, class_index, data.ids, data.seqs)
    else:
        bar = tqdm(total=sum(len(saturation_edits(s)) for s in data.seqs), unit="mutant", desc="mutate")
        maps = []
        for rid, seq in zip(data.ids, data.seqs):
            maps.append(
                mutation_map(lm, seq, rid, class_index, _mode(args), args.both_strands, args.batch_size, _advance(bar))
            )
        bar.close()
    if args.maps:  # written with --out, all or nothing (see run_mutate)
        args.mutation_maps = maps
    return _located(sort_by_effect(pd.concat([mutation_map_table(m) for m in maps], ignore_index=True)), data, coords)


def _variant_list(args: argparse.Namespace, lm: LoadedModel, class_index: int) -> pd.DataFrame:
    from tqdm.auto import tqdm

    from dnabert.analysis.variants import edit_table, read_variant_list, score_edits

    data, coords = read_located(args, args.input, lm)
    edits = read_variant_list(args.variants, data.ids, data.seqs)
    refs = [data.seqs[e.seq][e.start : e.end] for e in edits]
    sites = [data.ids[e.seq] for e in edits], [e.start for e in edits], refs, [e.alt for e in edits]
    extra = _explain(args, _explainer(args), data.seqs, edits, *sites)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        scored = ray_engine.score_edits(args, lm, class_index, data.seqs, edits)
        return _located(edit_table(data.ids, data.seqs, edits, scored, extra), data, coords)
    bar = tqdm(total=len(edits), unit="variant", desc="mutate")
    scores = score_edits(
        lm,
        data.seqs,
        edits,
        class_index,
        _mode(args),
        args.both_strands,
        batch_size=args.batch_size,
        progress=_advance(bar),
    )
    bar.close()
    return _located(edit_table(data.ids, data.seqs, edits, scores, extra), data, coords)


def _vcf(args: argparse.Namespace, lm: LoadedModel, class_index: int) -> pd.DataFrame:
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.analysis.variants import score_edits, sort_by_effect, variant_table
    from dnabert.genome.vcf import vcf_chunks

    from dnabert.loading.model_info import shortest_bases, window_bases

    shortest, longest = shortest_bases(lm), window_bases(lm)
    width = args.width or longest
    if not shortest <= width <= longest:
        raise InputError(f"--width {width} must be between {lm.tokenizer.shortest_text} and the model's input length, {longest} bp ({lm.family}).")
    chunks = vcf_chunks(args.vcf, args.genome, width)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        chunks = list(chunks)
        scored = zip(chunks, ray_engine.score_parts(args, lm, class_index, [(c.contexts, c.edits) for c in chunks], width))
    else:
        opts = (class_index, _mode(args), args.both_strands, width, args.batch_size)
        scored = ((c, score_edits(lm, c.contexts, c.edits, *opts)) for c in chunks)
    tables, padded = [], []
    databases = _explainer(args)
    bar = tqdm(unit="variant", desc="mutate")
    for chunk, scores in scored:
        variants = chunk.ids, chunk.positions, chunk.refs, chunk.alts
        extra = _explain(args, databases, chunk.contexts, chunk.edits, *variants)
        tables.append(variant_table(*variants, scores, chroms=chunk.chroms, extra=extra))
        padded.extend(chunk.padded)
        bar.update(len(chunk.edits))
    bar.close()
    if padded:
        print(
            f"note: {len(padded)} variant(s) lie within {width // 2} bp of a contig end; their windows were padded "
            f"with N (unknown tokens): {', '.join(padded[:10])}{', ...' if len(padded) > 10 else ''}",
            file=sys.stderr,
        )
    return sort_by_effect(pd.concat(tables, ignore_index=True))


def run_mutate(args: argparse.Namespace) -> int:
    from dnabert.outputs import atomic_paths, check_output_file
    from dnabert.analysis.variants import resolve_class, save_mutation_maps

    if args.vcf:
        if args.input or args.variants or args.regions or not args.genome:
            raise InputError("--vcf needs --genome (the reference FASTA) and takes no --input, --regions or --variants.")
    elif not (args.input or args.regions):
        raise InputError(
            "give --input or --regions with --genome (sequences; with --variants for a variant list) or --vcf with --genome."
        )
    if args.maps and (args.vcf or args.variants):
        raise InputError("--maps is for saturation mutagenesis only (--input without --variants).")
    if (args.motif_changes or args.explain_motifs) and not (args.vcf or args.variants):
        raise InputError("--motif-changes and --explain-motifs are for a variant list (--variants) or --vcf.")
    if args.motif_changes and args.no_explain:
        raise InputError("--motif-changes lists the motif sites of --explain: drop --no-explain.")
    if not (args.vcf or args.variants):
        args.no_explain = True  # saturation mutagenesis: 3 L mutants, no motif explanation
    for path in (args.out, args.maps, args.motif_changes):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    class_index = resolve_class(lm.labels, args.class_name)
    print(f"note: scoring class '{lm.labels[class_index]}' (index {class_index})", file=sys.stderr)
    run = _vcf if args.vcf else _variant_list if args.variants else _saturation
    table = run(args, lm, class_index)
    with atomic_paths(args.out, args.maps, args.motif_changes) as (tmp, tmp_maps, tmp_changes):
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
        if tmp_maps:
            save_mutation_maps(tmp_maps, args.mutation_maps)
        if tmp_changes:
            import pandas as pd

            from motif.variant_motifs import LOCATED_COLUMNS

            tables = args.motif_change_tables
            changes = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=LOCATED_COLUMNS)
            changes.to_csv(tmp_changes, sep="\t", index=False, float_format="%.6g")
    if args.maps:
        print(f"wrote the mutation maps to {args.maps}", file=sys.stderr)
    print(f"wrote {len(table)} variant(s) to {args.out}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mutate", help="variant effects: saturation mutagenesis, a variant list or a VCF (TSV)")
    add_model_args(p)
    add_located_input(p)  # the sequences mutated at every position (or those --variants refers to); --genome also for --vcf
    p.add_argument(
        "--variants",
        help="TSV of sequence id, start, end, alt (0-based, half-open; start == end: insertion; alt '-' or empty: deletion)",
    )
    p.add_argument("--vcf", help="VCF (plain or gzip): every ALT scored in a reference window centred on it; needs --genome")
    p.add_argument(
        "--width",
        type=integer(1),
        help="--vcf window in bp (default: the bases one model window holds: window + k - 1 for k-mers, 6 x window "
        "for NT 6-mers, the window for DNABERT-2 BPE)",
    )
    add_class_arg(p)
    p.add_argument(
        "--both-strands", action="store_true", help="average every probability over the sequence and its reverse complement"
    )
    p.add_argument(
        "--attention-change",
        action="store_true",
        help="add attn_change: distance between wild-type and mutant attention tracks (aggregated as --attention)",
    )
    add_attention_arg(p)
    p.add_argument("--maps", help="saturation mutagenesis: also write every sequence's (L x 4) maps as NPZ")
    x = p.add_argument_group("explain (--variants, --vcf): motif sites each variant creates or destroys (motif.variant_motifs)")
    x.add_argument(
        "--no-explain", action="store_true",
        help="skip the motifs_created / motifs_destroyed columns (FIMO on both alleles against JASPAR 2024 CORE vertebrates)",
    )  # fmt: skip
    x.add_argument("--explain-motifs", help="MEME file of more motifs to explain with, e.g. motifs.meme of 'dnabert motifs'")
    x.add_argument(
        "--explain-pvalue", type=PROBABILITY, default=None,
        help="FIMO site p-value for a motif site (default: the motif analysis's --site-pvalue default)",
    )
    x.add_argument(
        "--motif-changes",
        help="also write every created or destroyed site as TSV: id, position, ref, alt, motif_id, name, source, change, "
        "site_start, site_end (in the allele that has the site, the coordinates of position), strand, p, ref_score, alt_score",
    )
    p.add_argument(
        "--out",
        required=True,
        help="output TSV: id, [chrom,] position (0-based), ref, alt, p_wt, p_mut, diff, logOR[, attn_change][, motifs_created, "
        "motifs_destroyed] ([chrom,]: --vcf; motifs_*: --variants and --vcf unless --no-explain); "
        f"{GENOME_HELP}",
    )
    add_engine_args(p)
    p.set_defaults(func=run_mutate)
