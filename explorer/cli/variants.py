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
(:func:`dnabert.coordinates.with_genome_columns`; ref and alt as read on
``chrom_strand``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from dnabert.errors import InputError
from explorer.cli.argtypes import integer
from explorer.cli.common import (
    GENOME_HELP,
    add_attention_arg,
    add_engine_args,
    add_located_input,
    add_model_args,
    load_for_cli,
    read_located,
)

if TYPE_CHECKING:  # the model stack (torch) is imported only when a command runs
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.checkpoint import LoadedModel
    from dnabert.coordinates import Interval
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

    from dnabert.coordinates import with_genome_columns

    index = {rid: i for i, rid in enumerate(data.ids)}
    ref_len = np.where(table["ref"] == "-", 0, table["ref"].str.len())  # "-": the empty ref of an insertion
    position = table["position"].to_numpy()
    return with_genome_columns(table, coords, table["id"].map(index).to_numpy(), position, position + ref_len)


def _saturation(args: argparse.Namespace, lm: LoadedModel, class_index: int) -> pd.DataFrame:
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.limits import check_saturation_length
    from dnabert.variants import mutation_map, mutation_map_table, saturation_edits, sort_by_effect

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

    from dnabert.variants import edit_table, read_variant_list, score_edits

    data, coords = read_located(args, args.input, lm)
    edits = read_variant_list(args.variants, data.ids, data.seqs)
    if args.engine == "ray":
        from explorer.cli import ray_engine

        scored = ray_engine.score_edits(args, lm, class_index, data.seqs, edits)
        return _located(edit_table(data.ids, data.seqs, edits, scored), data, coords)
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
    return _located(edit_table(data.ids, data.seqs, edits, scores), data, coords)


def _vcf(args: argparse.Namespace, lm: LoadedModel, class_index: int) -> pd.DataFrame:
    import pandas as pd
    from tqdm.auto import tqdm

    from dnabert.variants import score_edits, sort_by_effect, variant_table
    from dnabert.vcf import vcf_chunks

    from dnabert.model_info import shortest_bases, window_bases

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
    bar = tqdm(unit="variant", desc="mutate")
    for chunk, scores in scored:
        tables.append(variant_table(chunk.ids, chunk.positions, chunk.refs, chunk.alts, scores, chroms=chunk.chroms))
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
    from dnabert.variants import resolve_class, save_mutation_maps

    if args.vcf:
        if args.input or args.variants or args.regions or not args.genome:
            raise InputError("--vcf needs --genome (the reference FASTA) and takes no --input, --regions or --variants.")
    elif not (args.input or args.regions):
        raise InputError(
            "give --input or --regions with --genome (sequences; with --variants for a variant list) or --vcf with --genome."
        )
    if args.maps and (args.vcf or args.variants):
        raise InputError("--maps is for saturation mutagenesis only (--input without --variants).")
    for path in (args.out, args.maps):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    class_index = resolve_class(lm.labels, args.class_name)
    print(f"note: scoring class '{lm.labels[class_index]}' (index {class_index})", file=sys.stderr)
    run = _vcf if args.vcf else _variant_list if args.variants else _saturation
    table = run(args, lm, class_index)
    with atomic_paths(args.out, args.maps) as (tmp, tmp_maps):
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
        if tmp_maps:
            save_mutation_maps(tmp_maps, args.mutation_maps)
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
    p.add_argument("--class", dest="class_name", help="class to score, by name or index (default: the last class)")
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
    p.add_argument(
        "--out",
        required=True,
        help="output TSV: id, [chrom,] position (0-based), ref, alt, p_wt, p_mut, diff, logOR[, attn_change] ([chrom,]: --vcf); "
        f"{GENOME_HELP}",
    )
    add_engine_args(p)
    p.set_defaults(func=run_mutate)
