"""The embedded demo model: a small DNABERT-6 classifier trained on planted-motif data.

``python -m dnabert demo-model --out dnabert/demo_model`` rebuilds it (seeded, CPU):

1. Data (:func:`demo_data`): 100-bp sequences from a human-like Markov
   background; positives carry 1-2 planted JASPAR sites (CTCF MA0139.2 or YY1
   MA0095.2, relative PWM score >= 0.85, random strand and position);
   negatives are half background-only and half dinucleotide shuffles of
   positives. Train / dev / test are generated with
   separate seeds, so the held-out test set is regenerated exactly, not stored.
2. Model: BERT with 2 layers, hidden 128, 4 heads, k = 6, trained from random
   initialisation with :func:`dnabert.training.finetune.finetune` (two layers: the
   last layer's [CLS] attention then points at the site; with four layers it
   did not, in earlier runs).
3. Evaluation on the test set (:func:`evaluate_demo`): AUROC etc.; the PWM
   ceiling (AUROC of the best log-odds scan score of the true PWMs, both
   strands); and localisation: for each correctly classified positive, whether
   the maximum of the default per-nucleotide attention track ("last") lies
   within 3 bp of a planted site.
4. The folder gets the weights, vocab, configs, ``metrics.json``,
   ``MODEL_CARD.md`` and example data for the app (``example_positives.fa``,
   ``example_negatives.fa``, ``example_sites.tsv``: 200 + 200 test sequences).

Everything is written to a temporary folder and renamed to ``--out`` only
when complete.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert_demo import DEFAULT_MOTIFS
from dnabert_demo.synthetic import PlantedData, make_planted_dataset, motif_ppm, scan_best, site_pwm, write_fasta
from dnabert.outputs import atomic_path, check_output_folder

LABELS = ["negative", "positive"]
CARD_TEMPLATE = Path(__file__).with_name("model_card.md")  # str.format fields: see model_card()



@dataclass
class DemoRecipe:
    """Everything that defines the demo model (stored in metrics.json)."""

    k: int = 6
    length: int = 100
    n_train: int = 120000  # half positives, half negatives; fresh data beats more epochs here (see MODEL_CARD)
    n_dev: int = 1000
    n_test: int = 2000
    min_rel_score: float = 0.85
    shuffled_fraction: float = 0.5
    motifs: tuple[str, ...] = DEFAULT_MOTIFS
    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int = 512
    max_tokens: int = 512
    epochs: float = 1.0
    batch_size: int = 64
    learning_rate: float = 1e-3
    warmup: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 20240601
    threads: int = 2
    n_examples: int = 200
    site_tolerance: int = 3
    eval_every: int | None = 375  # steps between dev evaluations / kept checkpoints (None: every epoch)
    run_motif_check: bool = True  # run the motif pipeline on the attention and record the result

    @classmethod
    def quick(cls, **kw) -> DemoRecipe:
        """A seconds-long recipe for tests (tiny data, tiny model)."""
        base = dict(
            n_train=400,
            n_dev=100,
            n_test=100,
            layers=1,
            hidden=32,
            heads=2,
            intermediate=64,
            epochs=1.0,
            n_examples=20,
            learning_rate=1e-3,
            eval_every=None,
            run_motif_check=False,
        )
        base.update(kw)
        return cls(**base)


def demo_data(recipe: DemoRecipe) -> dict[str, PlantedData]:
    """Seeded train / dev / test planted data sets of the recipe (each half positives)."""
    out = {}
    for i, (name, n) in enumerate((("train", recipe.n_train), ("dev", recipe.n_dev), ("test", recipe.n_test))):
        out[name] = make_planted_dataset(
            n_pos=n // 2,
            n_neg=n - n // 2,
            length=recipe.length,
            motifs=tuple(recipe.motifs),
            min_rel_score=recipe.min_rel_score,
            shuffled_fraction=recipe.shuffled_fraction,
            seed=recipe.seed + 1000 * (i + 1),
            prefix=f"{name}_",
        )
    return out


def _labeled(data: PlantedData, name: str):
    from dnabert.training.tables import LabeledData

    return LabeledData(seqs=data.seqs, labels=[LABELS[v] for v in data.labels], ids=data.ids, name=name)


def site_hits(scores: list[np.ndarray], data: PlantedData, tolerance: int = 3) -> pd.DataFrame:
    """Where each planted positive's attention track peaks, relative to its site.

    Returns one row per planted positive: id, jaspar_id, start, end (the
    site nearest to the peak), peak (argmax position), distance (0 inside
    that site, else bp to its nearest base) and hit (distance <= ``tolerance``).
    """
    index = {sid: i for i, sid in enumerate(data.ids)}
    rows = []
    for sid, sites in data.sites.groupby("id", sort=False):
        peak = int(np.argmax(scores[index[sid]]))
        dist = np.maximum(np.maximum(sites["start"].to_numpy() - peak, peak - (sites["end"].to_numpy() - 1)), 0)
        near = sites.iloc[int(np.argmin(dist))]
        rows.append(
            {
                "id": sid,
                "jaspar_id": near["jaspar_id"],
                "start": int(near["start"]),
                "end": int(near["end"]),
                "peak": peak,
                "distance": int(dist.min()),
                "hit": bool(dist.min() <= tolerance),
            }
        )
    return pd.DataFrame(rows)


def evaluate_demo(
    model_dir: str | Path, test: PlantedData, motifs: tuple[str, ...] = DEFAULT_MOTIFS, tolerance: int = 3, batch_size: int = 64
) -> dict:
    """Test-set metrics of a saved demo-like model: classification, PWM ceiling, attention localisation."""
    from sklearn.metrics import roc_auc_score

    from dnabert.loading.checkpoint import load_model
    from dnabert.training.metrics import classification_metrics
    from dnabert.analysis.inference import predict
    from dnabert.training.threshold import predicted_labels

    lm = load_model(model_dir)
    pred = predict(lm, test.seqs, batch_size=batch_size, attention="last")
    pos_class = lm.labels.index("positive") if "positive" in lm.labels else 1
    probs = pred.probs if pos_class == 1 else pred.probs[:, ::-1]
    metrics = classification_metrics(test.labels, probs)
    pwms = [site_pwm(motif_ppm(m)) for m in motifs]
    ceiling = float(roc_auc_score(test.labels, scan_best(test.seqs, pwms)))
    hits = site_hits(pred.scores, test, tolerance)
    called = np.array(predicted_labels(lm, pred.probs)) == lm.labels[pos_class]  # the one class rule (dnabert.training.threshold)
    correct_pos = {sid for sid, c, y in zip(test.ids, called, test.labels) if c and y == 1}
    hits_ok = hits[hits["id"].isin(correct_pos)]
    per_motif = {
        m: {
            "n": int((hits_ok["jaspar_id"] == m).sum()),
            "hit_rate": float(hits_ok.loc[hits_ok["jaspar_id"] == m, "hit"].mean())
            if (hits_ok["jaspar_id"] == m).any()
            else None,
            "recall": float(np.mean([sid in correct_pos for sid in test.sites.loc[test.sites["jaspar_id"] == m, "id"]])),
        }
        for m in motifs
    }
    return {
        "test": metrics,
        "pwm_ceiling_auroc": ceiling,
        "gap_to_ceiling": ceiling - metrics["auroc"],
        "attention_last": {
            "tolerance_bp": tolerance,
            "n_correct_positives": len(hits_ok),
            "hit_rate": float(hits_ok["hit"].mean()) if len(hits_ok) else None,
            "median_distance": float(hits_ok["distance"].median()) if len(hits_ok) else None,
            "per_motif": per_motif,
        },
    }


def motif_check(model_dir: str | Path, test: PlantedData, motifs: tuple[str, ...] = DEFAULT_MOTIFS, batch_size: int = 64) -> dict:
    """Run the motif pipeline (:func:`motif.pipeline.find_motifs`, default parameters, JASPAR 2024 CORE
    vertebrates) on the model's default attention over the test positives, with the test negatives,
    and say whether each planted motif is recovered (a discovered motif whose TOMTOM matches include
    the planted JASPAR matrix with q < 0.05).

    Returns a JSON-ready dict; ``{"status": "unavailable", ...}`` when the motif package is missing.
    """
    try:
        from motif.jaspar import load_jaspar
        from motif.pipeline import MotifParams, find_motifs
    except ImportError as e:
        return {"status": "unavailable", "reason": f"motif pipeline not importable ({e})"}
    from dnabert.loading.checkpoint import load_model
    from dnabert.analysis.inference import predict

    lm = load_model(model_dir)
    pos = [i for i in range(len(test)) if test.labels[i] == 1]
    neg = [i for i in range(len(test)) if test.labels[i] == 0]
    pos_seqs = [test.seqs[i] for i in pos]
    t0 = time.time()
    scores = predict(lm, pos_seqs, batch_size=batch_size, attention="last").scores
    result = find_motifs(
        pos_seqs, scores, [test.seqs[i] for i in neg], MotifParams(), load_jaspar(), pos_ids=[test.ids[i] for i in pos]
    )
    matches = result.matches
    found = {}
    for m in motifs:
        base = m.split(".")[0]
        hit = matches[matches["target_id"].astype(str).str.startswith(base) & (matches["q"] < 0.05)] if len(matches) else matches
        found[m] = {
            "recovered": bool(len(hit)),
            "motif": str(hit.iloc[0]["motif"]) if len(hit) else None,
            "match": str(hit.iloc[0]["target_id"]) if len(hit) else None,
            "rank": int(hit.iloc[0]["rank"]) if len(hit) else None,
            "q": float(hit.iloc[0]["q"]) if len(hit) else None,
        }
    top = {}
    if len(matches):
        for mid, g in matches.sort_values("rank").groupby("motif"):
            top[mid] = f"{g.iloc[0]['target_id']} {g.iloc[0]['target_name']} (q={g.iloc[0]['q']:.2g})"
    return {
        "status": "ok",
        "n_pos": len(pos),
        "n_neg": len(neg),
        "n_motifs": len(result.motifs),
        "motifs": [
            {
                "id": m.id,
                "consensus": m.consensus,
                "n_instances": len(m.instances),
                "n_pos": m.n_pos,
                "n_neg": m.n_neg,
                "log10_p": float(m.log10_p),
                "best_match": top.get(m.id),
            }
            for m in result.motifs
        ],
        "planted": found,
        "notes": list(result.notes),
        "seconds": round(time.time() - t0, 1),
    }


def motif_summary(mc: dict) -> str:
    """Markdown paragraph for the model card from :func:`motif_check`'s result."""
    if mc.get("status") != "ok":
        return f"Not run: {mc.get('reason', 'the motif pipeline was not available when this model was built')}."
    lines = [
        f'`motif.pipeline.find_motifs` (default parameters, JASPAR 2024 CORE vertebrates) on the "last" attention of '
        f"the {mc['n_pos']} test positives, with the {mc['n_neg']} test negatives: {mc['n_motifs']} motif(s).",
        "",
    ]
    for name, f in mc["planted"].items():
        if f["recovered"]:
            lines.append(
                f"- {name}: **recovered** as {f['motif']} (TOMTOM match {f['match']}, rank {f['rank']}, q = {f['q']:.2g})"
            )
        else:
            lines.append(f"- {name}: **not recovered** (no discovered motif matched it with q < 0.05)")
    if mc["motifs"]:
        lines += ["", "| motif | consensus | instances | pos / neg with site | best JASPAR match |", "|---|---|---|---|---|"]
        lines += [
            f"| {m['id']} | {m['consensus']} | {m['n_instances']} | {m['n_pos']} / {m['n_neg']} | {m['best_match'] or '-'} |"
            for m in mc["motifs"]
        ]
    return "\n".join(lines)


