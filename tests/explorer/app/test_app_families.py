"""Every app page on tiny DNABERT-2 and NT v2 checkpoints picked in the sidebar (and a hub id from DNABERT_MODEL_IDS)."""

import numpy as np
import pytest

from support import APP_SCRIPT
from family_fixtures import make_dnabert2, make_nt_v2, put_in_hub_cache
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.analysis.inference import attention_matrices, predict
from dnabert.loading.model_info import describe
from dnabert.sequences import read_sequences

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")
PAGES = ["predict", "attention", "landscape", "motifs", "known_motifs", "tracks", "embedding", "compare", "variants", "models"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    make_dnabert2(root / "d2", alibi_starting_size=40)  # 38 tokens per window: the 100-bp examples need two or more
    make_nt_v2(root / "nt2")
    return root


def start(monkeypatch, model_dir, name: str) -> AppTest:
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(model_dir))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=300).run()
    at.selectbox(key="model_name").set_value(f"{model_dir.name}/{name}").run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def ok(at: AppTest, where: str) -> None:
    assert not at.exception, (where, at.exception)
    assert not at.error, (where, [e.value for e in at.error])


@pytest.mark.parametrize("name, family", [("d2", "DNABERT-2"), ("nt2", "NT v2")])
def test_every_page_runs_and_shows_what_the_model_sees(name, family, model_dir, monkeypatch):
    at = start(monkeypatch, model_dir, name)
    lm = load_model(model_dir / name)
    assert any(describe(lm) in c.value for c in at.sidebar.caption)
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")

    at.switch_page("../pages/predict.py").run()
    ok(at, "predict")
    table = at.dataframe[0].value.set_index("id").loc[pos.ids]
    np.testing.assert_allclose(table[["p_neg", "p_pos"]].to_numpy(), predict(lm, pos.seqs, attention=None).probs, rtol=1e-4)

    at.switch_page("../pages/attention.py").run()
    ok(at, "attention")
    first = pos.seqs[0]
    options = at.selectbox(key="heads_query").options
    tokens = attention_matrices(lm, first[: int(lm.tokenizer.tokenize(first)[1][: lm.window][-1, 1])])[0]
    spans = lm.tokenizer.tokenize(first)[1]
    assert options[0] == f"0: {tokens[0]}" and options[1] == f"1: {tokens[1]} (bp 0)"  # [CLS], then the first piece / 6-mer
    assert options[2] == f"2: {tokens[2]} (bp {spans[1, 0]})"
    if len(spans) > lm.window:  # the heads window can start at any token
        at.select_slider(key="heads_start").set_value(int(spans[3, 0])).run()
        ok(at, "heads window")
        assert at.selectbox(key="heads_query").options[1].endswith(f"(bp {spans[3, 0]})")
    at.button(key="attribution_run").click().run()
    ok(at, "attribution")

    for page in ["landscape", "tracks", "embedding"]:
        at.switch_page(f"../pages/{page}.py").run()
        ok(at, page)

    at.switch_page("../pages/motifs.py").run()
    at.selectbox(key="motif_database").set_value("none")
    at.button[0].click().run()
    ok(at, "motifs")

    at.switch_page("../pages/compare.py").run()
    ok(at, "compare")
    other = at.selectbox(key="compare_model").value
    assert other != f"{model_dir.name}/{name}"

    at.switch_page("../pages/variants.py").run()
    at.button(key="variants_map_run").click().run()
    ok(at, "variants map")
    assert at.session_state["variants_map"].diff.shape == (len(first), 4)
    at.file_uploader(key="variants_file").upload("v.tsv", f"{pos.ids[0]}\t10\t10\tAAA\n{pos.ids[0]}\t20\t22\t-\n".encode()).run()
    at.button(key="variants_list_run").click().run()
    ok(at, "variants list")
    assert len(at.session_state["variants_table"]) == 2


def test_known_motifs_and_models_pages_on_dnabert2(model_dir, monkeypatch, tmp_path):
    at = start(monkeypatch, model_dir, "d2")
    at.switch_page("../pages/known_motifs.py").run()
    at.button[0].click().run()
    ok(at, "known motifs")
    assert len(at.dataframe[0].value) > 0

    from dnabert_demo.synthetic import make_planted_dataset

    data = make_planted_dataset(12, 12, length=60, seed=1)
    tsv = "sequence\tlabel\n" + "".join(f"{s}\t{'pos' if y else 'neg'}\n" for s, y in zip(data.seqs, data.labels))
    at.switch_page("../pages/models.py").run()
    at.file_uploader(key="models_train").upload("train.tsv", tsv.encode()).run()
    at.number_input(key="models_epochs").set_value(1)
    at.text_input(key="models_name").input("d2_tuned")
    at.button(key="models_start").click().run()
    ok(at, "models")
    tuned = load_model(model_dir / "d2_tuned")
    assert tuned.family == "DNABERT-2" and tuned.labels == ["neg", "pos"]


def test_the_picker_offers_configured_hub_ids(model_dir, monkeypatch, tmp_path):
    cache = tmp_path / "hub"
    put_in_hub_cache(cache, "zhihan1996/DNABERT-2-117M", model_dir / "d2")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("DNABERT_MODEL_IDS", "zhihan1996/DNABERT-2-117M, nobody/not-cached")
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path / "none"))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=300).run()
    assert at.selectbox(key="model_name").options == ["demo", "zhihan1996/DNABERT-2-117M", "nobody/not-cached"]
    at.selectbox(key="model_name").set_value("zhihan1996/DNABERT-2-117M").run()
    ok(at, "hub id")
    assert any("DNABERT-2 · BPE" in c.value for c in at.sidebar.caption)
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    at.switch_page("../pages/predict.py").run()
    ok(at, "predict by id")
    assert "--model zhihan1996/DNABERT-2-117M" in at.code[-1].value
    at.selectbox(key="model_name").set_value("nobody/not-cached").run()
    assert any("model id 'nobody/not-cached'" in e.value and str(cache) not in e.value for e in at.error)
