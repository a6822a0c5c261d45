"""Classification metrics (scikit-learn): accuracy, F1, MCC, AUROC, AUPRC.

Binary: F1 / AUPRC of the positive class (the last class). Multi-class: macro
F1, one-vs-rest macro AUROC and macro average precision.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    matthews_corrcoef,
    roc_auc_score,
)

from dnabert.analysis.inference import softmax
from dnabert.training.threshold import predicted_classes


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, threshold: float | None = None) -> dict[str, float]:
    """accuracy, f1, mcc, auroc, auprc for class indices ``y_true`` (n,) and probabilities ``probs`` (n, C).

    Accuracy, F1 and MCC use the predicted class of
    :func:`dnabert.training.threshold.predicted_classes` (``threshold`` on P(class 1)
    for two classes; argmax when it is None or for more classes).

    Binary (C = 2): F1 and AUPRC (average precision) of class 1, AUROC of its
    probability. Multi-class: macro F1, one-vs-rest macro AUROC and macro
    average precision. AUROC / AUPRC are NaN when ``y_true`` has one class only.
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = probs.shape[1]
    pred = predicted_classes(probs, threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one class only: sklearn warns; MCC is 0 then
        out = {
            "accuracy": float(accuracy_score(y_true, pred)),
            "f1": float(f1_score(y_true, pred, average="binary" if n_classes == 2 else "macro", zero_division=0)),
            "mcc": float(matthews_corrcoef(y_true, pred)),
        }
    present = np.unique(y_true)
    if len(present) < 2:
        out["auroc"] = out["auprc"] = float("nan")
    elif n_classes == 2:
        out["auroc"] = float(roc_auc_score(y_true, probs[:, 1]))
        out["auprc"] = float(average_precision_score(y_true, probs[:, 1]))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cols = present if len(present) < n_classes else np.arange(n_classes)
            p = probs[:, cols] / probs[:, cols].sum(axis=1, keepdims=True)
            out["auroc"] = float(roc_auc_score(y_true, p, multi_class="ovr", average="macro", labels=cols))
            onehot = (y_true[:, None] == cols[None, :]).astype(int)
            out["auprc"] = float(average_precision_score(onehot, probs[:, cols], average="macro"))
    return out


def trainer_metrics(eval_pred) -> dict[str, float]:
    """``compute_metrics`` for the Hugging Face Trainer: :func:`classification_metrics` of its logits."""
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    return classification_metrics(labels, softmax(logits))


def json_ready(obj):
    """JSON-safe copy: NaN -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
