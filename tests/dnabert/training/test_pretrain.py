"""Span-masking collator statistics and a few-step MLM pre-training."""

import json

import numpy as np
import pytest
from support import random_seqs

from dnabert.loading.checkpoint import load_model
from dnabert.training.policy import ModelShape, TokenDataset
from support import kmer_sentence
from dnabert.families.kmer import CLS_ID, MASK_ID, N_SPECIAL, PAD_ID, SEP_ID, UNK_ID
from dnabert.training.pretrain import (
    LateMaskingCallback,
    PretrainSettings,
    SpanMaskingCollator,
    acgt_segments,
    pretrain,
    pretrain_samples,
    read_pretrain_sequences,
)
from explorer.cli import main

K = 6


@pytest.fixture(scope="module")
def batch():
    seqs = random_seqs(400, 30, 300, seed=1)
    seqs[0] = seqs[0][:10] + "NN" + seqs[0][12:]  # [UNK] tokens
    seqs[1] = "N" * 40 + seqs[1]
    ds = TokenDataset(seqs, K)
    collator = SpanMaskingCollator(K, 0.15, seed=0)
    items = [ds[i] for i in range(len(ds))]
    out = collator(items)
    originals = np.zeros_like(out["input_ids"].numpy())
    for i, it in enumerate(items):
        originals[i, : len(it["input_ids"])] = it["input_ids"]
    return {key: v.numpy() for key, v in out.items()} | {"original": originals}


def test_mask_rate_is_about_15_percent(batch):
    real = ~np.isin(batch["original"], [PAD_ID, CLS_ID, SEP_ID])
    masked = batch["labels"] != -100
    rate = masked.sum() / real.sum()
    assert 0.14 <= rate <= 0.16, rate
    # per sequence too (not just on average): every sequence of >= 60 k-mers (whole spans are
    # coarse for shorter ones) and without [UNK] gets 10-20 %
    n = real.sum(axis=1)
    per = (masked.sum(axis=1) / n)[2:][n[2:] >= 60]
    assert len(per) > 200 and np.all((per > 0.10) & (per < 0.20))


def test_labels_are_the_original_tokens(batch):
    masked = batch["labels"] != -100
    assert np.array_equal(batch["labels"][masked], batch["original"][masked])
    assert np.array_equal(batch["input_ids"][~masked], batch["original"][~masked])
    assert np.array_equal(batch["attention_mask"], (batch["original"] != PAD_ID).astype(int))


def test_never_special_tokens(batch):
    special = np.isin(batch["original"], [PAD_ID, UNK_ID, CLS_ID, SEP_ID])
    assert not (batch["labels"][special] != -100).any()
    assert np.array_equal(batch["input_ids"][special], batch["original"][special])
    assert (batch["original"] == UNK_ID).any()


def test_80_10_10(batch):
    masked = batch["labels"] != -100
    inp, orig = batch["input_ids"][masked], batch["original"][masked]
    n = masked.sum()
    frac_mask = (inp == MASK_ID).mean()
    frac_same = (inp == orig).mean()
    frac_random = 1 - frac_mask - frac_same
    tol = 4 * np.sqrt(0.1 * 0.9 / n)
    assert abs(frac_mask - 0.8) < 4 * np.sqrt(0.16 / n)
    assert abs(frac_same - 0.1) < tol + 1 / 4096  # a random k-mer can equal the original
    assert abs(frac_random - 0.1) < tol
    rnd = inp[(inp != MASK_ID) & (inp != orig)]
    assert rnd.min() >= N_SPECIAL and rnd.max() < 4**K + N_SPECIAL  # random replacements are k-mers


def test_masked_runs_are_contiguous_k_spans(batch):
    """Every run of masked tokens is >= k long unless it touches the first or last k-mer or an [UNK]."""
    masked = batch["labels"] != -100
    for row, orig in zip(masked, batch["original"]):
        kmers = np.flatnonzero(~np.isin(orig, [PAD_ID, CLS_ID, SEP_ID]))
        first, last = kmers[0], kmers[-1]
        edges = np.diff(np.concatenate([[0], row.astype(int), [0]]))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            if e - s < K:
                near_unk = (orig[max(s - K, 0) : e + K] == UNK_ID).any()
                assert s == first or e - 1 == last or near_unk, (s, e, first, last)


def test_masking_is_seeded():
    ds = TokenDataset(random_seqs(10, 50, 80, seed=2), K)
    a = SpanMaskingCollator(K, seed=5)([ds[i] for i in range(10)])
    b = SpanMaskingCollator(K, seed=5)([ds[i] for i in range(10)])
    assert all(np.array_equal(a[key], b[key]) for key in a)


def test_late_masking_callback_raises_the_rate():
    collator = SpanMaskingCollator(K, 0.15)
    cb = LateMaskingCallback(collator, 0.2, 0.25)

    class State:
        max_steps = 100
        global_step = 10

    cb.on_step_begin(None, State, None)
    assert collator.mlm_probability == 0.15
    State.global_step = 80
    cb.on_step_begin(None, State, None)
    assert collator.mlm_probability == 0.2
    with pytest.raises(ValueError):
        SpanMaskingCollator(K, 0.0)


