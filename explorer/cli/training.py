"""Training subcommands: ``pretrain``, ``finetune``, ``synth``, ``demo-model``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dnabert_demo import DEFAULT_MOTIFS
from dnabert.errors import InputError
from dnabert.training.settings import FinetuneSettings
from dnabert.training.pretrain_settings import PRETRAIN_ONLY, PretrainSettings
from explorer.cli.argtypes import FRACTION, POSITIVE, SEED, device, integer, max_steps, number
from explorer.cli.params import add_settings_args, settings_from_args


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _threads(n: int | None) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if n:
        import torch

        torch.set_num_threads(n)


def _check_out(out: str, overwrite: bool) -> None:
    from dnabert.outputs import check_output_folder

    check_output_folder(out, overwrite)


def run_demo_model(args: argparse.Namespace) -> int:
    from dnabert_demo.recipe import DemoRecipe, build_demo_model, refresh_card

    if args.refresh:
        if not (Path(args.out) / "metrics.json").is_file():
            raise InputError(f"{args.out}: not a built demo model folder (no metrics.json)")
        _threads(args.threads or 2)
        rec = refresh_card(args.out, rerun_motifs=True)
        _log(
            f"re-ran the motif check and rewrote {args.out}/MODEL_CARD.md: {json.dumps(rec['motif_pipeline'].get('planted', rec['motif_pipeline']))}"
        )
        return 0
    _check_out(args.out, args.overwrite)
    recipe = DemoRecipe.quick() if args.quick else DemoRecipe()
    for name in ("epochs", "seed", "threads", "n_train"):
        value = getattr(args, name)
        if value is not None:
            setattr(recipe, name, value)
    _threads(recipe.threads)
    build_demo_model(args.out, recipe, overwrite=args.overwrite, device=args.device, log=_log)
    _log(f"wrote the demo model to {args.out}")
    return 0


def run_synth(args: argparse.Namespace) -> int:
    from dnabert_demo.synthetic import make_planted_dataset, motif_ppm, pwm_ceiling, split_indices, write_planted

    _check_out(args.out, args.overwrite)
    motifs = tuple(args.motifs)
    for m in motifs:
        motif_ppm(m)  # InputError for an unversioned or unknown id
    try:
        data = make_planted_dataset(
            args.n_pos,
            args.n_neg,
            length=args.length,
            motifs=motifs,
            min_rel_score=args.min_score,
            max_sites=args.max_sites,
            shuffled_fraction=args.shuffled_fraction,
            seed=args.seed,
        )
    except ValueError as e:
        raise InputError(str(e)) from None
    splits = None
    if args.split:
        try:
            fr = tuple(float(x) for x in args.split.split(","))
        except ValueError:
            fr = ()
        if len(fr) != 3 or min(fr) < 0 or sum(fr) <= 0:
            raise InputError("--split takes three non-negative fractions, e.g. 0.8,0.1,0.1")
        splits = dict(zip(("train", "dev", "test"), split_indices(len(data), fr, args.seed)))
    from dnabert.outputs import atomic_path

    ceiling = pwm_ceiling(data) if args.n_neg else None
    with atomic_path(args.out) as tmp:
        written = write_planted(tmp, data, splits)
        (tmp / "params.json").write_text(json.dumps({**data.params, "pwm_ceiling_auroc": ceiling}, indent=2) + "\n")
    _log(f"wrote {len(data)} sequences ({args.n_pos} positives) to {args.out}: {', '.join(p.name for p in written)}")
    if ceiling is not None:
        _log(f"PWM-scan ceiling (AUROC of the best true-PWM score, both strands) on all sequences: {ceiling:.4f}")
    return 0


def _report(record: dict, folder: Path) -> None:
    """Print the notes, then the model-vs-baseline table, the threshold and the verdict (with its interval); write
    report.html.

    Under torchrun only rank 0 (which saved the model) reports.
    """
    if int(os.environ.get("RANK", "0")) != 0:
        return
    import pandas as pd

    from dnabert.training.baseline import comparison_table, lost_to_baseline_note
    from dnabert.outputs import atomic_path
    from dnabert.training.summary import summary_lines
    from viz.training import training_report_html

    warning = lost_to_baseline_note(record)
    for note in record["notes"]:
        if note != warning:
            _log("note: " + note)
    t = record.get("decision_threshold")
    _log(
        f"model vs k-mer baseline (accuracy, F1, MCC at the decision threshold {'0.5 (argmax)' if t is None else f'{t:.3f}'}; "
        "the argmax ones are in metrics.json under at_0.5):"
    )
    _log(comparison_table(record).to_string(float_format=lambda v: f"{v:.4f}"))
    for line in summary_lines(record, verdict=not warning):
        _log(line)
    if warning:
        _log("WARNING: " + warning)
    with atomic_path(folder / "report.html") as tmp:
        tmp.write_text(training_report_html(record, pd.read_csv(folder / "curves.tsv", sep="\t")))


def run_finetune(args: argparse.Namespace) -> int:
    from dnabert.training.recipes import auto_finetune
    from dnabert.training.seeds import finetune_seeds
    from dnabert.training.tables import read_labeled
    from dnabert.training.policy import model_shape

    _check_out(args.out, args.overwrite)
    _threads(args.threads)
    settings = settings_from_args(FinetuneSettings, args, threads=args.threads, device=args.device)
    settings.check()
    if args.recipe != "auto" and args.model is None and args.k is None:
        raise InputError("give --model (a pre-trained checkpoint folder) or --k to train a new model from scratch")
    train = read_labeled(args.train)
    dev = read_labeled(args.dev) if args.dev else None
    test = read_labeled(args.test) if args.test else None
    if args.recipe == "auto":
        _log(f"recipe auto: trying a few candidates on the dev split within {args.budget_minutes:g} min")
        res, _ = auto_finetune(
            train, args.out, dev=dev, test=test, model=args.model, k=args.k, settings=settings,
            budget_minutes=args.budget_minutes, overwrite=args.overwrite, log=_log,
        )  # fmt: skip
    else:
        shape = model_shape(args.preset, args.layers, args.hidden, args.heads)
        res = finetune_seeds(train, args.out, dev=dev, test=test, model=args.model, k=args.k, shape=shape,
                             settings=settings, overwrite=args.overwrite, log=_log)  # fmt: skip
    _report(res.record, res.path)
    _log(f"wrote the fine-tuned model to {res.path} (classes: {', '.join(res.labels)})")
    return 0


def run_pretrain(args: argparse.Namespace) -> int:
    from dnabert.training.pretrain import pretrain, read_pretrain_sequences
    from dnabert.training.policy import model_shape

    _check_out(args.out, args.overwrite)
    if args.model is None and args.k is None:
        raise InputError("give --k for a new model, or --model to continue pre-training a checkpoint")
    _threads(args.threads)
    seqs = [s for path in args.input for s in read_pretrain_sequences(path)]
    settings = PretrainSettings(
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        warmup=args.warmup,
        mlm_probability=args.mlm_probability,
        late_mlm_probability=args.late_mlm_probability,
        late_fraction=args.late_fraction,
        min_length=args.min_length,
        max_length=args.max_length,
        sample_ratio=args.sample_ratio,
        seed=args.seed,
        threads=args.threads,
        device=args.device,
    )
    shape = model_shape(args.preset, args.layers, args.hidden, args.heads)
    res = pretrain(seqs, args.out, k=args.k, model=args.model, shape=shape, settings=settings, overwrite=args.overwrite)
    if res.n_skipped:
        _log(f"note: {res.n_skipped} sequence(s) without a stretch of at least max(k, --min-length) A/C/G/T bases were skipped")
    _log(f"MLM loss {res.first_loss:.4f} -> {res.last_loss:.4f}; wrote the pre-trained model to {res.path}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder (written under a temporary name, renamed when complete)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")


def _train_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="checkpoint folder to start from ('demo' allowed); omit with --k for a new model")
    p.add_argument("--k", type=int, choices=[3, 4, 5, 6], help="k-mer size of a new model (without --model)")
    p.add_argument(
        "--preset",
        default="base",
        choices=["base", "small", "tiny"],
        help="new model size: base = BERT-base, 12 layers x 768 (default); small = 4 x 256; tiny = 2 x 128 (CPU)",
    )
    p.add_argument("--layers", type=integer(1, 48), help="new model: layers (overrides the preset)")
    p.add_argument("--hidden", type=integer(1, 8192), help="new model: hidden size (overrides the preset; intermediate = 4x)")
    p.add_argument("--heads", type=integer(1, 256), help="new model: attention heads (overrides the preset)")
    p.add_argument("--threads", type=integer(1, 1024), default=None, help="torch CPU threads")
    p.add_argument(
        "--device", type=device, default=None, help="cpu, cuda, ... (default: GPU when present); use torchrun for many GPUs"
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pretrain", help="masked-language-model pre-training with contiguous k-mer span masking")
    _common(p)
    _train_common(p)
    p.add_argument("--batch-size", type=integer(1, 65536), default=32)
    p.add_argument("--warmup", type=FRACTION, default=0.1, help="warm-up as a fraction of the steps (default 0.1)")
    p.add_argument("--seed", type=SEED, default=42)
    p.add_argument(
        "--input",
        required=True,
        nargs="+",
        help="FASTA / FASTA.gz / one sequence per line / DNABERT k-mer sentences; one or more files",
    )
    p.add_argument("--epochs", type=POSITIVE, default=1.0)
    p.add_argument("--max-steps", type=max_steps, default=-1, help="stop after this many steps (overrides --epochs)")
    p.add_argument("--lr", type=number(0, 1, low_open=True), default=4e-4)
    add_settings_args(p, PretrainSettings, PRETRAIN_ONLY)
    p.set_defaults(func=run_pretrain)

    p = sub.add_parser("finetune", help="fine-tune a classifier on a labelled TSV/CSV (columns sequence, label)")
    _common(p)
    _train_common(p)
    p.add_argument("--train", required=True, help="TSV/CSV with columns sequence, label (and optionally id)")
    p.add_argument("--dev", help="dev table: picks the best epoch")
    p.add_argument("--test", help="test table: scored once at the end (metrics.json)")
    p.add_argument(
        "--recipe",
        choices=["default", "auto"],
        default="default",
        help="default: one run with the settings given (or by model size; the Models page's run); auto: try a few "
        "candidates (k, model size, learning rate, start model vs from scratch) on the dev split within --budget-minutes "
        "and keep the best, sweep.tsv beside it (--preset is not used). Default: default",
    )
    p.add_argument(
        "--budget-minutes", type=number(0, low_open=True), default=10.0, help="time budget of --recipe auto (default 10)"
    )
    add_settings_args(p, FinetuneSettings)
    p.set_defaults(func=run_finetune)

    p = sub.add_parser("synth", help="planted-motif synthetic data (TSV splits, FASTA, ground-truth sites)")
    _common(p)
    p.add_argument("--n-pos", type=integer(1), default=1000)
    p.add_argument("--n-neg", type=integer(0), default=1000)
    p.add_argument("--length", type=integer(1), default=100)
    p.add_argument(
        "--motifs",
        nargs="+",
        default=list(DEFAULT_MOTIFS),
        help="versioned JASPAR 2024 matrix ids (default: MA0139.2 MA0095.2, i.e. CTCF and YY1)",
    )
    p.add_argument("--max-sites", type=integer(1), default=2, help="each positive gets 1..N non-overlapping sites (default 2)")
    p.add_argument("--min-score", type=FRACTION, default=0.8, help="minimum relative PWM score of a planted site (default 0.8)")
    p.add_argument("--shuffled-fraction", type=FRACTION, default=0.5, help="negatives that are shuffled positives (default 0.5)")
    p.add_argument("--split", default="0.8,0.1,0.1", help="train,dev,test fractions (default 0.8,0.1,0.1; '' for one all.tsv)")
    p.add_argument("--seed", type=SEED, default=0)
    p.set_defaults(func=run_synth)

    p = sub.add_parser("demo-model", help="rebuild the embedded demo model (seeded)")
    _common(p)
    p.add_argument("--epochs", type=POSITIVE, default=None)
    p.add_argument("--n-train", type=integer(1), default=None, help="training sequences (default 16000)")
    p.add_argument("--seed", type=SEED, default=None)
    p.add_argument("--threads", type=integer(1, 1024), default=None, help="torch CPU threads (default 2)")
    p.add_argument("--device", type=device, default="cpu")
    p.add_argument("--quick", action="store_true", help="a tiny model in seconds (for tests; not a useful model)")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="do not train: re-run the motif pipeline on the existing --out model and rewrite its MODEL_CARD.md",
    )
    p.set_defaults(func=run_demo_model)
