"""Fine-tuning DNABERT-2 and Nucleotide Transformer checkpoints: a few steps, the saved folder loads back and predicts the same."""

import json

import numpy as np
import pytest
import torch
from support import random_seqs
from family_fixtures import make_dnabert2, make_nt_v1, make_nt_v2

from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.families.finetune import classification_loss
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.analysis.inference import predict
from dnabert.training.tables import LabeledData
from explorer.cli import main

BUILDERS = {
    "DNABERT-2": lambda p: make_dnabert2(p)[0],
    "NT v2": lambda p: make_nt_v2(p)[0],
    "NT v1": make_nt_v1,
}
SETTINGS = {
    "epochs": 2,
    "batch_size": 8,
    "learning_rate": 1e-3,
    "log_every": 1,
    "dev_fraction": 0.0,
    "threads": 1,
    "device": "cpu",
}


def labeled(n: int, seed: int, name: str) -> LabeledData:
    seqs = random_seqs(n, 20, 40, seed=seed)
    labels = ["low" if s.count("G") + s.count("C") < len(s) / 2 else "high" for s in seqs]  # learnable: GC content
    return LabeledData(seqs=seqs, labels=labels, ids=[f"r{i}" for i in range(n)], name=name)


@pytest.mark.parametrize("family", list(BUILDERS))
def test_a_few_steps_then_the_saved_folder_loads_back_and_predicts_the_same(family, tmp_path):
    src = BUILDERS[family](tmp_path / "src")
    before = {k: v.clone() for k, v in load_model(src).model.state_dict().items()}
    train, dev = labeled(24, 0, "train"), labeled(8, 1, "dev")
    res = finetune(train, tmp_path / "out", dev=dev, model=src, settings=FinetuneSettings(**SETTINGS))
    assert res.labels == ["high", "low"]  # sorted class names: a new 2-class head, not the fixture's neg/pos
    steps = [h for h in res.history if "loss" in h]
    assert steps and all(np.isfinite(h["loss"]) for h in steps)
    lm = load_model(res.path)
    assert lm.family == family and lm.labels == ["high", "low"] and not lm.pretrained_only
    after = lm.model.state_dict()
    changed = [k for k in before if k in after and not k.startswith("classifier") and not torch.equal(before[k], after[k])]
    assert changed, "the encoder did not train"
    record = json.loads((res.path / "metrics.json").read_text())
    assert record["family"] == family and record["k"] is None
    # the metrics in metrics.json were computed on the in-memory model: the reloaded one gives the same
    seqs = dev.seqs
    probs = predict(lm, seqs, attention=None).probs
    y = np.array([["high", "low"].index(label) for label in dev.labels])
    from dnabert.training.metrics import classification_metrics

    reloaded = classification_metrics(y, probs)  # argmax metrics: metrics.json keeps them under at_0.5
    assert reloaded["accuracy"] == pytest.approx(record["at_0.5"]["dev"]["accuracy"])
    assert reloaded["auroc"] == pytest.approx(record["dev"]["auroc"])
    assert classification_metrics(y, probs)["auroc"] == pytest.approx(record["dev"]["auroc"], abs=1e-6)


def test_reloaded_predictions_equal_the_in_memory_model(tmp_path):
    from dnabert.families.finetune import load_classifier, save_family_model

    src = make_dnabert2(tmp_path / "src")[0]
    lm = load_classifier(src, "DNABERT-2", ["a", "b", "c"], 0.1)
    lm.model.eval()
    save_family_model(lm.model, lm.path, tmp_path / "saved", ["a", "b", "c"])
    back = load_model(tmp_path / "saved")
    seqs = random_seqs(5, 30, 60, seed=3)
    np.testing.assert_array_equal(predict(lm, seqs, attention=None).logits, predict(back, seqs, attention=None).logits)
    assert back.labels == ["a", "b", "c"] and (tmp_path / "saved" / "tokenizer.json").is_file()


def test_classification_loss_is_mean_cross_entropy():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    by_hand = -np.mean([np.log(np.exp(2) / (np.exp(2) + np.exp(-1))), np.log(0.5), np.log(np.exp(1) / (np.exp(-3) + np.exp(1)))])

    class Out:
        pass

    out = Out()
    out.logits = logits
    assert float(classification_loss(out, labels)) == pytest.approx(by_hand)


def test_cli_finetune_on_a_dnabert2_folder_and_k_is_refused(tmp_path, capsys):
    src = make_dnabert2(tmp_path / "src")[0]
    table = tmp_path / "train.tsv"
    data = labeled(20, 0, "train")
    table.write_text("sequence\tlabel\n" + "".join(f"{s}\t{lab}\n" for s, lab in zip(data.seqs, data.labels)))
    out = tmp_path / "ft"
    args = ["finetune", "--model", str(src), "--train", str(table), "--out", str(out), "--epochs", "1", "--batch-size", "8"]
    assert main(args) == 0
    assert load_model(out).family == "DNABERT-2"
    assert main([*args[:-6], "--out", str(tmp_path / "ft2"), "--k", "6", "--epochs", "1"]) == 2
    assert "--k is for new DNABERT-1" in capsys.readouterr().err


def test_a_row_longer_than_the_window_is_refused_by_name(tmp_path):
    src = make_dnabert2(tmp_path / "src", alibi_starting_size=8)[0]  # window 6 tokens
    train = LabeledData(seqs=["ACGT" * 30, "ACGTAC"], labels=["a", "b"], ids=["long", "short"], name="train.tsv")
    with pytest.raises(InputError, match=r"train.tsv: data row 1 \(long\).*more than the model window of 6 tokens"):
        finetune(train, tmp_path / "out", model=src, settings=FinetuneSettings(**SETTINGS))
