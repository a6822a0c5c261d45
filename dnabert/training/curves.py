"""Training curves from the Hugging Face Trainer's log history: one row per log or evaluation."""

from __future__ import annotations

import pandas as pd

CURVE_COLUMNS = ["step", "epoch", "split", "loss", "auroc"]


def training_curves(history: list[dict]) -> pd.DataFrame:
    """Training loss (every ``log_every`` steps) and dev loss / AUROC (every evaluation).

    Parameters
    ----------
    history : list of dict
        ``trainer.state.log_history``.

    Returns
    -------
    pandas.DataFrame
        Columns step, epoch, split (``"train"`` or ``"dev"``), loss, auroc
        (NaN for training rows).
    """
    rows = []
    for h in history:
        if "loss" in h:
            rows.append({"step": h.get("step"), "epoch": h.get("epoch"), "split": "train", "loss": h["loss"], "auroc": None})
        if "eval_loss" in h:
            rows.append(
                {
                    "step": h.get("step"),
                    "epoch": h.get("epoch"),
                    "split": "dev",
                    "loss": h["eval_loss"],
                    "auroc": h.get("eval_auroc"),
                }
            )
    return pd.DataFrame(rows, columns=CURVE_COLUMNS).astype({"loss": float, "auroc": float})
