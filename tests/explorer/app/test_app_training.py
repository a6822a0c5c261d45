"""The Models page's training report and the sidebar note for a model that lost to its k-mer baseline (AppTest)."""

import json

import pytest

from support import APP_SCRIPT
from streamlit.testing.v1 import AppTest

from dnabert_demo.synthetic import make_planted_dataset
from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.training.tables import LabeledData
from dnabert.training.policy import ModelShape

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")


def labeled(data, name):
    return LabeledData(list(data.seqs), [str(y) for y in data.labels], list(data.ids), name)


@pytest.fixture(scope="module")
def lost_model_root(tmp_path_factory):
    """A model folder whose model cannot learn (learning rate 0) on data k-mer counts separate."""
    root = tmp_path_factory.mktemp("models")
    train = make_planted_dataset(120, 120, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=1)
    dev = make_planted_dataset(40, 40, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=2)
    shape = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)
    settings = FinetuneSettings(epochs=2, learning_rate=1e-12, threads=1, device="cpu", log_every=2)
    finetune(labeled(train, "train"), root / "lost", dev=labeled(dev, "dev"), k=4, shape=shape, settings=settings)
    return root


def test_sidebar_and_models_page_say_the_model_lost(lost_model_root, monkeypatch):
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(lost_model_root))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120).run()
    name = next(o for o in at.selectbox(key="model_name").options if o.endswith("/lost"))
    at.selectbox(key="model_name").set_value(name).run()
    assert any("than the k-mer baseline on the test split" in w.value for w in at.sidebar.warning)
    at.switch_page("../pages/models.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("than the k-mer baseline on the test split" in w.value for w in at.main.warning)
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # model vs baseline bars, training curves
    assert "Dev AUROC" in charts[1].proto.spec and "k-mer baseline" in charts[1].proto.spec
    rec = json.loads((lost_model_root / "lost" / "metrics.json").read_text())
    table = at.dataframe[0].value
    assert list(table["model"])[:2] == ["model", f"k-mer baseline (k={rec['baseline']['k']})"]
    assert list(table["auroc"])[:2] == pytest.approx([rec["dev"]["auroc"], rec["baseline"]["dev"]["auroc"]])


def test_demo_model_page_has_no_false_warning():
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120).run()
    at.switch_page("../pages/models.py").run()
    assert not at.exception and not at.error
    assert not any("did not beat" in w.value for w in at.warning)
