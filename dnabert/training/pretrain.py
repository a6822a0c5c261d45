"""Masked-language-model pre-training with contiguous k-mer span masking.

Why spans
---------
Overlapping k-mers share k - 1 bases with each neighbour, so a single masked
k-mer is trivially restored from the tokens on either side. DNABERT masks
contiguous runs of k tokens instead: then the bases of the middle k-mers occur
in no visible token.

:class:`SpanMaskingCollator`, per sequence of n k-mer tokens:

1. target = round(p * n) tokens, p = ``mlm_probability`` (0.15; 0.2 late in
   training, see :class:`LateMaskingCallback`).
2. Span starts are drawn in random order from every position whose k-token
   span [s, s + k) overlaps the k-mers (clipped to them at the ends); a span is
   added while adding it brings the masked count closer to the target. So every
   masked run is at least k tokens long, except where it touches the first or
   last k-mer (whose outer bases are then in no visible token either), and the
   masked fraction is p on average, whatever the sequence length.
3. [CLS], [SEP], [PAD] and [UNK] are never masked and never predicted.
4. Each masked token is replaced by [MASK] with probability 0.8, by a random
   k-mer token with 0.1 and left unchanged with 0.1 (per token, as in BERT and
   the original DNABERT). ``labels`` hold the original id at masked positions,
   -100 elsewhere.

Training (:func:`pretrain`): BertForMaskedLM (new, or continued from a
folder), Hugging Face Trainer (so ``torchrun`` / ``accelerate`` run it on many
GPUs unchanged), AdamW, linear warm-up then linear decay, mixed precision on a
CUDA GPU. Training sequences are made as in the DNABERT paper
(:func:`pretrain_samples`): inputs split at N, then non-overlapping splitting
plus random sampling, lengths between 5 and 510 bp. The MLM loss on a fixed
held-back set of these pieces, with a fixed masking, is measured before and
after training. The default model is BERT-base (12 layers, hidden 768); the
``small`` and ``tiny`` presets of :data:`dnabert.training.policy.MODEL_PRESETS` train
on a CPU.
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import BertForMaskedLM, TrainerCallback
from transformers.modeling_outputs import MaskedLMOutput

from dnabert.errors import InputError
from dnabert.training.policy import ModelShape, TokenDataset, model_shape, training_arguments, world_size
from dnabert.families.kmer import CLS_ID, MASK_ID, N_SPECIAL, PAD_ID, SEP_ID, UNK_ID, from_kmer_sentence, is_kmer_sentence
from dnabert.outputs import atomic_path, check_output_folder
from dnabert.training.pretrain_settings import PretrainSettings

NEVER_MASK = (PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID)


class SpanMaskingCollator:
    """Pad a batch and mask contiguous k-token spans for MLM (module docstring).

    Parameters
    ----------
    k : int
        k-mer size (span length in tokens).
    mlm_probability : float
        Target fraction of k-mer tokens masked. Mutable during training.
    mask_prob, random_prob : float
        Of the masked tokens, fraction replaced by [MASK] / by a random k-mer
        (the rest keep their token).
    seed : int, optional
        Seeds the collator's own random generator.

    Calling it on a list of ``{"input_ids": 1-D int array}`` items returns
    ``input_ids``, ``attention_mask`` and ``labels``, int64 tensors of shape (B, T).
    """

    def __init__(
        self,
        k: int,
        mlm_probability: float = PretrainSettings.mlm_probability,
        mask_prob: float = 0.8,
        random_prob: float = 0.1,
        seed: int | None = None,
    ):
        if not 0 < mlm_probability < 1:
            raise ValueError(f"mlm_probability must be in (0, 1), got {mlm_probability}")
        self.k = k
        self.mlm_probability = mlm_probability
        self.mask_prob = mask_prob
        self.random_prob = random_prob
        self.vocab_size = 4**k + N_SPECIAL
        self.rng = np.random.default_rng(seed)

    def span_mask(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask of the tokens to predict for one padded row ``ids`` (T,)."""
        maskable = ~np.isin(ids, NEVER_MASK)
        real = np.flatnonzero((ids != PAD_ID) & (ids != CLS_ID) & (ids != SEP_ID))
        chosen = np.zeros(len(ids), dtype=bool)
        if len(real) == 0:
            return chosen
        first, last = int(real[0]), int(real[-1])
        n = last - first + 1
        target = int(round(self.mlm_probability * n))
        if target == 0:
            return chosen
        k = self.k
        starts = self.rng.permutation(np.arange(first - k + 1, last + 1))
        count = 0
        for s in starts:
            lo, hi = max(s, first), min(s + k, last + 1)
            new = hi - lo - int(chosen[lo:hi].sum())
            if new == 0:
                continue
            if abs(count + new - target) >= abs(count - target):
                if count >= target:
                    break
                continue
            chosen[lo:hi] = True
            count += new
        return chosen & maskable

    def __call__(self, items: list[dict]) -> dict[str, torch.Tensor]:
        longest = max(len(it["input_ids"]) for it in items)
        ids = np.full((len(items), longest), PAD_ID, dtype=np.int64)
        for i, it in enumerate(items):
            ids[i, : len(it["input_ids"])] = it["input_ids"]
        masked = np.stack([self.span_mask(row) for row in ids])
        labels = np.where(masked, ids, -100)
        u = self.rng.random(ids.shape)
        to_mask = masked & (u < self.mask_prob)
        to_random = masked & (u >= self.mask_prob) & (u < self.mask_prob + self.random_prob)
        inputs = ids.copy()
        inputs[to_mask] = MASK_ID
        inputs[to_random] = self.rng.integers(N_SPECIAL, self.vocab_size, size=int(to_random.sum()))
        return {
            "input_ids": torch.from_numpy(inputs),
            "attention_mask": torch.from_numpy((ids != PAD_ID).astype(np.int64)),
            "labels": torch.from_numpy(labels),
        }


