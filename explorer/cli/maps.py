"""``python -m dnabert embed`` (embedding map) and ``python -m dnabert compare`` (two models side by side; also
``attention --compare``, through :func:`run_comparison`)."""

from __future__ import annotations

import argparse
import sys

from explorer.cli.argtypes import SEED
from explorer.cli.common import (
    GENOME_HELP,
    add_attention_arg,
    add_located_input,
    add_model_args,
    input_paths,
    load_for_cli,
    read_located,
)


def run_embed(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from dnabert.genome.coordinates import sequence_rows, with_genome_columns
    from dnabert.analysis.embeddings import embed, project
    from dnabert.analysis.inference import predict
    from dnabert.outputs import atomic_path, check_output_file
    from dnabert.training.threshold import predicted_labels

    for path in (args.out, args.npz):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    data, coords = read_located(args, args.input, lm)
    vectors = embed(lm, data.seqs, args.pooling, args.batch_size)
    xy, note = project(vectors, args.method, args.seed)
    probs = predict(lm, data.seqs, args.batch_size, attention=None).probs
    table = pd.DataFrame({"id": data.ids, "x": xy[:, 0], "y": xy[:, 1]})
    for c, label in enumerate(lm.labels):
        table[f"p_{label}"] = probs[:, c]
    table["predicted"] = predicted_labels(lm, probs)
    table = with_genome_columns(table, coords, *sequence_rows([len(s) for s in data.seqs]))
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    if args.npz:
        with atomic_path(args.npz) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, ids=np.array(data.ids), embeddings=vectors, pooling=np.array(args.pooling))
    print(f"wrote the {args.method} map of {len(data)} sequences ({note}) to {args.out}", file=sys.stderr)
    return 0


def run_comparison(args: argparse.Namespace, table_path: str, npz_stem: str | None, long_tsv: str | None = None) -> int:
    """``--model`` against ``--compare`` on the same sequences (``compare`` and ``attention --compare``).

    Writes the per-sequence table (:func:`dnabert.analysis.model_compare.comparison_table`, plus genome columns) to
    ``table_path``; with ``npz_stem``, each model's tracks to ``<stem>_A.npz`` / ``<stem>_B.npz`` (the NPZ of
    ``attention``); with ``long_tsv``, one row per base: id, position, base, score_A, score_B (plus genome columns).
    """
    import numpy as np

    from dnabert.loading.checkpoint import load_model
    from dnabert.genome.coordinates import base_rows, sequence_rows, with_genome_columns
    from dnabert.analysis.model_compare import compare_models, comparison_table
    from explorer.model_names import model_source
    from dnabert.outputs import atomic_paths, attention_long_table, check_output_file, refuse_overlaps, write_attention_npz

    npz = {tag: f"{npz_stem}_{tag}.npz" for tag in "AB"} if npz_stem else {}
    outputs = {"table": table_path, **{f"model {tag} tracks": path for tag, path in npz.items()}, "--tsv": long_tsv}
    refuse_overlaps(input_paths(args), outputs)
    for path in outputs.values():
        if path:
            check_output_file(path)
    lm_a = load_for_cli(args)
    lm_b = load_model(model_source(args.compare), device=args.device)
    for note in lm_b.notes:
        print(f"note: --compare: {note}", file=sys.stderr)
    data, coords = read_located(args, args.input, lm_a, lm_b)
    comp = compare_models(lm_a, lm_b, data.seqs, args.attention, args.batch_size)
    lengths = [len(s) for s in data.seqs]
    table = comparison_table(data.ids, lengths, comp, lm_a, lm_b)
    table = with_genome_columns(table, coords, *sequence_rows(lengths))
    with atomic_paths(table_path, npz.get("A"), npz.get("B"), long_tsv) as (tmp, tmp_a, tmp_b, tmp_long):
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
        for tmp_npz, pred, lm in ((tmp_a, comp.a, lm_a), (tmp_b, comp.b, lm_b)):
            if tmp_npz:
                with open(tmp_npz, "wb") as fh:
                    tokenizer = lm.tokenizer.name
                    write_attention_npz(fh, data.ids, data.seqs, pred.scores, args.attention, lm.family, tokenizer, coords)
        if tmp_long:
            long = attention_long_table(data.ids, data.seqs, comp.a.scores).rename(columns={"score": "score_A"})
            long["score_B"] = np.concatenate(comp.b.scores)
            with_genome_columns(long, coords, *base_rows(lengths)).to_csv(tmp_long, sep="\t", index=False, float_format="%.6g")
    median = np.nanmedian(comp.pearson) if np.isfinite(comp.pearson).any() else float("nan")
    written = ", ".join(p for p in (table_path, *npz.values(), long_tsv) if p)
    print(f"wrote {len(table)} sequences to {written}; median attention Pearson r = {median:.3f}", file=sys.stderr)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    return run_comparison(args, args.out, args.npz.removesuffix(".npz") if args.npz else None)


def register(sub: argparse._SubParsersAction) -> None:
    from dnabert.options import EmbeddingMap
    from explorer.cli.params import add_settings_args

    p = sub.add_parser("embed", help="2-D map of sequence embeddings (PCA, or UMAP with umap-learn)")
    add_model_args(p)
    add_located_input(p)
    add_settings_args(p, EmbeddingMap)
    p.add_argument("--seed", type=SEED, default=0, help="seed of the projection (default 0)")
    p.add_argument("--out", required=True, help=f"output TSV: id, x, y, p_<class>..., predicted; {GENOME_HELP}")
    p.add_argument("--npz", help="also write the embeddings (n x hidden) as NPZ: ids, embeddings, pooling")
    p.set_defaults(func=run_embed)

    p = sub.add_parser("compare", help="two models on the same sequences: probabilities and attention agreement")
    add_model_args(p)
    add_attention_arg(p)
    p.add_argument("--compare", required=True, help="the second model: checkpoint folder, hub id or 'demo'")
    add_located_input(p)
    p.add_argument(
        "--out", required=True, help=f"output TSV: id, length, A_p_<class>..., B_p_<class>..., pearson, spearman; {GENOME_HELP}"
    )
    p.add_argument("--npz", help="also write both attention tracks: <name>_A.npz and <name>_B.npz ('dnabert attention' format)")
    p.set_defaults(func=run_compare)
