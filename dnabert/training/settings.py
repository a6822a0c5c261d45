"""The fine-tuning settings, declared once (light: no torch): the ``finetune`` command's options and the Models
page's widgets are built from these fields (:mod:`dnabert.params`), so the page and the command line share
one set of defaults.

The default run is one run (``--recipe default``) with learning rate, epochs
and warm-up by model size (:mod:`dnabert.training.schedules`), early stopping after
:data:`PATIENCE` dev evaluations without a better AUROC, and, without
``--dev`` / ``--test``, stratified 10% dev and 10% test splits of the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnabert.errors import InputError
from dnabert.params import check_settings, param, settings

PATIENCE = 3  # early stopping: dev evaluations without improvement (the one value of the page, the CLI and the library)


@settings
@dataclass
class FinetuneSettings:
    """Optimisation settings (AdamW, linear warm-up then linear decay) and the dev / test hold-out."""

    epochs: float | None = param(None, "epochs (default: by model size, e.g. 3 for BERT-base, 10 for 2 x 128)", "Epochs",
                                 low=0, low_open=True, none_means="by model size", step=1.0)  # fmt: skip
    batch_size: int = param(32, "training batch size", "Batch size", low=1, high=65536)
    learning_rate: float | None = param(
        None, "learning rate (default: by model size, 5e-5 for BERT-base, 3e-4 for 4 x 256, 1e-3 for 2 x 128)",
        "Learning rate", flag="--lr", low=0, high=1, low_open=True, none_means="by model size", step=1e-4, fmt="%.1e",
    )  # fmt: skip
    warmup: float | None = param(None, "warm-up as a fraction of the steps (default: by model size)", "Warm-up fraction",
                                 low=0, high=1, none_means="by model size", page=False)  # fmt: skip
    weight_decay: float = param(0.01, "AdamW weight decay", "Weight decay", low=0, page=False)
    head_dropout: float = param(0.1, "dropout on the classification head", "Head dropout", flag="--dropout", low=0, high=1,
                                high_open=True, page=False)  # fmt: skip
    max_grad_norm: float = 1.0
    eval_batch_size: int = 128
    metric_for_best: str = "auroc"
    seed: int = param(42, "seed of the splits, the new head and the training order (runs of --seeds N: seed .. seed+N-1)",
                      "Seed", low=0, high=2**32 - 1)  # fmt: skip
    seeds: int = param(1, "train this many times (seeds seed, seed+1, ...) on the same splits: metrics as mean +- sd, the "
                          "model with the best dev AUROC kept (seed-to-seed spread of DNA language models is large)",
                       "Runs (seeds)", low=1, high=20)  # fmt: skip
    threads: int | None = None
    device: str | None = None  # None: Trainer's choice (GPU when present)
    log_every: int = 50
    eval_every: int | None = None  # evaluate / keep checkpoints every this many steps (None: every epoch)
    patience: int | None = param(PATIENCE, "early stopping: dev evaluations (one per epoch) without a better AUROC before "
                                           "stopping (0 = off)", "Early-stopping patience", low=0)  # fmt: skip
    dev_fraction: float = param(0.1, "without --dev: stratified share of the table held out as dev (picks the epoch and "
                                     "the decision threshold; 0 = no dev)", "Dev share", low=0, high=1, high_open=True,
                                step=0.05)  # fmt: skip
    test_fraction: float = param(0.1, "without --test: stratified share of the table held out as test (the comparison "
                                      "with the k-mer baseline is made there; 0 = none)", "Test share", low=0, high=1,
                                 high_open=True, step=0.05)  # fmt: skip
    mixed_precision: bool = True  # bf16 / fp16 on a CUDA GPU; ignored on CPU
    rc_augment: bool = param(False, "also train on the reverse complement of every training sequence",
                             "Reverse-complement augmentation", page=False)  # fmt: skip

    def check(self) -> None:
        """Raise InputError naming the first invalid setting (by its command-line option)."""
        check_settings(self, "fine-tuning setting", by_flag=True)
        if self.dev_fraction + self.test_fraction >= 1:
            raise InputError("invalid fine-tuning setting: --dev-fraction and --test-fraction leave no training rows")