def targets_met(ev: dict) -> dict[str, bool]:
    """The demo model's acceptance targets."""
    return {
        "auroc>=0.93": ev["test"]["auroc"] >= 0.93,
        "gap_to_ceiling<=0.03": ev["gap_to_ceiling"] <= 0.03,
        "attention_hit_rate>=0.85": (ev["attention_last"]["hit_rate"] or 0) >= 0.85,
    }


def build_demo_model(
    out: str | Path, recipe: DemoRecipe | None = None, overwrite: bool = False, card: bool = True, device: str = "cpu", log=print
) -> dict:
    """Generate the data, train, evaluate and write the demo model folder to ``out``.

    Returns the metrics record (also written as ``metrics.json``).
    """
    import torch

    from dnabert.training.finetune import FinetuneSettings, finetune
    from dnabert.training.policy import ModelShape

    recipe = recipe or DemoRecipe()
    out = Path(out)
    check_output_folder(out, overwrite)
    torch.set_num_threads(recipe.threads)
    t0 = time.time()
    data = demo_data(recipe)
    log(f"data: {', '.join(f'{k} {len(v)}' for k, v in data.items())} sequences of {recipe.length} bp ({time.time() - t0:.1f} s)")
    shape = ModelShape(
        layers=recipe.layers,
        hidden=recipe.hidden,
        heads=recipe.heads,
        intermediate=recipe.intermediate,
        max_tokens=recipe.max_tokens,
        dropout=recipe.dropout,
    )
    settings = FinetuneSettings(
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        warmup=recipe.warmup,
        weight_decay=recipe.weight_decay,
        head_dropout=recipe.dropout,
        seed=recipe.seed,
        threads=recipe.threads,
        device=device,
        log_every=100,
        eval_every=recipe.eval_every,
    )
    with atomic_path(out) as tmp:
        result = finetune(
            _labeled(data["train"], "train"),
            tmp,
            dev=_labeled(data["dev"], "dev"),
            model=None,
            k=recipe.k,
            shape=shape,
            settings=settings,
            overwrite=True,
        )
        log(f"trained in {result.train_seconds:.0f} s; dev {json.dumps({k: round(v, 4) for k, v in result.dev_metrics.items()})}")
        ev = evaluate_demo(tmp, data["test"], tuple(recipe.motifs), recipe.site_tolerance)
        record = {
            "model": "DNABERT-6 demo (planted CTCF / YY1 sites)",
            "labels": LABELS,
            "recipe": asdict(recipe),
            "dev": result.dev_metrics,
            "baseline": result.record["baseline"],
            "decision_threshold": result.record["decision_threshold"],
            **ev,
            "targets_met": targets_met(ev),
            "train_seconds": round(result.train_seconds, 1),
            "total_seconds": round(time.time() - t0, 1),
            "built_with": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "transformers": __import__("transformers").__version__,
            },
            "history": [h for h in result.history if "eval_auroc" in h or "train_runtime" in h],
        }
        if recipe.run_motif_check:
            try:
                record["motif_pipeline"] = motif_check(tmp, data["test"], tuple(recipe.motifs))
            except Exception as e:  # the motif package is another component: never lose a trained model to it
                record["motif_pipeline"] = {"status": "failed", "reason": f"{type(e).__name__}: {e}"}
            log(f"motif pipeline: {json.dumps(record['motif_pipeline'].get('planted', record['motif_pipeline']))}")
        from dnabert.training.metrics import json_ready

        (tmp / "metrics.json").write_text(json.dumps(json_ready(record), indent=2) + "\n")
        write_examples(tmp, data["test"], recipe.n_examples)
        if card:
            (tmp / "MODEL_CARD.md").write_text(model_card(record))
        for f in tmp.iterdir():
            f.chmod(0o644)  # safetensors writes 0600; the folder is shipped and read by every user
    log(
        f"test AUROC {ev['test']['auroc']:.4f} (PWM ceiling {ev['pwm_ceiling_auroc']:.4f}); "
        f"attention peak within {recipe.site_tolerance} bp: {ev['attention_last']['hit_rate']}; targets {record['targets_met']}"
    )
    return record


