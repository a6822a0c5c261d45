"""Fine-tuning defaults that fit the model being trained.

The learning rate that suits BERT-base (5e-5, ~86 M parameters) barely
moves a 2-layer, 128-wide model in a few epochs; small models need ~1e-3 and
more epochs (early stopping on dev ends them when dev AUROC stops rising).
:data:`SIZE_SCHEDULES` is the table, by number of parameters (embeddings
included); :func:`schedule_for` looks a model up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """Learning rate, epochs and warm-up (fraction of the steps) for models up to ``max_params`` parameters."""

    max_params: float
    learning_rate: float
    epochs: float
    warmup: float


SIZE_SCHEDULES = (
    Schedule(max_params=3e6, learning_rate=1e-3, epochs=10, warmup=0.05),  # the demo model (2 x 128), CPU-sized models
    Schedule(max_params=20e6, learning_rate=3e-4, epochs=8, warmup=0.06),  # e.g. 4 x 256
    Schedule(max_params=60e6, learning_rate=1e-4, epochs=5, warmup=0.1),
    Schedule(max_params=float("inf"), learning_rate=5e-5, epochs=3, warmup=0.1),  # BERT-base (DNABERT) and larger
)


def n_parameters(model) -> int:
    """Number of parameters of a torch module."""
    return sum(p.numel() for p in model.parameters())


def schedule_for(n_params: int) -> Schedule:
    """The first row of :data:`SIZE_SCHEDULES` whose ``max_params`` is at least ``n_params``."""
    return next(s for s in SIZE_SCHEDULES if n_params <= s.max_params)
