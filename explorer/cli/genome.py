"""Genome views on the command line: ``regions``, ``tracks``, ``known-motifs``, ``embed``, ``compare``.

* ``regions``: BED regions of an indexed genome -> FASTA whose headers carry
  the coordinates (``name::chr1:100-200(-)``, the ``bedtools getfasta -s
  -name`` form), so every other command's results keep them.
* ``tracks``: genome-browser files (bedGraph, bigWig, BED6) of attention,
  high-attention regions, ``scan`` probabilities and motif instances.
* ``known-motifs``: enrichment and attention at the sites of every motif of
  JASPAR or a MEME file (:mod:`motif.known`).

Sequences come from ``--input`` (coordinates read from the headers where
they are ``chrom:start-end[(strand)]``) or from ``--regions peaks.bed
--genome ref.fa``. This module sits above ``motif`` and ``viz`` (it is
command-line glue); they are imported inside the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dnabert.errors import InputError
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
from motif.params import JasparSource, KnownParams, MotifParams

if TYPE_CHECKING:  # annotations only: heavy modules load when a command runs
    import numpy as np
    import pandas as pd

    from dnabert.sequences import SequenceSet

TRACK_FILES = (
    "attention.bedGraph",
    "attention.bw",
    "attribution.bedGraph",
    "attribution.bw",
    "high_attention.bed",
    "motif_instances.bed",
    "chrom.sizes",
)
KNOWN_FILES = ("known_motifs.tsv", "known_sites.tsv", "known_sites.bed", "known_motifs.html")


def genome_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Chromosome sizes from ``--genome`` (empty without one)."""
    if not args.genome:
        return {}
    from dnabert.genome.vcf import open_genome

    fasta = open_genome(args.genome)
    return {record.name: len(record) for record in fasta}  # records, read from the .fai index


