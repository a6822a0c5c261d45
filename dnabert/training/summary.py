"""The lines that summarise a fine-tuning record (``metrics.json``), the same on the console, in ``report.html``,
on the Models page and in the sidebar: the verdict against the k-mer baseline with its interval, the spread over
seeds, what the decision threshold changes, the start model's scores before fine-tuning, what it was trained on."""

from __future__ import annotations

from dnabert.training.bootstrap import verdict_sentence


def verdict_line(record: dict) -> str | None:
    """``Model vs k-mer baseline (4-mer counts): better than ... (95% CI ...)`` (None without a comparison)."""
    comparison = record.get("comparison")
    if not comparison:
        return None
    return f"Model vs k-mer baseline ({record['baseline']['k']}-mer counts): {verdict_sentence(comparison, comparison.get('split', 'test'))}"


def seeds_line(record: dict) -> str | None:
    """``3 runs (seeds 42-44): test AUROC 0.912 +- 0.011, MCC ...; kept seed 43 (best dev auroc)`` (None for one run)."""
    s = record.get("seeds")
    if not s:
        return None
    split = "test" if (s["test"].get("auroc") or {}).get("n") else "dev"
    parts = ", ".join(
        f"{m.upper()} {s[split][m]['mean']:.3f} +- {s[split][m]['sd']:.3f}" for m in ("auroc", "mcc") if (s[split].get(m) or {}).get("n")
    )
    return f"{len(s['seeds'])} runs (seeds {s['seeds'][0]}-{s['seeds'][-1]}): {split} {parts} (mean +- sd); kept seed {s['kept']} (best {s['kept_by']})"


def threshold_line(record: dict) -> str | None:
    """What the decision threshold changes on the test split against argmax (P > 0.5)."""
    effect = record.get("threshold_effect")
    if not effect:
        return None
    return (
        f"Decision threshold {record['decision_threshold']:.3f} on P({record['labels'][1]}) (chosen on dev): changes the "
        f"class of {effect['test_rows_changed']} of {record['n_test']} test sequences against P > 0.5; test MCC "
        f"{effect['test_mcc']:.3f} vs {effect['test_mcc_at_0.5']:.3f} at 0.5"
    )


def gain_line(record: dict) -> str | None:
    """The start model's scores before fine-tuning next to the fine-tuned ones (the gain), or why there are none."""
    start = record.get("start_model")
    if not start:
        return None
    if "note" in start:
        return f"Before fine-tuning: {start['note']}"
    split = "test" if "test" in start and record.get("test") else "dev"
    if split not in start or not record.get(split):
        return None
    before, after = start[split], record[split]
    return "Before -> after fine-tuning (" + split + "): " + ", ".join(
        f"{m.upper()} {before[m]:.3f} -> {after[m]:.3f} ({after[m] - before[m]:+.3f})"
        for m in ("auroc", "mcc")
        if before.get(m) is not None and after.get(m) is not None
    )


def summary_lines(record: dict, verdict: bool = True) -> list[str]:
    """Every summary line of ``record`` that applies, in order (``verdict=False`` leaves the verdict to a warning)."""
    lines = [
        f"Trained on {record['trained_on']}" if record.get("trained_on") else None,
        gain_line(record),
        seeds_line(record),
        threshold_line(record),
        verdict_line(record) if verdict else None,
    ]
    return [line for line in lines if line]
