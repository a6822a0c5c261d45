"""A family added from outside (one base per token) runs predict, attention and motifs through the interface.

The toy family is a character-level BERT: its tokenizer is a :class:`DnaTokenizer` subclass and its
folder is recognised by a registered rule (:mod:`dnabert.families.registry`); nothing else in the
code knows it. Probabilities and attention tracks are checked against a direct forward pass.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch
from support import random_seqs
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

from dnabert_demo.synthetic import write_fasta
from dnabert.loading.checkpoint import load_model
from dnabert.families.dna_tokenizers import DnaTokenizer
from dnabert.families.loading import FamilyModel
from dnabert.families.registry import Family, register, unregister
from dnabert.loading.model_info import describe, shortest_bases, too_long_for_window, window_bases
from dnabert.outputs import load_attention_npz
from explorer.cli import main

BASE_IDS = {"A": 5, "C": 6, "G": 7, "T": 8, "N": 9}  # 0 pad, 2 [CLS], 3 [SEP]
WINDOW = 62


@dataclass
class BaseTokenizer(DnaTokenizer):
    """One token per base."""

    name = "single bases"

    def tokenize(self, seq):
        ids = np.array([BASE_IDS.get(b, 9) for b in seq], dtype=np.int64)
        starts = np.arange(len(seq), dtype=np.int64)
        return ids, np.stack([starts, starts + 1], axis=1).reshape(-1, 2)

    def token_strings(self, ids):
        names = {v: k for k, v in BASE_IDS.items()} | {0: "[PAD]", 2: "[CLS]", 3: "[SEP]"}
        return [names[i] for i in np.asarray(ids).tolist()]

    @property
    def vocab_size(self):
        return 10


def load_toy(folder, task, window, labels):
    model = BertForSequenceClassification.from_pretrained(folder, attn_implementation="eager")
    tokenizer = BaseTokenizer(prefix=(2,), suffix=(3,), pad_id=0, window=window or WINDOW)
    return FamilyModel(model=model.eval(), tokenizer=tokenizer, head_missing=False)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy")
    torch.manual_seed(3)
    config = BertConfig(attn_implementation="eager", vocab_size=10, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=WINDOW + 2, id2label={0: "neg", 1: "pos"}, label2id={"neg": 0, "pos": 1})  # fmt: skip
    model = BertForSequenceClassification(config)
    folder = d / "model"
    folder.mkdir()
    config.toy_family = True
    config.save_pretrained(folder)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "model.safetensors")
    register(Family("Toy", detect=lambda raw, _d: raw.get("toy_family") is True, load=load_toy))
    seqs = random_seqs(30, 40, 140, seed=4)  # some longer than the window: several windows
    write_fasta(d / "in.fa", [f"s{i}" for i in range(len(seqs))], seqs)
    yield folder, d / "in.fa", seqs, model.eval()
    unregister("Toy")


def direct(model, seq):
    """Probabilities and the last-layer [CLS] attention over the bases (one window), straight from the model."""
    ids = torch.tensor([[2, *(BASE_IDS[b] for b in seq), 3]])
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    track = out.attentions[-1][0, :, 0, 1:-1].mean(0).numpy()
    return torch.softmax(out.logits, -1)[0].numpy(), track / np.linalg.norm(track)


def test_the_interface_answers_for_the_toy_family(toy):
    folder, _fasta, seqs, _model = toy
    lm = load_model(folder)
    assert lm.family == "Toy" and describe(lm) == "Toy · single bases · window 62 tokens"
    assert shortest_bases(lm) == 1 and window_bases(lm) == WINDOW
    assert too_long_for_window(lm, "A" * (WINDOW + 1)) and not too_long_for_window(lm, "A" * WINDOW)


def test_predict_attention_and_motifs_through_the_cli(toy, tmp_path, capsys):
    folder, fasta, seqs, model = toy
    assert main(["predict", "--model", str(folder), "--input", str(fasta), "--out", str(tmp_path / "p.tsv")]) == 0
    assert "model: Toy · single bases · window 62 tokens" in capsys.readouterr().err
    table = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    short = [i for i, s in enumerate(seqs) if len(s) <= WINDOW]
    assert short
    for i in short:
        probs, track = direct(model, seqs[i])
        np.testing.assert_allclose(table.loc[i, ["p_neg", "p_pos"]].to_numpy(float), probs, rtol=1e-4, atol=1e-6)

    assert main(["attention", "--model", str(folder), "--input", str(fasta), "--out", str(tmp_path / "a.npz")]) == 0
    _ids, tracks = load_attention_npz(tmp_path / "a.npz")
    assert [len(t) for t in tracks] == [len(s) for s in seqs]
    for i in short:
        np.testing.assert_allclose(tracks[i], direct(model, seqs[i])[1], rtol=1e-4, atol=1e-6)

    out = tmp_path / "motifs"
    args = ["motifs", "--model", str(folder), "--positives", str(fasta), "--out", str(out), "--no-match", "--logos", "none"]
    assert main(args) == 0
    assert (out / "motifs.tsv").is_file() and (out / "instances.tsv").is_file()
