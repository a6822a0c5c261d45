"""Sequences per second with per-nucleotide attention, for each model family at one size.

Random models of each family with the same body (4 layers, 256 hidden, 8 heads,
feed-forward 1024) score the same random 500-bp sequences with
``predict(attention="last")``. Baseline in the same process: DNABERT-1 (k = 6);
families are run interleaved, best of ``--repeats`` per family. The token count
per sequence differs by tokenizer (495 overlapping 6-mers, ~84 NT 6-mers, BPE
pieces in between), which is most of the difference.

Run: ``python -m bench.bench_families [--quick]``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import BertConfig, BertForSequenceClassification, EsmConfig

from dnabert.loading.checkpoint import LoadedModel
from dnabert.families.dna_tokenizers import bpe_tokenizer, sixmer_tokenizer
from dnabert.families.dnabert2 import Dnabert2ForSequenceClassification
from dnabert.families.nucleotide_transformer import build_esm
from dnabert.analysis.inference import predict

LAYERS, HIDDEN, HEADS, FFN = 4, 256, 8, 1024


def build_models(tmp: Path, rng: np.random.Generator) -> dict[str, LoadedModel]:
    torch.manual_seed(0)
    body = {"hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": FFN}
    bert = BertConfig(vocab_size=4101, **body)
    bert._attn_implementation = "eager"
    out = {"DNABERT-1 (6-mers)": LoadedModel(BertForSequenceClassification(bert).eval(), 6, ["0", "1"], Path("random"))}

    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = ["".join(rng.choice(list("ACGT"), size=1000)) for _ in range(300)]
    bpe.train_from_iterator(
        corpus,
        trainers.BpeTrainer(vocab_size=4096, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False),
    )
    bpe.save(str(tmp / "tokenizer.json"))
    d2 = Dnabert2ForSequenceClassification(BertConfig(vocab_size=4096, **body)).eval()
    out["DNABERT-2 (BPE)"] = LoadedModel(
        d2, None, ["0", "1"], Path("random"), tokenizer=bpe_tokenizer(tmp / "tokenizer.json", 510), family="DNABERT-2"
    )

    vocab = (
        ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
        + ["".join(p) for p in itertools.product("ATCG", repeat=6)]
        + list("ATCGN")
    )
    (tmp / "vocab.txt").write_text("\n".join(vocab) + "\n")
    for name, extra in (
        ("NT v1", {"position_embedding_type": "absolute"}),
        ("NT v2", {"position_embedding_type": "rotary", "add_bias_fnn": False}),
    ):
        cfg = EsmConfig(
            vocab_size=len(vocab),
            pad_token_id=1,
            mask_token_id=2,
            max_position_embeddings=1002,
            token_dropout=False,
            **body,
            **extra,
        )
        out[f"{name} (6-mers)"] = LoadedModel(
            build_esm(cfg, "classification").eval(),
            None,
            ["0", "1"],
            Path("random"),
            tokenizer=sixmer_tokenizer(tmp / "vocab.txt", 999),
            family=name,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sequences (smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), size=500)) for _ in range(16 if args.quick else 64)]
    with tempfile.TemporaryDirectory() as tmp:
        lms = build_models(Path(tmp), rng)
        best = {name: float("inf") for name in lms}
        for _ in range(args.repeats):  # interleaved: each repeat runs every family once
            for name, lm in lms.items():
                start = time.perf_counter()
                predict(lm, seqs, batch_size=16, attention="last")
                best[name] = min(best[name], time.perf_counter() - start)
    base = len(seqs) / best["DNABERT-1 (6-mers)"]
    print(f"torch threads {torch.get_num_threads()}, {len(seqs)} sequences of 500 bp, body {LAYERS}x{HIDDEN}, {HEADS} heads")
    print(f"{'family':22s} {'tokens/seq':>10s} {'seq/s':>8s} {'vs DNABERT-1':>12s}")
    for name, lm in lms.items():
        n_tok = np.mean([len(lm.tokenizer.tokenize(s)[0]) for s in seqs])
        rate = len(seqs) / best[name]
        print(f"{name:22s} {n_tok:10.0f} {rate:8.1f} {rate / base:11.2f}x")


if __name__ == "__main__":
    main()