def check_out_folder(path: str, own: tuple[str, ...]) -> None:
    """Refuse an ``--out`` that is a file or a folder holding anything but this command's files."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in own and not p.name.startswith("scan_"))
        if foreign:
            raise InputError(f"--out {out} already holds other files (e.g. {foreign[0]}); choose a new or empty folder")


def attention_scores(args: argparse.Namespace, data: SequenceSet, lm=None) -> list[np.ndarray] | None:
    """Per-nucleotide attention from ``--scores`` or the model ``lm`` (loaded from ``--model`` when not given; None without either)."""
    from dnabert.loading.model_info import require_tokens

    if args.scores:
        from motif.scores import load_scores

        return load_scores(args.scores, data.seqs, data.ids)
    if args.model is None:
        return None
    from dnabert.analysis.inference import predict

    lm = lm or load_for_cli(args)
    require_tokens(data, lm, "input")
    scores: list[np.ndarray] = []
    for lo in range(0, len(data), CHUNK):
        scores.extend(predict(lm, data.seqs[lo : lo + CHUNK], args.batch_size, attention=args.attention, progress=True).scores)
    return scores


def read_tsv(path: str, what: str) -> pd.DataFrame:
    """A tab-separated table with a header, or InputError naming the file."""
    import pandas as pd

    if not Path(path).is_file():
        raise InputError(f"{path}: no such file ({what})")
    try:
        return pd.read_csv(path, sep="\t")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable tab-separated table ({what}): {e}") from None


def scan_tracks(table: pd.DataFrame, path: str, data: SequenceSet, class_name: str | None) -> tuple[str, list[np.ndarray]]:
    """Per-base mean probability of the ``scan`` windows covering each base, per sequence (NaN where none does)."""
    import numpy as np

    from dnabert.genome.tracks import window_mean

    classes = [c[2:] for c in table.columns if c.startswith("p_")]
    if not {"id", "start", "end"} <= set(table.columns) or not classes:
        raise InputError(f"{path}: expected the output of 'dnabert scan' (columns id, start, end, p_<class>...)")
    label = class_name or classes[-1]
    if label not in classes:
        raise InputError(f"{path}: no column p_{label}; classes: {', '.join(classes)}")
    index = {rid: i for i, rid in enumerate(data.ids)}
    unknown = sorted(set(table["id"].astype(str)) - set(index))
    if unknown:
        raise InputError(f"{path}: window on sequence {unknown[0]!r}, which is not in the input; give the input scanned")
    tracks = [np.full(len(s), np.nan) for s in data.seqs]
    for rid, part in table.groupby(table["id"].astype(str), sort=False):
        i = index[rid]
        try:
            starts, ends = part["start"].to_numpy(np.int64), part["end"].to_numpy(np.int64)
            values = part[f"p_{label}"].to_numpy(np.float64)
        except (ValueError, TypeError):
            raise InputError(f"{path}: start, end and p_{label} of {rid!r} must be numbers") from None
        if (starts < 0).any() or (ends > len(data.seqs[i])).any() or (ends <= starts).any():
            raise InputError(f"{path}: a window of {rid!r} lies outside its {len(data.seqs[i])} bp")
        tracks[i] = window_mean(len(data.seqs[i]), starts, ends, values)
    return label, tracks


def write_track_pair(folder: Path, stem: str, table: pd.DataFrame, sizes: dict[str, int], description: str) -> None:
    from dnabert.genome.tracks import write_bedgraph, write_bigwig

    write_bedgraph(folder / f"{stem}.bedGraph", table, stem, description)
    write_bigwig(folder / f"{stem}.bw", table, sizes)


def run_regions(args: argparse.Namespace) -> int:
    from dnabert.genome.coordinates import sequences_from_genome
    from dnabert.outputs import atomic_path, check_output_file

    check_output_file(args.out)
    data, coords = sequences_from_genome(args.regions, args.genome)
    with atomic_path(args.out) as tmp, open(tmp, "w") as fh:
        for rid, iv, seq in zip(data.ids, coords, data.seqs):
            header = str(iv) if rid == str(iv) else f"{rid}::{iv}"
            fh.write(f">{header}\n{seq}\n")
    print(f"wrote {len(data)} sequences with coordinate headers to {args.out}", file=sys.stderr)
    return 0


def run_tracks(args: argparse.Namespace) -> int:
    import pandas as pd

    from dnabert.genome.tracks import chrom_sizes, per_base_table, write_bed
    from dnabert.outputs import atomic_path
    from motif.bed import region_bed, site_bed

    if args.model is not None and args.scores:
        raise InputError("give --model (compute attention) or --scores (precomputed attention), not both")
    if args.attribution and args.model is None:
        raise InputError("--attribution needs --model (gradients of the model)")
    if args.instances and args.model is None and not args.scores:
        raise InputError("--instances needs attention (--model or --scores): each instance's BED score is its mean attention")
    if not (args.model or args.scores or args.scan):
        raise InputError("nothing to write: give --model or --scores (attention tracks), and/or --scan (probability tracks)")
    check_out_folder(args.out, TRACK_FILES)
    scan = read_tsv(args.scan, "the output of 'dnabert scan'") if args.scan else None
    instances = read_tsv(args.instances, "instances.tsv of 'dnabert motifs'") if args.instances else None
    data, coords = read_located(args, args.input, genome_alone=True)
    known = genome_sizes(args)
    tables: dict[str, tuple[pd.DataFrame, str]] = {}
    lm = load_for_cli(args) if args.model else None
    scores = attention_scores(args, data, lm)
    if scores is not None:
        tables["attention"] = (per_base_table(coords, data.ids, scores), f"per-nucleotide {args.attention} attention")
    if args.attribution:
        from dnabert.analysis.attribution import attribution_track

        tracks = [attribution_track(lm, s, args.attribution).track for s in data.seqs]
        tables["attribution"] = (per_base_table(coords, data.ids, tracks), f"{args.attribution} attribution (signed)")
    if scan is not None:
        label, tracks = scan_tracks(scan, args.scan, data, args.class_name)
        tables[f"scan_{label}"] = (per_base_table(coords, data.ids, tracks), f"scan P({label}), mean of windows covering a base")
    beds = {}
    if scores is not None:
        beds["high_attention"] = region_bed(coords, data.ids, data.seqs, scores, args.z, args.min_len)
    if instances is not None:
        beds["motif_instances"] = site_bed(coords, data.ids, scores, instances, "motif")
    all_rows = pd.concat([t for t, _ in tables.values()] + [b[["chrom", "start", "end"]] for b in beds.values()])
    sizes = chrom_sizes(all_rows, known)
    with atomic_path(args.out) as tmp:
        tmp.mkdir()
        for stem, (table, description) in tables.items():
            write_track_pair(tmp, stem, table, sizes, description)
        for stem, bed in beds.items():
            write_bed(tmp / f"{stem}.bed", bed, stem)
        pd.Series(sizes).to_csv(tmp / "chrom.sizes", sep="\t", header=False)
    n_coord = sum(c is not None for c in coords)
    print(
        f"wrote {', '.join([*tables, *beds])} for {len(data)} sequences ({n_coord} with genome coordinates) to {args.out}",
        file=sys.stderr,
    )
    return 0


def run_known(args: argparse.Namespace) -> int:
    from dnabert.genome.tracks import write_bed
    from dnabert.outputs import atomic_path
    from dnabert.sequences import shuffled_negatives
    from motif.bed import locate_sites, site_bed
    from motif.jaspar import jaspar_database, load_meme_database
    from motif.known import known_motif_attention
    from viz.export import write_html
    from viz.known_motifs import known_motif_scatter

    if (args.model is None) == (args.scores is None):
        raise InputError("give exactly one of --model (compute attention) or --scores (precomputed attention file)")
    check_out_folder(args.out, KNOWN_FILES)
    if args.motif_db:
        database = load_meme_database(args.motif_db)
    else:
        database = jaspar_database(settings_from_args(JasparSource, args))
    pos, coords = read_located(args, args.positives)
    if args.negatives:
        neg = read_input(args.negatives)
        neg_seqs, neg_ids = neg.seqs, neg.ids
    else:
        print("note: no --negatives: using dinucleotide-shuffled positives (seed 0)", file=sys.stderr)
        neg_seqs, neg_ids = shuffled_negatives(pos.seqs, seed=0), [f"{i}_shuffled" for i in pos.ids]
    scores = attention_scores(args, pos)
    result = known_motif_attention(
        pos.seqs, scores, neg_seqs, database, pos.ids, neg_ids, settings_from_args(KnownParams, args)
    )
    pos_sites = result.sites[result.sites["set"] == "pos"].assign(bed_name=lambda d: d["name"] + "_" + d["motif_id"])
    bed = site_bed(coords, pos.ids, scores, pos_sites, "bed_name")
    with atomic_path(args.out) as tmp:
        tmp.mkdir()
        result.table.to_csv(tmp / "known_motifs.tsv", sep="\t", index=False, float_format="%.6g")
        sites = locate_sites(result.sites, pos.ids, coords, result.sites["set"] == "pos")
        sites.to_csv(tmp / "known_sites.tsv", sep="\t", index=False, float_format="%.6g")
        write_bed(tmp / "known_sites.bed", bed, "known motif sites")
        write_html(
            known_motif_scatter(result.table, title=f"{database.name}: enrichment vs attention"), tmp / "known_motifs.html"
        )
    top = result.table.head(5)
    print(
        f"wrote {len(result.table)} motifs ({(result.table['q'] < 0.05).sum()} enriched at q < 0.05) to {args.out}; top: "
        + ", ".join(f"{n} ({m})" for n, m in zip(top["name"], top["motif_id"])),
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("regions", help="BED regions of an indexed genome -> FASTA with coordinate headers")
    p.add_argument(
        "--regions", required=True, help="BED file (name: column 4, strand: column 6; minus strand: reverse complement)"
    )
    p.add_argument("--genome", required=True, help="genome FASTA (pyfaidx writes the .fai index next to it)")
    p.add_argument("--out", required=True, help="output FASTA; headers name::chrom:start-end(strand), 0-based half-open")
    p.set_defaults(func=run_regions)

    p = sub.add_parser("tracks", help="genome-browser files: attention bedGraph/bigWig, regions and instances BED, scan tracks")
    add_located_input(p)
    add_model_args(p)
    add_attention_arg(p)
    p.set_defaults(model=None)
    p.add_argument("--scores", help="precomputed attention (NPZ of 'dnabert attention') instead of --model")
    p.add_argument(
        "--attribution",
        choices=["integrated_gradients", "gradient_x_input"],
        help="also write attribution.bedGraph/.bw of the last class (needs --model; sequences up to the model window)",
    )
    p.add_argument("--scan", help="TSV of 'dnabert scan' on the same input: per-base probability tracks")
    p.add_argument("--class", dest="class_name", help="--scan class to write (default: the last)")
    p.add_argument("--instances", help="instances.tsv of 'dnabert motifs' on the same input: motif_instances.bed")
    add_settings_args(p.add_argument_group("high-attention regions (as in 'dnabert motifs')"), MotifParams, ("z", "min_len"))
    p.add_argument("--out", required=True, help="output folder: attention.bedGraph/.bw, high_attention.bed, scan_<class>.*, ...")
    p.set_defaults(func=run_tracks)

    p = sub.add_parser("known-motifs", help="which known motifs the model attends to: enrichment and attention at FIMO sites")
    add_located_input(p, "--positives")
    p.add_argument("--negatives", help="negative sequences (default: dinucleotide-shuffled positives)")
    add_model_args(p)
    add_attention_arg(p)
    p.set_defaults(model=None)
    p.add_argument("--scores", help="precomputed attention of the positives (NPZ of 'dnabert attention') instead of --model")
    p.add_argument("--motif-db", help="MEME file of motifs instead of JASPAR")
    add_settings_args(p, JasparSource)
    add_settings_args(p, KnownParams)
    p.add_argument(
        "--out",
        required=True,
        help=f"output folder: known_motifs.tsv, known_sites.tsv/.bed, known_motifs.html; known_sites.tsv {GENOME_HELP} "
        "(positives only)",
    )
    p.set_defaults(func=run_known)