def test_pretrain_samples_split_plus_random_sampling():
    seq = random_seqs(1, 2000, 2000, seed=4)[0]
    with_n = seq[:700] + "N" * 30 + seq[700:1500] + "NNRY" + seq[1500:]
    assert acgt_segments(with_n, 5) == [seq[:700], seq[700:1500], seq[1500:]]
    pieces = pretrain_samples([with_n, "ACG"], K, min_length=5, max_length=510, sample_ratio=1.0, seed=1)
    assert all(set(p) <= set("ACGT") for p in pieces)  # N skipped, sequences with N split
    assert all(K <= len(p) <= 510 for p in pieces)
    # first the non-overlapping split: consecutive pieces re-assemble each segment exactly
    split = [seq[:510], seq[510:700], seq[700:1210], seq[1210:1500], seq[1500:2010]]
    assert pieces[: len(split)] == split
    # then as many randomly sampled pieces, of varied lengths, each a substring of the input
    sampled = pieces[len(split) :]
    assert len(sampled) == len(split)
    assert all(p in with_n for p in sampled) and len({len(p) for p in sampled}) > 1
    assert pretrain_samples([with_n], K, seed=1) == pieces  # seeded
    assert pretrain_samples(["ACG", "NNNN"], K) == []
    lengths = [len(p) for p in pretrain_samples(random_seqs(20, 3000, 3000, seed=6), K, 5, 510, seed=2)[-100:]]
    assert min(lengths) < 150 and max(lengths) > 400  # uniform over [6, 510]


def test_read_kmer_sentences(tmp_path):
    seqs = random_seqs(3, 20, 30, seed=5)
    p = tmp_path / "pre.txt"
    p.write_text("\n".join(kmer_sentence(s, K) for s in seqs) + "\n")
    assert read_pretrain_sequences(p) == seqs
    f = tmp_path / "pre.fa"
    f.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    assert read_pretrain_sequences(f) == seqs


def test_few_steps_lower_the_mlm_loss(tmp_path):
    # low-entropy sequences (a few repeated 12-mers) so that a tiny model learns in seconds
    rng = np.random.default_rng(0)
    units = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(4)]
    seqs = ["".join(rng.choice(units, 5)) for _ in range(200)]
    out = tmp_path / "mlm"
    shape = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=64)
    res = pretrain(
        seqs,
        out,
        k=K,
        shape=shape,
        settings=PretrainSettings(
            max_steps=25, batch_size=16, learning_rate=5e-3, eval_size=32, log_every=5, threads=1, device="cpu"
        ),
    )
    assert res.last_loss < res.first_loss - 1.0, (res.first_loss, res.last_loss)
    assert res.n_chunks > 200  # split pieces + as many sampled ones
    rec = json.loads((out / "pretrain_metrics.json").read_text())
    assert rec["heldout_mlm_loss_after"] == pytest.approx(res.last_loss)
    lm = load_model(out, task="mlm")
    assert lm.k == K and not lm.pretrained_only
    clf = load_model(out)  # a pre-trained folder gives a classifier with a fresh head, and says so
    assert clf.pretrained_only and clf.notes


def test_pretrain_cli_errors(tmp_path, capsys):
    fa = tmp_path / "in.fa"
    fa.write_text(">a\n" + random_seqs(1, 80, 80)[0] + "\n")
    out = tmp_path / "exists"
    out.mkdir()
    assert main(["pretrain", "--input", str(fa), "--out", str(out), "--k", "6"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["pretrain", "--input", str(fa), "--out", str(tmp_path / "new")]) == 2
    assert "--k" in capsys.readouterr().err
    assert main(["pretrain", "--input", str(tmp_path / "missing.fa"), "--out", str(tmp_path / "new"), "--k", "6"]) == 2
    short = tmp_path / "short.fa"
    short.write_text(">a\nACG\n")
    assert main(["pretrain", "--input", str(short), "--out", str(tmp_path / "new"), "--k", "6"]) == 2
    assert "nothing to pre-train" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    assert (
        main(["pretrain", "--input", str(fa), "--out", str(tmp_path / "new"), "--k", "6", "--hidden", "100", "--heads", "3"]) == 2
    )
    assert "multiple of the number of heads" in capsys.readouterr().err
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "config.json").write_text("{not json")
    assert main(["pretrain", "--input", str(fa), "--out", str(tmp_path / "new"), "--model", str(garbage)]) == 2
    assert "config.json" in capsys.readouterr().err


def test_presets():
    from dnabert.training.policy import MODEL_PRESETS, model_shape

    base = model_shape()
    assert (base.layers, base.hidden, base.heads, base.intermediate) == (12, 768, 12, 3072)  # BERT-base, the documented default
    assert model_shape("tiny", hidden=64).intermediate == 256
    assert set(MODEL_PRESETS) == {"base", "small", "tiny"}


def test_masked_only_head_gives_the_standard_mlm_loss():
    import torch
    from transformers import BertForMaskedLM

    from dnabert.training.policy import model_shape
    from dnabert.training.pretrain import MaskedOnlyBertForMaskedLM

    torch.manual_seed(0)
    cfg = model_shape("tiny", hidden=32, heads=2).config(K, architecture="BertForMaskedLM")
    standard = BertForMaskedLM(cfg).eval()
    fast = MaskedOnlyBertForMaskedLM(cfg).eval()
    fast.load_state_dict(standard.state_dict())
    ds = TokenDataset(random_seqs(8, 60, 120, seed=3), K)
    batch = SpanMaskingCollator(K, seed=0)([ds[i] for i in range(8)])
    with torch.no_grad():
        assert float(fast(**batch).loss) == pytest.approx(float(standard(**batch).loss), rel=1e-5)
        no_labels = {key: v for key, v in batch.items() if key != "labels"}
        assert torch.allclose(fast(**no_labels).logits, standard(**no_labels).logits)
