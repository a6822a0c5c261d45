"""Issue 24: one predicted-class rule (the stored threshold, else argmax) on every page and in every command,
checked on a model whose stored threshold 0.3 disagrees with argmax; class names survive fine-tuning."""

import base64
import json

import numpy as np
import pandas as pd
import pytest

from support import APP_SCRIPT
from support import make_tiny_model
from streamlit.testing.v1 import AppTest

from dnabert_demo.synthetic import write_fasta
from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.analysis.inference import predict
from dnabert.sequences import read_sequences
from dnabert.training.tables import LabeledData
from explorer.cli import main

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")
THRESHOLD = 0.3


@pytest.fixture(scope="module")
def threshold_model(tmp_path_factory):
    """A tiny two-class model with decision_threshold 0.3 whose P(class1) straddles 0.3 on the example sequences
    (its head's bias is shifted so the median is 0.3) and stays below 0.5: argmax calls every sequence class0."""
    root = tmp_path_factory.mktemp("rule")
    folder = make_tiny_model(root / "t03", k=6, seed=3)
    seqs = read_sequences(DEMO_MODEL_DIR / "example_positives.fa").seqs
    lm = load_model(folder)
    logits = np.log(predict(lm, seqs, attention=None).probs)
    shift = np.log(THRESHOLD / (1 - THRESHOLD)) - np.median(logits[:, 1] - logits[:, 0])
    state = {k: v.clone() for k, v in lm.model.state_dict().items()}
    state["classifier.bias"][1] += float(shift)
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in state.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "decision_threshold": THRESHOLD}))
    p1 = predict(load_model(folder), seqs, attention=None).probs[:, 1]
    assert (p1 < 0.5).all() and 0.2 < np.mean(p1 >= THRESHOLD) < 0.8  # the rule matters for these sequences
    return root, folder, seqs, np.where(p1 >= THRESHOLD, "class1", "class0")


def app(root, monkeypatch) -> AppTest:
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(root))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=180).run()
    at.selectbox(key="model_name").set_value(f"{root.name}/t03").run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    return at


def test_every_page_uses_the_stored_threshold(threshold_model, monkeypatch):
    root, folder, seqs, expected = threshold_model
    at = app(root, monkeypatch)
    at.switch_page("../pages/predict.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert list(at.dataframe[0].value["predicted"]) == list(expected)
    assert any("0.300" in c.value for c in at.caption)  # the rule is named
    at.switch_page("../pages/landscape.py").run()
    assert not at.exception and not at.error
    import plotly.io as pio

    heat = next(t for t in pio.from_json(at.get("plotly_chart")[0].proto.spec).data if t.type == "heatmap")
    ids = read_sequences(DEMO_MODEL_DIR / "example_positives.fa").ids
    shown = {label.split()[1].rstrip(","): label.rsplit(", ", 1)[1] for label in heat.y}  # "#r id, p = x, class"
    assert shown == dict(zip(ids, expected))
    at.switch_page("../pages/embedding.py").run()
    at.selectbox(key="embed_colour").set_value("predicted class").run()
    assert not at.exception and not at.error
    fig = pio.from_json(at.get("plotly_chart")[0].proto.spec)
    by_trace = {t.name: len(t.x) if not isinstance(t.x, dict) else len(base64.b64decode(t.x["bdata"])) // np.dtype(t.x["dtype"]).itemsize
                for t in fig.data}
    assert by_trace == {c: int(n) for c, n in zip(*np.unique(expected, return_counts=True))}
    (root / "copy").mkdir()
    for f in folder.iterdir():
        (root / "copy" / f.name).write_bytes(f.read_bytes())
    at.switch_page("../pages/compare.py").run()
    at.selectbox(key="compare_model").set_value(f"{root.name}/copy").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["predicted_A"]) == list(table["predicted_B"]) == list(expected)
    assert any("0.300" in str(m.help) for m in at.metric)  # each model's own rule, named


def test_commands_use_the_stored_threshold(threshold_model, tmp_path):
    _, folder, seqs, expected = threshold_model
    fa = tmp_path / "in.fa"
    write_fasta(fa, [f"s{i}" for i in range(len(seqs))], seqs)
    assert main(["predict", "--model", str(folder), "--input", str(fa), "--out", str(tmp_path / "p.tsv")]) == 0
    assert list(pd.read_csv(tmp_path / "p.tsv", sep="\t")["predicted"]) == list(expected)
    assert main(["embed", "--model", str(folder), "--input", str(fa), "--out", str(tmp_path / "e.tsv")]) == 0
    assert list(pd.read_csv(tmp_path / "e.tsv", sep="\t")["predicted"]) == list(expected)
    assert main(["compare", "--model", str(folder), "--compare", str(folder), "--input", str(fa),
                 "--out", str(tmp_path / "c.tsv")]) == 0  # fmt: skip
    table = pd.read_csv(tmp_path / "c.tsv", sep="\t")
    assert list(table["A_predicted"]) == list(table["B_predicted"]) == list(expected)


def test_class_names_survive_fine_tuning(tmp_path):
    """Labels 0 / 1 on a start model named negative / positive (the demo) keep the names."""
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    neg = read_sequences(DEMO_MODEL_DIR / "example_negatives.fa")
    train = LabeledData(pos.seqs[:30] + neg.seqs[:30], ["1"] * 30 + ["0"] * 30, [f"r{i}" for i in range(60)], "t.tsv")
    res = finetune(train, tmp_path / "m", model="demo", settings=FinetuneSettings(epochs=1, threads=1, device="cpu"))
    assert res.labels == load_model(tmp_path / "m").labels == ["negative", "positive"]
    rec = res.record
    assert any("read as the start model's classes negative, positive" in n for n in rec["notes"])
    assert "planted" in rec["trained_on"] and "started from demo" in rec["trained_on"]
    # the start model's own scores on the same test split are recorded (the gain)
    assert set(rec["start_model"]) >= {"test"} and 0 <= rec["start_model"]["test"]["auroc"] <= 1
    # hashes of the training sequences: the fine-tuned model knows its training rows
    from dnabert.training.provenance import count_in_training

    assert rec["n_train"] == 48 and rec["n_dev"] == rec["n_test"] == 6  # 10% dev and 10% test held out
    assert count_in_training(tmp_path / "m", train.seqs) == 48  # the training rows, not the held-out ones
    assert count_in_training(tmp_path / "m", neg.seqs[30:40]) == 0