def read_pretrain_sequences(path: str | Path) -> list[str]:
    """Sequences for pre-training: FASTA / FASTA.gz / one per line, or original DNABERT k-mer sentences (one per line)."""
    from dnabert.sequences import read_sequences

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    head = p.read_bytes()[:4096]
    if head[:2] != b"\x1f\x8b":
        text = head.decode("utf-8", "replace").lstrip()
        first = text.split("\n", 1)[0].strip()
        if not first.startswith(">") and " " in first and is_kmer_sentence(first):
            lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
            return [from_kmer_sentence(ln) for ln in lines]
    return read_sequences(p).seqs


def acgt_segments(seq: str, min_len: int) -> list[str]:
    """The runs of A/C/G/T in ``seq`` (split at N and every other letter), those at least ``min_len`` long."""
    return [m for m in re.split(r"[^ACGT]+", seq.upper()) if len(m) >= min_len]


def pretrain_samples(
    seqs: list[str],
    k: int,
    min_length: int = PretrainSettings.min_length,
    max_length: int = PretrainSettings.max_length,
    sample_ratio: float = PretrainSettings.sample_ratio,
    seed: int = 0,
) -> list[str]:
    """Training sequences the way the DNABERT paper makes them: non-overlapping splitting plus random sampling.

    1. Every input sequence is split at N (and any non-ACGT letter): sequences
       with N are split, the N runs skipped.
    2. Non-overlapping splitting: each ACGT segment is cut into consecutive
       pieces of ``max_length`` bp (the last, shorter piece kept when it is at
       least ``max(k, min_length)`` long).
    3. Random sampling: ``sample_ratio`` x as many pieces again, each from a
       random segment (chosen in proportion to its length) at a random start,
       with a length drawn uniformly from [max(k, min_length), max_length].

    Seeded by ``seed``; returns the split pieces followed by the sampled ones.
    """
    lo = max(k, min_length)
    if max_length < lo:
        raise InputError(f"maximum length {max_length} is shorter than the minimum {lo} (k={k}, min_length={min_length})")
    segments = [seg for s in seqs for seg in acgt_segments(s, lo)]
    pieces = [seg[i : i + max_length] for seg in segments for i in range(0, len(seg), max_length)]
    pieces = [p for p in pieces if len(p) >= lo]
    n_random = int(round(sample_ratio * len(pieces)))
    if not segments or n_random == 0:
        return pieces
    rng = np.random.default_rng(seed)
    lengths = np.array([len(seg) for seg in segments], dtype=np.float64)
    which = rng.choice(len(segments), size=n_random, p=lengths / lengths.sum())
    sampled = []
    for j in which:
        seg = segments[j]
        n = int(rng.integers(lo, min(max_length, len(seg)) + 1))
        start = int(rng.integers(0, len(seg) - n + 1))
        sampled.append(seg[start : start + n])
    return pieces + sampled


