"""Pre-training settings, declared once (light: no torch import, so the command line builds its options cheaply)."""

from dataclasses import dataclass

from dnabert.params import param, settings


@settings
@dataclass
class PretrainSettings:
    """Pre-training settings (AdamW, linear warm-up then linear decay).

    The fields only pre-training has are declared with :func:`dnabert.params.param` (the ``pretrain``
    command's options are built from them); the rest are shared with fine-tuning's options.
    """

    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 32
    learning_rate: float = 4e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    mlm_probability: float = param(0.15, "fraction of k-mer tokens masked", "Masked fraction", low=0.0, high=1.0,
                                   low_open=True, high_open=True)  # fmt: skip
    late_mlm_probability: float = param(0.2, "masked fraction late in training", "Late masked fraction", low=0.0,
                                        high=1.0, low_open=True, high_open=True)  # fmt: skip
    late_fraction: float = param(0.15, "last fraction of steps using the late rate", "Late fraction", low=0.0, high=1.0)
    min_length: int = param(5, "shortest training sequence in bp (at least k)", "Shortest sequence (bp)", low=1)
    max_length: int = param(510, "longest training sequence in bp", "Longest sequence (bp)", low=1)
    sample_ratio: float = param(1.0, "randomly sampled pieces per non-overlapping piece", "Sampled pieces per piece",
                                low=0.0, low_open=True)  # fmt: skip
    eval_size: int = 256
    mixed_precision: bool = True  # bf16 / fp16 on a CUDA GPU
    seed: int = 42
    threads: int | None = None
    device: str | None = None
    log_every: int = 50


# the fields only pre-training has (declared with param: the ``pretrain`` command's options are built from them)
PRETRAIN_ONLY = ("mlm_probability", "late_mlm_probability", "late_fraction", "min_length", "max_length", "sample_ratio")