def refresh_card(folder: str | Path, rerun_motifs: bool = False) -> dict:
    """Rewrite ``MODEL_CARD.md`` of a built demo folder from its ``metrics.json`` (optionally re-running
    :func:`motif_check` first and recording it). Returns the record."""
    from dnabert.training.metrics import json_ready

    folder = Path(folder)
    record = json.loads((folder / "metrics.json").read_text())
    if rerun_motifs:
        recipe = DemoRecipe(**{**record["recipe"], "motifs": tuple(record["recipe"]["motifs"])})
        record["motif_pipeline"] = motif_check(folder, demo_data(recipe)["test"], tuple(recipe.motifs))
    with atomic_path(folder / "metrics.json") as tmp:
        tmp.write_text(json.dumps(json_ready(record), indent=2) + "\n")
    with atomic_path(folder / "MODEL_CARD.md") as tmp:
        tmp.write_text(model_card(record))
    for f in ("metrics.json", "MODEL_CARD.md"):
        (folder / f).chmod(0o644)
    return record


def write_examples(folder: Path, test: PlantedData, n: int) -> None:
    """``example_positives.fa``, ``example_negatives.fa`` (n each, from the test set) and ``example_sites.tsv``."""
    pos = [i for i in range(len(test)) if test.labels[i] == 1][:n]
    neg = [i for i in range(len(test)) if test.labels[i] == 0][:n]
    write_fasta(folder / "example_positives.fa", [test.ids[i] for i in pos], [test.seqs[i] for i in pos])
    write_fasta(folder / "example_negatives.fa", [test.ids[i] for i in neg], [test.seqs[i] for i in neg])
    keep = {test.ids[i] for i in pos}
    test.sites[test.sites["id"].isin(keep)].to_csv(folder / "example_sites.tsv", sep="\t", index=False)