class LateMaskingCallback(TrainerCallback):
    """Switch the collator to ``late`` masking probability for the last ``fraction`` of the steps."""

    def __init__(self, collator: SpanMaskingCollator, late: float, fraction: float):
        self.collator, self.late, self.fraction = collator, late, fraction

    def on_step_begin(self, args, state, control, **kwargs):
        if state.max_steps and state.global_step >= (1 - self.fraction) * state.max_steps:
            self.collator.mlm_probability = self.late


@dataclass
class PretrainResult:
    path: Path
    first_loss: float
    last_loss: float
    n_chunks: int
    history: list[dict] = field(default_factory=list)
    n_skipped: int = 0  # input sequences without a stretch of max(k, min_length) A/C/G/T bases: not used


@torch.inference_mode()
def mlm_loss(
    model: torch.nn.Module,
    dataset: TokenDataset,
    k: int,
    mlm_probability: float = PretrainSettings.mlm_probability,
    seed: int = 0,
    batch_size: int = 32,
) -> float:
    """Mean MLM loss over ``dataset`` with a fixed (seeded) span masking."""
    model.eval()
    device = next(model.parameters()).device
    collator = SpanMaskingCollator(k, mlm_probability, seed=seed)
    total = count = 0.0
    for start in range(0, len(dataset), batch_size):
        batch = collator([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
        n = int((batch["labels"] != -100).sum())
        if n == 0:
            continue
        out = model(**{key: v.to(device) for key, v in batch.items()})
        total += float(out.loss) * n
        count += n
    return total / count if count else float("nan")


class MaskedOnlyBertForMaskedLM(BertForMaskedLM):
    """BertForMaskedLM whose training forward runs the vocabulary head on the masked positions only.

    Same parameters and names as BertForMaskedLM (the saved folder is a plain
    BertForMaskedLM); the loss is identical, but the (positions x vocabulary)
    logits are computed for ~15% of the positions instead of all, which is
    most of the MLM step's cost for a small model with a 4101-token vocabulary.
    Without ``labels`` it behaves exactly like BertForMaskedLM.
    """

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        if labels is None:
            return super().forward(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, **kwargs)[0]  # (B, T, H)
        selected = labels != -100
        logits = self.cls(hidden[selected])  # (M, V)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels[selected])
        return MaskedLMOutput(loss=loss, logits=logits)


def build_mlm(model: str | Path | None, k: int | None, shape: ModelShape):
    """A BertForMaskedLM: new (``shape``, ``k``) or from a checkpoint folder. Returns (model, k)."""
    from transformers.utils import logging as hf_logging

    from dnabert.loading.checkpoint import read_config, resolve_model_path

    if model is None:
        if k is None:
            raise InputError("give k (--k) to pre-train a new model")
        return MaskedOnlyBertForMaskedLM(shape.config(k, architecture="BertForMaskedLM")), k
    config, k_folder = read_config(model)
    if k is not None and k != k_folder:
        raise InputError(f"--k {k} disagrees with the model folder {model} (k={k_folder})")
    config.architectures = ["BertForMaskedLM"]
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlm = MaskedOnlyBertForMaskedLM.from_pretrained(resolve_model_path(model), config=config, local_files_only=True)
    except Exception as e:  # any failure reading unknown weights (truncated, pickled code) is the file's fault
        raise InputError(f"{model}: the weights could not be loaded ({str(e)[:300]})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    return mlm, k_folder


def pretrain(
    seqs: list[str],
    out: str | Path,
    k: int | None = None,
    model: str | Path | None = None,
    shape: ModelShape | None = None,  # default: BERT-base (MODEL_PRESETS["base"])
    settings: PretrainSettings | None = None,
    overwrite: bool = False,
    callbacks: list | None = None,
) -> PretrainResult:
    """Pre-train (or continue pre-training) a DNABERT MLM on ``seqs`` and save it to ``out``.

    Returns the held-out MLM loss before (``first_loss``) and after
    (``last_loss``) training: the held-out set is up to ``settings.eval_size``
    chunks taken out of the training data (none when there are fewer than 4x
    as many chunks; then the loss is measured on training chunks).
    """
    from transformers import Trainer, set_seed

    from dnabert.loading.checkpoint import save_model

    settings = settings or PretrainSettings()
    shape = shape or model_shape("base")
    out = Path(out)
    check_output_folder(out, overwrite)
    if not 0 < settings.mlm_probability < 1 or not 0 < settings.late_mlm_probability < 1:
        raise InputError("masking probabilities must be between 0 and 1")
    if settings.threads:
        torch.set_num_threads(settings.threads)
    set_seed(settings.seed)  # a new model is initialised from the seed too, not only the training order
    mlm, k = build_mlm(model, k, shape)
    window = mlm.config.max_position_embeddings - 2
    chunk = min(settings.max_length, window + k - 1)  # at most `window` k-mers
    chunks = pretrain_samples(seqs, k, settings.min_length, chunk, settings.sample_ratio, settings.seed)
    shortest = max(k, settings.min_length)
    if not chunks:
        raise InputError(
            f"no sequence has a stretch of at least {shortest} A/C/G/T bases (N splits them): nothing to pre-train on"
        )
    rng = np.random.default_rng(settings.seed)
    order = rng.permutation(len(chunks))
    n_eval = min(settings.eval_size, len(chunks) // 4)
    eval_chunks = [chunks[i] for i in order[:n_eval]] if n_eval else [chunks[i] for i in order[: settings.eval_size]]
    train_chunks = [chunks[i] for i in order[n_eval:]]
    max_tokens = window + 2
    ds_train = TokenDataset(train_chunks, k, None, max_tokens)
    ds_eval = TokenDataset(eval_chunks, k, None, max_tokens)
    first_loss = mlm_loss(mlm, ds_eval, k, settings.mlm_probability, seed=settings.seed)
    collator = SpanMaskingCollator(k, settings.mlm_probability, seed=settings.seed)
    per_step = settings.batch_size * world_size()  # one step: a batch per process
    steps = settings.max_steps if settings.max_steps > 0 else math.ceil(len(ds_train) / per_step * settings.epochs)
    cbs = list(callbacks or [])
    if settings.late_fraction > 0:
        cbs.append(LateMaskingCallback(collator, settings.late_mlm_probability, settings.late_fraction))
    with tempfile.TemporaryDirectory(prefix="dnabert-pretrain-") as workdir:
        args = training_arguments(
            workdir, settings, steps, max_steps=settings.max_steps, save_strategy="no", remove_unused_columns=False
        )
        trainer = Trainer(model=mlm, args=args, train_dataset=ds_train, data_collator=collator, callbacks=cbs)
        trainer.train()
        trainer.accelerator.wait_for_everyone()  # under torchrun: rank 0's checkpoints stay until all ranks read them
        trained = trainer.model
        last_loss = mlm_loss(trained, ds_eval, k, settings.mlm_probability, seed=settings.seed)
        trained.to("cpu")
        from transformers import BertForMaskedLM

        trained.__class__ = BertForMaskedLM  # same parameters; saved (architectures) as the standard class
        main_process = trainer.is_world_process_zero()  # under torchrun only rank 0 writes
        if main_process:
            save_model(trained, k, out, overwrite=overwrite)
    import json

    if main_process:
        with atomic_path(out / "pretrain_metrics.json") as tmp:
            tmp.write_text(
                json.dumps(
                    {
                        "k": k,
                        "n_chunks": len(chunks),
                        "n_eval_chunks": len(eval_chunks),
                        "max_length": chunk,
                        "heldout_mlm_loss_before": first_loss,
                        "heldout_mlm_loss_after": last_loss,
                        "steps": trainer.state.global_step,
                        "init": str(model) if model is not None else "random",
                    },
                    indent=2,
                )
                + "\n"
            )
    return PretrainResult(
        path=out,
        first_loss=first_loss,
        last_loss=last_loss,
        n_chunks=len(chunks),
        history=[dict(h) for h in trainer.state.log_history],
        n_skipped=sum(not acgt_segments(s, shortest) for s in seqs),
    )
