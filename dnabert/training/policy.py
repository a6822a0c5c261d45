"""What fine-tuning and pre-training share: token datasets, model sizes and the Trainer policy."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from dnabert.errors import InputError
from dnabert.families.kmer import PAD_ID, encode_batch


class TokenDataset(torch.utils.data.Dataset):
    """k-mer token ids (+ optional labels) per sequence; batches padded by :func:`pad_collate`."""

    def __init__(self, seqs: list[str], k: int, labels: np.ndarray | None = None, max_tokens: int = 512):
        self.rows = _encode_rows(seqs, k, max_tokens)
        self.labels = labels

    @classmethod
    def from_rows(cls, rows: list[np.ndarray], labels: np.ndarray | None = None) -> TokenDataset:
        """A dataset of ready token rows (any tokenizer, special tokens included)."""
        ds = cls.__new__(cls)
        ds.rows, ds.labels = rows, labels
        return ds

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        item = {"input_ids": self.rows[i]}
        if self.labels is not None:
            item["labels"] = int(self.labels[i])
        return item


def _encode_rows(seqs: list[str], k: int, max_tokens: int) -> list[np.ndarray]:
    rows = []
    for start in range(0, len(seqs), 4096):
        ids, mask = encode_batch(seqs[start : start + 4096], k, max_tokens)
        rows.extend(r[: m.sum()] for r, m in zip(ids, mask))
    return rows


def pad_collate(items: list[dict], pad_id: int = PAD_ID) -> dict[str, torch.Tensor]:
    """Pad ``input_ids`` with ``pad_id`` (DNABERT-1's [PAD] by default) to the longest in the batch; add ``attention_mask``."""
    longest = max(len(it["input_ids"]) for it in items)
    ids = np.full((len(items), longest), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, it in enumerate(items):
        ids[i, : len(it["input_ids"])] = it["input_ids"]
        mask[i, : len(it["input_ids"])] = 1
    batch = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
    if "labels" in items[0]:
        batch["labels"] = torch.tensor([it["labels"] for it in items], dtype=torch.long)
    return batch


@dataclass
class ModelShape:
    """Size of a new (randomly initialised) BERT, for training without a pre-trained folder."""

    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int = 512
    max_tokens: int = 512
    dropout: float = 0.1

    def config(self, k: int, num_labels: int | None = None, architecture: str = "BertForSequenceClassification"):
        from transformers import BertConfig

        kwargs = {} if num_labels is None else {"num_labels": num_labels}
        return BertConfig(
            vocab_size=4**k + 5,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate,
            max_position_embeddings=self.max_tokens,
            hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout,
            architectures=[architecture],
            **kwargs,
        )


# Model sizes. "base" is BERT-base (the original DNABERT); the others train on a CPU.
MODEL_PRESETS: dict[str, ModelShape] = {
    "base": ModelShape(layers=12, hidden=768, heads=12, intermediate=3072),
    "small": ModelShape(layers=4, hidden=256, heads=4, intermediate=1024),
    "tiny": ModelShape(layers=2, hidden=128, heads=4, intermediate=512),
}


def model_shape(
    preset: str = "base", layers: int | None = None, hidden: int | None = None, heads: int | None = None
) -> ModelShape:
    """A preset (:data:`MODEL_PRESETS`) with optional overrides; intermediate = 4 x hidden when hidden is given."""
    if preset not in MODEL_PRESETS:
        raise InputError(f"unknown model preset {preset!r}; choose one of {', '.join(MODEL_PRESETS)}")
    base = MODEL_PRESETS[preset]
    shape = ModelShape(
        layers=layers or base.layers,
        hidden=hidden or base.hidden,
        heads=heads or base.heads,
        intermediate=4 * hidden if hidden else base.intermediate,
        max_tokens=base.max_tokens,
        dropout=base.dropout,
    )
    if shape.hidden % shape.heads:
        raise InputError(f"hidden size {shape.hidden} is not a multiple of the number of heads {shape.heads}")
    return shape


def world_size() -> int:
    """Processes of this training run: ``WORLD_SIZE``, set by ``torchrun`` and ``accelerate launch`` (1 without)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def training_arguments(workdir: str, settings, total_steps: int, **extra):
    """The project's ``TrainingArguments``: AdamW with linear warm-up then linear decay, offline
    (``report_to="none"``), no pinned memory, mixed precision on a CUDA GPU (bf16 where supported,
    else fp16) and full precision on CPU.

    Under ``torchrun`` or ``accelerate launch`` (``WORLD_SIZE`` > 1) the Trainer runs data-parallel (DDP):
    one world of N processes, each with ``batch_size`` sequences per step, gradients averaged. Without a
    GPU that is DDP over gloo on CPU, which accelerate sets up only when told to use the CPU: so the CPU
    is named whenever ``settings.device`` is "cpu", or None in such a world on a machine without CUDA.
    Every rank then uses rank 0's ``workdir`` for the Trainer's checkpoints (one machine); the caller
    keeps it until every rank is done with it (``trainer.accelerator.wait_for_everyone()``).

    ``settings`` is a :class:`FinetuneSettings` or :class:`dnabert.training.pretrain.PretrainSettings`;
    ``total_steps`` sizes the warm-up; ``extra`` adds or overrides arguments (evaluation, saving...).
    """
    from transformers import TrainingArguments

    on_gpu = torch.cuda.is_available() and (settings.device is None or str(settings.device).startswith("cuda"))
    precision = {}
    if settings.mixed_precision and on_gpu:
        precision = {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}
    args = TrainingArguments(
        output_dir=workdir,
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        warmup_steps=int(round(settings.warmup * total_steps)),
        lr_scheduler_type="linear",
        max_grad_norm=settings.max_grad_norm,
        logging_strategy="steps",
        logging_steps=settings.log_every,
        report_to="none",
        dataloader_pin_memory=False,
        disable_tqdm=True,
        seed=settings.seed,
        use_cpu=settings.device == "cpu" or (settings.device is None and world_size() > 1 and not torch.cuda.is_available()),
        **precision,
        **extra,
    )
    if args.world_size > 1:  # every rank reads rank 0's checkpoints (the best one, at the end): one Trainer folder
        shared = [workdir]
        torch.distributed.broadcast_object_list(shared, src=0)
        args.output_dir = shared[0]
    return args
