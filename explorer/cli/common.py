"""Options and steps shared by the commands that run a model."""

from __future__ import annotations

import argparse
import sys

from dnabert.options import ATTENTION_HELP, ATTENTION_MODES, EVIDENCE_HELP, EVIDENCE_KINDS
from explorer.cli.argtypes import device, integer

CHUNK = 4096  # sequences per inference call, so huge inputs stream through memory
# option dests naming files a command reads / writes: no output may be an input or another output
INPUT_OPTIONS = ("input", "variants", "vcf", "genome", "regions", "positives", "negatives", "scores", "train", "dev", "test",
                 "model", "compare", "motif_db", "motifs", "explain_motifs", "scan", "instances")  # fmt: skip
OUTPUT_OPTIONS = ("out", "tsv", "maps", "npz", "motif_changes")
GENOME_HELP = (
    "with genome coordinates (headers chrom:start-end[(+|-)], or --regions) also chrom, chrom_start, chrom_end, chrom_strand "
    "(0-based, half-open; empty for sequences without coordinates)"
)


def input_paths(args: argparse.Namespace) -> dict[str, object]:
    """Option name (``--motif-db``) -> value of every :data:`INPUT_OPTIONS` option: the inputs outputs are checked against."""
    return {f"--{d.replace('_', '-')}": getattr(args, d, None) for d in INPUT_OPTIONS}


def add_model_args(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--batch-size``, ``--device``: shared by every command that runs a model."""
    p.add_argument(
        "--model",
        default="demo",
        help="checkpoint folder of any family (DNABERT-1, DNABERT-2, Nucleotide Transformer v1 / v2), a Hugging Face "
        "model id (owner/name, through the local cache), or 'demo' for the embedded demo model (default)",
    )
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


def add_class_arg(p: argparse.ArgumentParser, what: str = "score") -> None:
    """``--class``: the class a command follows (:func:`dnabert.analysis.variants.resolve_class`)."""
    p.add_argument("--class", dest="class_name", help=f"class to {what}, by name or index (default: the last class)")


def add_evidence_args(p: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    """``--evidence`` (``choices``: :data:`dnabert.options.EVIDENCE_KINDS`, and ``all``), ``--attention`` and ``--class``."""
    p.add_argument("--evidence", choices=choices, default=EVIDENCE_KINDS[0], help=f"{EVIDENCE_HELP} (default {EVIDENCE_KINDS[0]})")
    add_attention_arg(p)
    add_class_arg(p, "explain with attribution and ism")


def load_for_cli(args: argparse.Namespace):
    """Load ``--model`` on ``--device``, printing its family, tokenizer and window and its notes to stderr."""
    from dnabert.loading.checkpoint import load_model
    from dnabert.loading.model_info import describe

    from explorer.model_names import model_source

    lm = load_model(model_source(args.model), device=args.device)
    print(f"model: {describe(lm)}", file=sys.stderr)
    for note in lm.notes:
        print(f"note: {note}", file=sys.stderr)
    return lm


def read_input(path: str, *models):
    """Read ``--input`` and print its normalisation notes to stderr; refuse sequences that give any of ``models`` no token."""
    from dnabert.loading.model_info import require_tokens
    from dnabert.sequences import read_sequences

    data = read_sequences(path)
    for note in data.notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    for lm in models:
        require_tokens(data, lm, path)
    return data


def add_located_input(p: argparse.ArgumentParser, flag: str = "--input") -> None:
    """``flag`` (sequences; coordinates from the headers) or ``--regions`` + ``--genome``: every command reading sequences."""
    p.add_argument(flag, help="FASTA / FASTA.gz / one per line; headers chrom:start-end[(+|-)] (0-based) carry coordinates")
    p.add_argument(
        "--regions", help=f"BED file of regions to read from --genome instead of {flag} (name: column 4, strand: column 6)"
    )
    p.add_argument("--genome", help="indexed genome FASTA for --regions (pyfaidx writes the .fai next to it)")


def read_located(args: argparse.Namespace, path: str | None, *models, genome_alone: bool = False):
    """Sequences and their coordinates (:mod:`dnabert.genome.coordinates`) from ``path`` or ``--regions`` + ``--genome``.

    Notes go to stderr; sequences that give any of ``models`` no token are refused. ``--genome`` without
    ``--regions`` is refused unless the command reads it otherwise (``genome_alone``: chromosome sizes).

    Returns
    -------
    SequenceSet, list of Interval or None
        One interval per sequence (None where a header names no region).
    """
    from dnabert.genome.coordinates import coordinates_from_ids, sequences_from_genome
    from dnabert.errors import InputError

    if args.regions:
        if path or not args.genome:
            raise InputError("--regions needs --genome (the reference FASTA) and takes no --input / --positives")
        data, coords = sequences_from_genome(args.regions, args.genome)
        for note in data.notes:
            print(f"note: {args.regions}: {note}", file=sys.stderr)
        if models:  # model_info imports torch: only when there is a model
            from dnabert.loading.model_info import require_tokens

            for lm in models:
                require_tokens(data, lm, args.regions)
        return data, coords
    if not path:
        raise InputError("give the sequences: a FASTA file, or --regions with --genome")
    if args.genome and not genome_alone:
        raise InputError("--genome is read only with --regions (the BED regions to take from it); drop it or add --regions")
    data = read_input(path, *models)
    coords, notes = coordinates_from_ids(data, path)
    for note in notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    return data, coords


def chunks(n: int):
    """Slices of at most :data:`CHUNK` items covering ``range(n)``."""
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))


def model_help(argv: list[str]) -> str | None:
    """For ``<command> --model M --help``: a line with M's family, tokenizer and window (None without both options)."""
    if not {"-h", "--help"} & set(argv):
        return None
    model = next((a.split("=", 1)[1] for a in argv if a.startswith("--model=")), None)
    if "--model" in argv[:-1]:
        model = argv[argv.index("--model") + 1]
    if model is None:
        return None
    from dnabert.loading.checkpoint import load_model
    from dnabert.errors import InputError
    from dnabert.loading.model_info import describe

    try:
        return f"--model {model}: {describe(load_model(model))}"
    except InputError as e:
        return f"--model {model}: cannot be loaded ({e})"
