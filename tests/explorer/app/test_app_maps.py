"""AppTests of the Embedding map and Compare models pages, checked against direct library calls."""

import base64

import numpy as np
import plotly.io as pio
import pytest

from support import APP_SCRIPT
from support import make_tiny_model
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.analysis.embeddings import embed, project
from dnabert.analysis.inference import predict
from dnabert.sequences import read_sequences

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")


def example(at: AppTest) -> AppTest:
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    return at


def chart(at: AppTest, index: int = 0):
    return pio.from_json(at.get("plotly_chart")[index].proto.spec)


def values(v) -> np.ndarray:
    """A plotly array as numpy (plotly sends numeric arrays as base64 typed arrays)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def test_embedding_page_map_equals_the_library():
    at = example(AppTest.from_file(APP_SCRIPT, default_timeout=180).run())
    at.switch_page("../pages/embedding.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fig = chart(at)
    assert fig.data[0].name == "P(positive)" and fig.data[0].marker.showscale  # positives only: coloured by probability
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    xy, _ = project(embed(load_model("demo"), pos.seqs, "cls"), "pca")
    shown = np.column_stack([values(fig.data[0].x), values(fig.data[0].y)])
    np.testing.assert_allclose(shown, xy, rtol=1e-4, atol=1e-4)
    at.radio(key="embed_pooling").set_value("mean").run()
    at.selectbox(key="embed_colour").set_value("set").run()
    assert not at.exception and not at.error
    assert {t.name for t in chart(at).data} == {"positive"}  # the example negatives are not loaded


def test_compare_page_against_a_second_model(tmp_path, monkeypatch):
    make_tiny_model(tmp_path / "tiny", k=4, seed=2)
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path))
    at = example(AppTest.from_file(APP_SCRIPT, default_timeout=180).run())
    at.switch_page("../pages/compare.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="compare_model").value == f"{tmp_path.name}/tiny"
    table = at.dataframe[0].value
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    direct_b = predict(load_model(tmp_path / "tiny"), pos.seqs).probs[:, 1]
    np.testing.assert_allclose(table["p_B"], direct_b, rtol=1e-4, atol=1e-6)
    direct_a = predict(load_model("demo"), pos.seqs, attention=None).probs[:, 1]
    np.testing.assert_allclose(table["p_A"], direct_a, rtol=1e-4, atol=1e-6)
    assert table["pearson"].between(-1, 1).all()
