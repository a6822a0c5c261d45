"""``python -m dnabert embed`` (embedding map) and ``python -m dnabert compare`` (two models side by side)."""

from __future__ import annotations

import argparse
import sys

from explorer.cli.argtypes import SEED
from explorer.cli.common import add_attention_arg, add_model_args, load_for_cli, read_input


def run_embed(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from dnabert.embeddings import embed, project
    from dnabert.inference import predict
    from dnabert.outputs import atomic_path, check_output_file

    for path in (args.out, args.npz):
        if path:
            check_output_file(path)
    lm = load_for_cli(args)
    data = read_input(args.input, lm)
    vectors = embed(lm, data.seqs, args.pooling, args.batch_size)
    xy, note = project(vectors, args.method, args.seed)
    probs = predict(lm, data.seqs, args.batch_size, attention=None).probs
    table = pd.DataFrame({"id": data.ids, "x": xy[:, 0], "y": xy[:, 1]})
    for c, label in enumerate(lm.labels):
        table[f"p_{label}"] = probs[:, c]
    table["predicted"] = [lm.labels[i] for i in probs.argmax(axis=1)]
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    if args.npz:
        with atomic_path(args.npz) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, ids=np.array(data.ids), embeddings=vectors, pooling=np.array(args.pooling))
    print(f"wrote the {args.method} map of {len(data)} sequences ({note}) to {args.out}", file=sys.stderr)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from dnabert.checkpoint import load_model
    from dnabert.model_compare import compare_models
    from dnabert.outputs import atomic_path, check_output_file, write_attention_npz

    stem = args.npz[: -len(".npz")] if args.npz and args.npz.endswith(".npz") else args.npz
    track_files = {tag: f"{stem}_{tag}.npz" for tag in "AB"} if args.npz else {}
    for path in (args.out, *track_files.values()):
        check_output_file(path)
    lm_a = load_for_cli(args)
    lm_b = load_model(args.compare, device=args.device)
    for note in lm_b.notes:
        print(f"note: --compare: {note}", file=sys.stderr)
    data = read_input(args.input, lm_a, lm_b)
    comp = compare_models(lm_a, lm_b, data.seqs, args.attention, args.batch_size)
    table = pd.DataFrame({"id": data.ids, "length": [len(s) for s in data.seqs]})
    for tag, lm, pred in (("A", lm_a, comp.a), ("B", lm_b, comp.b)):
        for c, label in enumerate(lm.labels):
            table[f"{tag}_p_{label}"] = pred.probs[:, c]
    table["pearson"] = comp.pearson
    table["spearman"] = comp.spearman
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    if track_files:
        for tag, pred, lm in (("A", comp.a, lm_a), ("B", comp.b, lm_b)):
            with atomic_path(track_files[tag]) as tmp, open(tmp, "wb") as fh:
                write_attention_npz(fh, data.ids, data.seqs, pred.scores, args.attention, lm.family, lm.tokenizer.name)
    median = np.nanmedian(comp.pearson) if np.isfinite(comp.pearson).any() else float("nan")
    print(f"wrote {len(table)} sequences to {args.out}; median attention Pearson r = {median:.3f}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from dnabert.options import POOLINGS, PROJECTIONS

    p = sub.add_parser("embed", help="2-D map of sequence embeddings (PCA, or UMAP with umap-learn)")
    add_model_args(p)
    p.add_argument("--input", required=True, help="FASTA / FASTA.gz / one sequence per line")
    p.add_argument(
        "--pooling", choices=POOLINGS, default="cls", help="[CLS] hidden state (default) or mean over the content tokens"
    )
    p.add_argument("--method", choices=PROJECTIONS, default="pca", help="pca (default) or umap (needs umap-learn)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the projection (default 0)")
    p.add_argument("--out", required=True, help="output TSV: id, x, y, p_<class>..., predicted")
    p.add_argument("--npz", help="also write the embeddings (n x hidden) as NPZ: ids, embeddings, pooling")
    p.set_defaults(func=run_embed)

    p = sub.add_parser("compare", help="two models on the same sequences: probabilities and attention agreement")
    add_model_args(p)
    add_attention_arg(p)
    p.add_argument("--compare", required=True, help="the second model: checkpoint folder or 'demo'")
    p.add_argument("--input", required=True, help="FASTA / FASTA.gz / one sequence per line")
    p.add_argument("--out", required=True, help="output TSV: id, length, A_p_<class>..., B_p_<class>..., pearson, spearman")
    p.add_argument("--npz", help="also write both attention tracks: <name>_A.npz and <name>_B.npz ('dnabert attention' format)")
    p.set_defaults(func=run_compare)
