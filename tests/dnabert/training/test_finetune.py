"""Fine-tuning: metrics, input validation, a tiny run on planted data, saved folders, the demo recipe."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, matthews_corrcoef, roc_auc_score

from dnabert_demo.synthetic import make_planted_dataset, write_table
from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from support import kmer_sentence
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.analysis.inference import predict
from dnabert.training.metrics import classification_metrics
from dnabert.training.tables import LabeledData, check_lengths, class_names, label_ids, read_labeled
from dnabert.training.policy import ModelShape
from explorer.cli import main

TINY = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)


def test_binary_metrics_against_sklearn_and_by_hand():
    y = np.array([0, 0, 1, 1, 1, 0])
    p1 = np.array([0.1, 0.6, 0.8, 0.4, 0.9, 0.2])
    probs = np.stack([1 - p1, p1], axis=1)
    m = classification_metrics(y, probs)
    pred = (p1 > 0.5).astype(int)  # [0, 1, 1, 0, 1, 0]: TP 2, FP 1, FN 1, TN 2
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["mcc"] == pytest.approx((2 * 2 - 1 * 1) / np.sqrt(3 * 3 * 3 * 3))
    assert m["auroc"] == pytest.approx(8 / 9)  # 8 of 9 (pos, neg) pairs ordered
    assert m["accuracy"] == accuracy_score(y, pred) and m["f1"] == f1_score(y, pred)
    assert m["mcc"] == pytest.approx(matthews_corrcoef(y, pred))
    assert m["auroc"] == pytest.approx(roc_auc_score(y, p1))
    assert m["auprc"] == pytest.approx(average_precision_score(y, p1))


def test_multiclass_metrics_against_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    logits = rng.normal(size=(60, 3)) + 2 * np.eye(3)[y]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    m = classification_metrics(y, probs)
    pred = probs.argmax(1)
    assert m["f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["auroc"] == pytest.approx(roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    assert m["auprc"] == pytest.approx(average_precision_score(np.eye(3)[y], probs, average="macro"))
    single = classification_metrics(np.zeros(4, int), np.tile([0.7, 0.3], (4, 1)))
    assert single["accuracy"] == 1.0 and np.isnan(single["auroc"])


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_read_labeled_formats(tmp_path):
    tsv = write(tmp_path, "a.tsv", "sequence\tlabel\nacgtacgtac\t1\nGGGGCCCCAA\t0\n")
    d = read_labeled(tsv)
    assert d.seqs == ["ACGTACGTAC", "GGGGCCCCAA"] and d.labels == ["1", "0"] and d.ids == ["row1", "row2"]
    csv = write(tmp_path, "a.csv", "id,Sequence,Label\nx,ACGTACGTAC,pos\ny,GGGGCCCCAA,neg\n")
    d = read_labeled(csv)
    assert d.ids == ["x", "y"] and d.labels == ["pos", "neg"]
    # the original DNABERT format: k-mer sentences
    orig = write(tmp_path, "dev.tsv", f"sequence\tlabel\n{kmer_sentence('ACGTACGTACGT', 6)}\t1\n")
    assert read_labeled(orig).seqs == ["ACGTACGTACGT"]
    assert class_names(["10", "2", "1"]) == ["1", "2", "10"]
    assert class_names(["b", "a"]) == ["a", "b"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("seq\tlabel\nACGTACGT\t1\n", "missing column"),
        ("sequence\tclass\nACGTACGT\t1\n", "missing column"),
        ("sequence\tlabel\n", "no rows"),
        ("", "empty"),
        ("sequence\tlabel\nACGTACGT\t1\n\t0\n", "data row 2 has an empty sequence"),
        ("sequence\tlabel\nACGTACGT\t\n", "data row 1 has an empty label"),
        ("sequence\tlabel\nACGTXCGT\t1\n", "'X' at position 4"),
    ],
)
def test_read_labeled_errors(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_labeled(write(tmp_path, "bad.tsv", text))


def test_labels_and_lengths_are_checked():
    train = LabeledData(["ACGTACGT"] * 2, ["a", "b"], ["r1", "r2"], "train")
    dev = LabeledData(["ACGTACGT"] * 2, ["a", "c"], ["r1", "r2"], "dev")
    with pytest.raises(InputError, match="dev: data row 2 has label 'c'.*not a class of the training set"):
        label_ids(dev, class_names(train.labels))
    long = LabeledData(["A" * 600], ["a"], ["r1"], "train")
    with pytest.raises(InputError, match="more than the model window of 510"):
        check_lengths(long, 6, 510)
    with pytest.raises(InputError, match="shorter than k=6"):
        check_lengths(LabeledData(["ACG"], ["a"], ["r1"], "train"), 6, 510)


def test_finetune_refuses_bad_training_sets(tmp_path):
    one = LabeledData(["ACGTACGTAA"] * 4, ["x"] * 4, [f"r{i}" for i in range(4)], "train")
    with pytest.raises(InputError, match="at least two classes"):
        finetune(one, tmp_path / "m", k=6, shape=TINY)
    two = LabeledData(["ACGTACGTAA", "A" * 200], ["x", "y"], ["r1", "r2"], "train")
    with pytest.raises(InputError, match="model window"):
        finetune(two, tmp_path / "m", k=6, shape=TINY)  # TINY has a 126-k-mer window
    existing = tmp_path / "exists"
    existing.mkdir()
    with pytest.raises(InputError, match="exists"):
        finetune(two, existing, k=6, shape=TINY)
    assert not (tmp_path / "m").exists()


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """A tiny model fine-tuned on planted CTCF sites (seconds)."""
    tmp = tmp_path_factory.mktemp("ft")
    data = make_planted_dataset(400, 400, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=1)
    test = make_planted_dataset(100, 100, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=2)
    for name, d in (("train", data), ("test", test)):
        write_table(tmp / f"{name}.tsv", d)
    dev_idx = np.arange(100)
    write_table(tmp / "dev.tsv", data.subset(dev_idx))
    out = tmp / "model"
    code = main(
        [
            "finetune",
            "--train",
            str(tmp / "train.tsv"),
            "--dev",
            str(tmp / "dev.tsv"),
            "--test",
            str(tmp / "test.tsv"),
            "--k",
            "6",
            "--layers",
            "1",
            "--hidden",
            "32",
            "--heads",
            "2",
            "--epochs",
            "3",
            "--lr",
            "3e-3",
            "--batch-size",
            "32",
            "--threads",
            "1",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return tmp, out, test


def test_tiny_finetune_beats_chance(planted_run):
    _, out, _ = planted_run
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["labels"] == ["negative", "positive"]
    assert rec["test"]["auroc"] > 0.8, rec["test"]
    assert set(rec["test"]) == {"accuracy", "f1", "mcc", "auroc", "auprc"}


def test_saved_folder_loads_and_predicts(planted_run):
    tmp, out, test = planted_run
    lm = load_model(out)
    assert lm.labels == ["negative", "positive"] and lm.k == 6 and not lm.pretrained_only
    assert (out / "vocab.txt").is_file() and (out / "model.safetensors").is_file()
    pred = predict(lm, test.seqs, attention="last")
    assert roc_auc_score(test.labels, pred.probs[:, 1]) > 0.8
    # scores from the saved folder equal the metrics recorded at training time
    rec = json.loads((out / "metrics.json").read_text())
    assert roc_auc_score(test.labels, pred.probs[:, 1]) == pytest.approx(rec["test"]["auroc"], abs=2e-3)  # float32 ties
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]


def test_continue_from_a_saved_folder(planted_run, tmp_path):
    tmp, out, _ = planted_run
    res = finetune(
        read_labeled(tmp / "dev.tsv"), tmp_path / "again", model=out, settings=FinetuneSettings(epochs=1, threads=1, device="cpu")
    )
    assert res.labels == ["negative", "positive"]
    assert load_model(tmp_path / "again").labels == ["negative", "positive"]


def test_finetune_cli_errors(planted_run, tmp_path, capsys):
    tmp, out, _ = planted_run
    base = ["finetune", "--train", str(tmp / "train.tsv"), "--k", "6", "--threads", "1"]
    assert main(base + ["--out", str(out)]) == 2  # exists, no --overwrite
    assert "exists" in capsys.readouterr().err
    bad_dev = write(tmp_path, "dev.tsv", "sequence\tlabel\n" + "ACGT" * 10 + "\tmaybe\n")
    assert main(base + ["--dev", str(bad_dev), "--out", str(tmp_path / "m")]) == 2
    assert "'maybe'" in capsys.readouterr().err
    # one run needs --model or --k (the auto recipe, the default for this table, tries k = 4 and 6 itself)
    assert main(["finetune", "--train", str(tmp / "train.tsv"), "--recipe", "default", "--out", str(tmp_path / "m")]) == 2
    assert "--k" in capsys.readouterr().err
    missing = write(tmp_path, "nolabel.tsv", "sequence\n" + "ACGT" * 10 + "\n")
    assert main(["finetune", "--train", str(missing), "--k", "6", "--out", str(tmp_path / "m")]) == 2
    assert "missing column" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_demo_recipe_quick(tmp_path, capsys):
    """The demo-model command end to end with a tiny recipe: a complete, loadable folder."""
    out = tmp_path / "demo"
    assert main(["demo-model", "--quick", "--out", str(out), "--threads", "1"]) == 0
    rec = json.loads((out / "metrics.json").read_text())
    for key in ("test", "pwm_ceiling_auroc", "gap_to_ceiling", "attention_last", "targets_met", "recipe"):
        assert key in rec
    assert rec["pwm_ceiling_auroc"] > 0.95
    assert (out / "MODEL_CARD.md").read_text().startswith("# DNABERT-6 demo model")
    sites = pd.read_csv(out / "example_sites.tsv", sep="\t")
    assert sites["id"].nunique() == 20 and {"id", "motif", "start", "end", "strand"} <= set(sites.columns)
    assert load_model(out).labels == ["negative", "positive"]
    assert main(["demo-model", "--quick", "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err


def test_stratified_dev_split_and_small_sets():
    from dnabert.training.tables import stratified_split

    labels = ["a"] * 80 + ["b"] * 20
    data = LabeledData([f"ACGTACG{'A' * (i % 7)}" for i in range(100)], labels, [f"r{i}" for i in range(100)], "train")
    y = label_ids(data, ["a", "b"])
    tr, dev, y_tr, y_dev, note = stratified_split(data, y, 0.1, seed=0)
    assert len(dev) == 10 and sorted(dev.labels) == ["a"] * 8 + ["b"] * 2  # stratified
    assert set(tr.ids).isdisjoint(dev.ids) and len(tr) == 90 and "stratified" in note
    assert stratified_split(data, y, 0.1, seed=0)[1].ids == dev.ids  # seeded
    tiny = LabeledData(["ACGTACGT"] * 3, ["a", "a", "b"], ["r1", "r2", "r3"], "train")
    _, none, *_, note = stratified_split(tiny, label_ids(tiny, ["a", "b"]), 0.1, seed=0)
    assert none is None and "too small" in note


def test_no_dev_given_uses_a_split_and_early_stopping(tmp_path):
    data = make_planted_dataset(60, 60, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=4)
    train = LabeledData(data.seqs, ["positive" if v else "negative" for v in data.labels], data.ids, "train")
    res = finetune(
        train,
        tmp_path / "m",
        k=6,
        shape=TINY,
        settings=FinetuneSettings(epochs=20, learning_rate=1e-5, patience=1, threads=1, device="cpu"),
    )
    rec = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert rec["n_dev"] == rec["n_test"] == 12 and rec["n_train"] == 96 and "stratified" in rec["notes"][0]
    evals = [h for h in res.history if "eval_auroc" in h]
    assert 2 <= len(evals) < 20  # stopped early (lr too small to improve for long)
    assert rec["steps"] < 20 * 4


def test_corrupt_or_incompatible_checkpoint(tmp_path, capsys):
    train = write(tmp_path, "t.tsv", "sequence\tlabel\n" + "".join(f"{'ACGT' * 5}\t{i % 2}\n" for i in range(6)))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{}")
    assert main(["finetune", "--model", str(bad), "--train", str(train), "--out", str(tmp_path / "m")]) == 2
    assert "vocab.txt" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("config.json", "vocab.txt"):
        (broken / f).write_text((load_model("demo").path / f).read_text())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    assert main(["finetune", "--model", str(broken), "--train", str(train), "--out", str(tmp_path / "m")]) == 2
    assert "could not be loaded" in capsys.readouterr().err
    assert main(["finetune", "--model", "demo", "--k", "4", "--train", str(train), "--out", str(tmp_path / "m")]) == 2
    assert "disagrees" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
