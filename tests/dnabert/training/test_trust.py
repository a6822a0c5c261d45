"""Issue 14: the k-mer baseline, the decision threshold, both strands, split checks, size defaults, curves, the loss note."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from support import random_seqs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dnabert_demo.synthetic import make_planted_dataset
from dnabert.training.baseline import fit_baseline, folder_notes, kmer_frequencies, lost_to_baseline_note
from dnabert.loading.checkpoint import load_model
from dnabert.training.datachecks import check_split, shared_sequences
from dnabert.errors import InputError
from dnabert.training.finetune import FinetuneSettings, finetune, with_size_defaults
from dnabert.analysis.inference import predict
from dnabert.training.metrics import classification_metrics
from dnabert.outputs import prediction_table
from dnabert.sequences import reverse_complement
from dnabert.analysis.strands import predict_probs, rc_augment
from dnabert.training.tables import LabeledData
from dnabert.training.threshold import best_threshold, model_threshold, predicted_classes
from dnabert.training.policy import MODEL_PRESETS, ModelShape

TINY = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)


def direct_features(seqs, k):
    """Canonical k-mer frequencies of both strands, by string counting (independent of dnabert.training.baseline)."""
    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    canon = sorted({min(m, reverse_complement(m)) for m in kmers})
    col = {m: canon.index(min(m, reverse_complement(m))) for m in kmers}
    x = np.zeros((len(seqs), len(canon)))
    for i, s in enumerate(seqs):
        for strand in (s, reverse_complement(s)):
            for j in range(len(s) - k + 1):
                if strand[j : j + k] in col:
                    x[i, col[strand[j : j + k]]] += 1
    return x / np.maximum(x.sum(axis=1, keepdims=True), 1)


def labeled(data, name):
    return LabeledData(list(data.seqs), ["neg" if y == 0 else "pos" for y in data.labels], list(data.ids), name)


@pytest.fixture(scope="module")
def planted():
    """Planted CTCF sites over a human-like background: k-mer composition separates the classes well."""
    train = make_planted_dataset(150, 150, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=1)
    dev = make_planted_dataset(50, 50, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=2)
    test = make_planted_dataset(50, 50, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=3)
    return train, dev, test


def test_kmer_features_match_string_counting():
    seqs = random_seqs(20, 8, 40, seed=3) + ["ACGTNNACGTAC", "NNN"]
    for k in (2, 3, 4):
        np.testing.assert_allclose(kmer_frequencies(seqs, k), direct_features(seqs, k), atol=1e-12)


def test_baseline_equals_a_direct_sklearn_pipeline(planted):
    train, dev, test = planted
    base = fit_baseline(train.seqs, train.labels, dev.seqs, dev.labels, ks=(3, 4), seed=0)
    direct = {}
    for k in (3, 4):
        pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=0))
        pipe.fit(direct_features(train.seqs, k), train.labels)
        direct[k] = pipe
        dev_auroc = roc_auc_score(dev.labels, pipe.predict_proba(direct_features(dev.seqs, k))[:, 1])
        assert base.selection[k] == pytest.approx(dev_auroc, abs=1e-9)
    best = max(direct, key=lambda k: base.selection[k])
    assert base.k == best
    np.testing.assert_allclose(
        base.predict_proba(test.seqs), direct[best].predict_proba(direct_features(test.seqs, best)), atol=1e-6
    )


def test_threshold_maximises_mcc_over_all_cut_points():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.round(np.clip(0.25 + 0.2 * y + rng.normal(0, 0.15, 300), 0, 1), 2)  # ties, far from 0.5
    t = best_threshold(y, p)
    brute = max(matthews_corrcoef(y, (p >= c).astype(int)) for c in np.unique(p))
    assert matthews_corrcoef(y, (p >= t).astype(int)) == pytest.approx(brute)
    assert brute > matthews_corrcoef(y, (p >= 0.5).astype(int)) + 0.1  # the case the threshold is for
    probs = np.stack([1 - p, p], axis=1)
    assert (predicted_classes(probs, t) == (p >= t)).all() and (predicted_classes(probs) == probs.argmax(1)).all()
    m = classification_metrics(y, probs, t)
    assert m["mcc"] == pytest.approx(brute) and m["auroc"] == pytest.approx(roc_auc_score(y, p))
    table = prediction_table([f"s{i}" for i in range(300)], ["ACGTAC"] * 300, probs, ["a", "b"], [["a", "b"][i] for i in predicted_classes(probs, t)])
    assert (table["predicted"] == np.where(p >= t, "b", "a")).all()
    assert best_threshold(np.ones(5, int), np.linspace(0, 1, 5)) == 0.5  # one class: nothing to choose


def test_rc_average_is_the_mean_of_two_predict_calls(tiny_model_dir):
    lm = load_model(tiny_model_dir)
    seqs = random_seqs(7, 10, 60, seed=5)
    both = predict_probs(lm, seqs, batch_size=4, rc_average=True)
    plus = predict(lm, seqs, attention=None).probs
    minus = predict(lm, [reverse_complement(s) for s in seqs], attention=None).probs
    np.testing.assert_allclose(both, (plus + minus) / 2, atol=1e-6)
    assert not np.allclose(plus, minus)  # a random model is not strand-symmetric, so the average is not a no-op
    np.testing.assert_allclose(predict_probs(lm, seqs), plus, atol=1e-6)


def test_rc_augment_doubles_with_reverse_complements():
    data = LabeledData(["AACG", "GGTA"], ["x", "y"], ["a", "b"], "t")
    aug = rc_augment(data)
    assert aug.seqs == ["AACG", "GGTA", "CGTT", "TACC"] and aug.labels == ["x", "y", "x", "y"] and aug.ids[2] == "a_rc"


def test_split_checks_count_shared_sequences_and_refuse_a_one_class_dev():
    train = LabeledData(["AACCGG", "ACGTTT", "GGGAAC", "TTTCCC"], ["a", "b", "a", "b"], ["1", "2", "3", "4"], "train")
    other = ["AACCGG", reverse_complement("GGGAAC"), "CATCAT"]  # one exact, one reverse complement, one new
    assert shared_sequences(train.seqs, other) == (1, 1)
    dev = LabeledData(other, ["a", "b", "a"], ["d1", "d2", "d3"], "dev")
    notes = check_split(train, dev, None)
    assert any("1 row(s) also in train and 1 more whose reverse complement" in n for n in notes)
    with pytest.raises(InputError, match="every dev row has the label 'a'"):
        check_split(train, LabeledData(other, ["a"] * 3, ["d1", "d2", "d3"], "dev"), None)


def test_size_defaults():
    from transformers import BertForSequenceClassification

    from dnabert.training.schedules import n_parameters

    for preset, lr in (("tiny", 1e-3), ("small", 3e-4), ("base", 5e-5)):
        n = n_parameters(BertForSequenceClassification(MODEL_PRESETS[preset].config(6, num_labels=2)))
        assert with_size_defaults(FinetuneSettings(), n).learning_rate == lr
    given = with_size_defaults(FinetuneSettings(learning_rate=2e-5, epochs=1), 10**6)
    assert (given.learning_rate, given.epochs, given.warmup) == (2e-5, 1, 0.05)


def test_loss_note_compares_with_the_baseline():
    rec = {"dev": {"auroc": 0.9}, "test": {"auroc": 0.7}, "baseline": {"k": 4, "dev": {"auroc": 0.8}, "test": {"auroc": 0.8}}}
    assert "test AUROC 0.700 vs 0.800" in lost_to_baseline_note(rec)
    rec["test"]["auroc"] = 0.81
    assert lost_to_baseline_note(rec) is None
    assert lost_to_baseline_note({"dev": {"auroc": 0.5}}) is None  # no baseline recorded


@pytest.fixture(scope="module")
def lost_run(planted, tmp_path_factory):
    """A model that cannot learn (learning rate 0: its random initialisation) on data k-mers separate."""
    train, dev, test = planted
    out = tmp_path_factory.mktemp("lost") / "m"
    settings = FinetuneSettings(epochs=1, learning_rate=1e-12, threads=1, device="cpu", log_every=1)
    res = finetune(
        labeled(train, "train"), out, dev=labeled(dev, "dev"), test=labeled(test, "test"), k=4, shape=TINY, settings=settings
    )
    return res, out, planted


def test_model_that_loses_gets_the_note_everywhere(lost_run):
    _, out, (train, _, test) = lost_run
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["beats_baseline"] is False and rec["verdict"] in ("no better", "worse")
    assert rec["baseline"]["test"]["auroc"] > 0.75 > rec["test"]["auroc"]
    note = lost_to_baseline_note(rec)
    assert note in rec["notes"] and folder_notes(out) == [note] and "than the k-mer baseline on the test split" in note and "95% CI" in note
    # the recorded baseline is the direct pipeline at the k chosen on dev
    k = rec["baseline"]["k"]
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=42))
    pipe.fit(direct_features(train.seqs, k), train.labels)
    assert rec["baseline"]["test"]["auroc"] == pytest.approx(
        roc_auc_score(test.labels, pipe.predict_proba(direct_features(test.seqs, k))[:, 1]), abs=1e-6
    )
    assert rec["baseline"]["auroc_by_k"][str(k)] == max(rec["baseline"]["auroc_by_k"].values())


def test_threshold_saved_used_and_reported(lost_run):
    _, out, (_, dev, test) = lost_run
    rec = json.loads((out / "metrics.json").read_text())
    lm = load_model(out)
    t = model_threshold(lm.model.config)
    probs = predict(lm, dev.seqs, attention=None).probs
    assert t == rec["decision_threshold"] == pytest.approx(best_threshold(dev.labels, probs[:, 1]), abs=1e-6)
    test_probs = predict(lm, test.seqs, attention=None).probs
    assert rec["test"]["mcc"] == pytest.approx(matthews_corrcoef(test.labels, (test_probs[:, 1] >= t).astype(int)), abs=1e-6)
    assert rec["at_0.5"]["test"]["mcc"] == pytest.approx(matthews_corrcoef(test.labels, test_probs.argmax(1)), abs=1e-6)


def test_curves_follow_the_trainer_log(lost_run):
    res, out, _ = lost_run
    curves = pd.read_csv(out / "curves.tsv", sep="\t")
    evals = [h for h in res.history if "eval_auroc" in h]
    dev = curves[curves["split"] == "dev"]
    assert len(dev) == len(evals) and np.allclose(dev["auroc"], [h["eval_auroc"] for h in evals], atol=1e-6)
    train_rows = curves[curves["split"] == "train"]
    assert len(train_rows) == sum("loss" in h for h in res.history) > 0


def test_baseline_without_rows_to_choose_k_on():
    base = fit_baseline(["ACGTACGTAA", "TTGACCATGA"], np.array([0, 1]))
    assert base.k == 4 and base.selection == {} and base.predict_proba(["ACGTACGTAA"]).shape == (1, 2)