def _fmt(x, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def model_card(record: dict) -> str:
    """MODEL_CARD.md text from a metrics record (the template :data:`CARD_TEMPLATE`)."""
    r, a = record["recipe"], record["attention_last"]
    per = "\n".join(
        f"| {m} | {v['recall']:.3f} | {v['n']} | {v['hit_rate']:.3f} |"
        if v["hit_rate"] is not None
        else f"| {m} | {v['recall']:.3f} | 0 | - |"
        for m, v in a["per_motif"].items()
    )
    return CARD_TEMPLATE.read_text().format(
        r=r,
        t=record["test"],
        a=a,
        record=record,
        per=per,
        motif_note=motif_summary(record["motif_pipeline"]) if "motif_pipeline" in record else "Not run for this build.",
        every=f"every {r['eval_every']} steps" if r.get("eval_every") else "every epoch",
        hit_rate=_fmt(a["hit_rate"], ".1%"),
        median_distance=_fmt(a["median_distance"], "g"),
        targets=", ".join(f"{key}: {'met' if ok else 'NOT met'}" for key, ok in record["targets_met"].items()),
        baseline_note=baseline_summary(record),
    )


def baseline_summary(record: dict) -> str:
    """The card's sentence on the k-mer baseline (:mod:`dnabert.training.baseline`) of a demo record."""
    from dnabert.training.baseline import lost_to_baseline_note

    base = record.get("baseline")
    if not base or not base.get("dev"):
        return "Not recorded for this build (built before baselines were recorded)."
    note = lost_to_baseline_note(record)
    verdict = f"**Warning:** {note}" if note else "The model beats it."
    return (
        f"Logistic regression on {base['k']}-mer frequencies of both strands, fitted on the same training set: "
        f"dev AUROC {base['dev']['auroc']:.4f} vs the model's {record['dev']['auroc']:.4f}. {verdict} "
        "Training curves: `curves.tsv` (shown on the app's Models page)."
    )
