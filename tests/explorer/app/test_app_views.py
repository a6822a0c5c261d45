"""AppTests of the Embedding map's selection (it narrows Landscape, Motifs and Predict), its embeddings (from the
prediction pass, against a direct forward pass) and the Scan page (against dnabert.analysis.scan and a per-base mean by hand)."""

import io

import numpy as np
import pandas as pd
import plotly.io as pio
import pyBigWig
import pytest

from support import APP_SCRIPT
import torch
from support import make_tiny_model, random_seqs
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.analysis.embeddings import embed
from dnabert.analysis.inference import Prediction, predict, predict_modes
from dnabert.families.kmer import encode_batch
from dnabert.analysis.scan import check_scan, default_window, scan_probs, scan_starts, scan_table
from dnabert.sequences import read_sequences
from explorer.state import MAP_SELECTION, content_hash

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")


def example() -> AppTest:
    at = AppTest.from_file(APP_SCRIPT, default_timeout=180).run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    return at


def predictions(at: AppTest) -> list[Prediction]:
    """The prediction passes cached in the session."""
    return [p for v in at.session_state["_results"].values() if isinstance(v, dict) for p in v.values()]


def test_embedding_map_reads_the_prediction_pass_and_equals_a_direct_forward():
    at = example()
    at.switch_page("../pages/predict.py").run()
    (pred,) = predictions(at)
    at.switch_page("../pages/embedding.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert predictions(at) == [pred]  # no second pass: the map read the Predict page's
    lm = load_model("demo")
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    for pooling in ("cls", "mean"):
        np.testing.assert_allclose(pred.embeddings[pooling], embed(lm, pos.seqs, pooling), atol=1e-5)
    # independent: Hugging Face's own last hidden state, one sequence at a time (no padding, no batching)
    for i in (0, 57, 199):
        ids, mask = lm.tokenizer.batch([lm.tokenizer.tokenize(pos.seqs[i])[0]])
        with torch.inference_mode():
            out = lm.model(input_ids=torch.as_tensor(ids), attention_mask=torch.as_tensor(mask), output_hidden_states=True)
        hidden = out.hidden_states[-1][0].numpy()  # (T, H): [CLS], k-mers, [SEP]
        np.testing.assert_allclose(pred.embeddings["cls"][i], hidden[0], atol=1e-4)
        np.testing.assert_allclose(pred.embeddings["mean"][i], hidden[1:-1].mean(axis=0), atol=1e-4)


def test_prediction_pass_embeddings_of_long_sequences_are_the_mean_over_windows(tmp_path):
    """Library: with or without attention, the pass's embeddings equal Hugging Face's last hidden state of each window
    on its own, [CLS] and mean over the k-mers, averaged over the windows."""
    lm = load_model(make_tiny_model(tmp_path / "w", k=3, max_position_embeddings=34))  # 32 k-mers per window
    seqs = random_seqs(5, 20, 150, seed=7)
    passes = [predict_modes(lm, seqs, modes, batch_size=3, embeddings=True) for modes in ((), ("last", "rollout"))]
    for i, seq in enumerate(seqs):
        n = len(seq) - 2
        starts = [0] if n <= 32 else np.round(np.linspace(0, n - 32, -(-n // 32))).astype(int)
        cls, mean = [], []
        for s in starts:
            ids, mask = encode_batch([seq[s : s + 34]], 3, 36)
            with torch.inference_mode():
                out = lm.model(input_ids=torch.as_tensor(ids), attention_mask=torch.as_tensor(mask), output_hidden_states=True)
            hidden, length = out.hidden_states[-1][0].numpy(), int(mask[0].sum())
            cls.append(hidden[0])
            mean.append(hidden[1 : length - 1].mean(axis=0))  # the k-mers: not [CLS], [SEP] or padding
        for pred in (passes[0][None], passes[1]["last"], passes[1]["rollout"]):
            np.testing.assert_allclose(pred.embeddings["cls"][i], np.mean(cls, axis=0), atol=1e-5)
            np.testing.assert_allclose(pred.embeddings["mean"][i], np.mean(mean, axis=0), atol=1e-5)
    assert max(len(w) for w in passes[0][None].windows) > 1
    assert predict_modes(lm, seqs[:1], ())[None].embeddings is None  # only when asked


def select(at: AppTest, rows: list[int]) -> None:
    """What the map's selection callback stores (the callback itself runs in the browser test)."""
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    key = content_hash("selection", "demo", pos.ids, pos.seqs, None)
    at.session_state[MAP_SELECTION] = (key, np.array(rows))


def test_a_selection_on_the_map_narrows_landscape_motifs_and_predict():
    at = example()
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    rows = [3, 10, 11, 42, 97, 150, 151, 199]
    select(at, rows)
    banner = f"Showing {len(rows)} of 200 sequences selected on the Embedding map."
    at.switch_page("../pages/predict.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.info[0].value == banner
    table = at.dataframe[0].value
    assert list(table["id"]) == [pos.ids[i] for i in rows]
    direct = predict(load_model("demo"), [pos.seqs[i] for i in rows], attention=None).probs
    np.testing.assert_allclose(table["p_positive"], direct[:, 1], rtol=1e-4, atol=1e-6)

    at.switch_page("../pages/landscape.py").run()
    assert not at.exception and not at.error
    assert at.info[0].value == banner
    fig = pio.from_json(at.get("plotly_chart")[0].proto.spec)
    (heatmap,) = [t for t in fig.data if t.type == "heatmap"]
    shown_ids = sorted(label.split(" ")[1].rstrip(",") for label in heatmap.y)  # "#rank id, p = ..., class"
    assert shown_ids == sorted(pos.ids[i] for i in rows)

    at.switch_page("../pages/motifs.py").run()
    assert at.info[0].value == banner
    assert at.caption[0].value.startswith(f"{len(rows)} sequences (positives) against {len(rows)} dinucleotide-shuffled")

    at.button(key="clear_map_selection").click().run()
    assert MAP_SELECTION not in at.session_state
    assert at.caption[0].value.startswith("200 sequences (positives)")


def test_a_selection_is_dropped_when_the_data_or_the_model_changes(tmp_path, monkeypatch):
    make_tiny_model(tmp_path / "tiny", k=4, seed=2)
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path))
    at = example()
    select(at, [1, 2, 3])
    at.switch_page("../pages/predict.py").run()
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key="model_name").set_value(f"{tmp_path.name}/tiny").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not at.info and len(at.dataframe[0].value) == 200 and MAP_SELECTION not in at.session_state
    at.selectbox(key="model_name").set_value("demo").run()
    select(at, [1, 2, 3])
    at.run()
    assert len(at.dataframe[0].value) == 3
    at.switch_page("../pages/home.py").run()
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(">a\n" + "ACGT" * 20 + "\n>b\n" + "TTGCA" * 16 + "\n")
    at.button[0].click().run()
    at.switch_page("../pages/predict.py").run()
    assert not at.info and len(at.dataframe[0].value) == 2 and MAP_SELECTION not in at.session_state


def per_base_mean(length: int, starts, ends, values) -> np.ndarray:
    """By hand: each base gets the mean of the windows covering it."""
    out = np.empty(length)
    for b in range(length):
        cover = [v for s, e, v in zip(starts, ends, values) if s <= b < e]
        out[b] = np.mean(cover)
    return out


def test_scan_page_matches_dnabert_scan_and_writes_tracks(tmp_path):
    rng = np.random.default_rng(5)
    seq = "".join(rng.choice(list("ACGT"), 730))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=180).run()
    at.switch_page("../pages/scan.py").run()
    assert not at.exception and not at.error
    at.text_area(key="scan_text").input(f">chr2:5000-5730\n{seq}\n").run()
    assert "press **Scan**" in at.info[0].value
    at.number_input(key="scan_window").set_value(120)
    at.number_input(key="scan_stride").set_value(50)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = at.dataframe[0].value

    lm = load_model("demo")
    starts = [scan_starts(730, 120, 50)]
    check_scan(lm, ["chr2:5000-5730"], [seq], starts, 120)
    expected = scan_table(["chr2:5000-5730"], [730], starts, scan_probs(lm, [seq], starts, 120), 120, lm.labels)
    pd.testing.assert_frame_equal(shown[["id", "start", "end"]], expected[["id", "start", "end"]], check_dtype=False)
    np.testing.assert_allclose(shown["p_positive"], expected["p_positive"], rtol=1e-5)
    assert shown["end"].iloc[-1] == 730 and shown["start"].iloc[-1] == 610  # the last window ends at the 3' end
    # each window on its own, through predict (independent of dnabert.analysis.scan)
    direct = predict(lm, [seq[s : s + 120] for s in shown["start"]], attention=None).probs[:, 1]
    np.testing.assert_allclose(shown["p_positive"], direct, rtol=1e-4, atol=1e-6)

    files = at.session_state["scan_files"][1]  # what the download buttons serve
    assert sorted(b.proto.label for b in at.get("download_button")) == sorted(files)
    assert set(files) == {"scan_positive.bedGraph", "scan_positive.bw", "scan.tsv"}
    by_hand = per_base_mean(730, shown["start"], shown["end"], shown["p_positive"])
    graph = pd.read_csv(io.BytesIO(files["scan_positive.bedGraph"]), sep="\t", skiprows=1, header=None)
    assert (graph[0] == "chr2").all() and graph[1].min() == 5000 and graph[2].max() == 5730
    np.testing.assert_allclose(np.repeat(graph[3], graph[2] - graph[1]), by_hand, rtol=1e-5)
    (tmp_path / "s.bw").write_bytes(files["scan_positive.bw"])
    bw = pyBigWig.open(str(tmp_path / "s.bw"))
    assert bw.chroms() == {"chr2": 5730}
    np.testing.assert_allclose(bw.values("chr2", 5000, 5730), by_hand, rtol=1e-5)
    bw.close()


def test_scan_page_on_a_loaded_sequence_and_a_window_too_long():
    at = example()
    at.switch_page("../pages/scan.py").run()
    assert (at.number_input(key="scan_window").value, at.number_input(key="scan_stride").value) == default_window(100)
    at.button[0].click().run()  # defaults for a 100 bp sequence: 50 bp windows every 10 bp
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert table["start"].tolist() == [0, 10, 20, 30, 40, 50] and (table["end"] - table["start"] == 50).all()
    assert {b.proto.label for b in at.get("download_button")} == {"scan_positive.bedGraph", "scan.tsv"}  # no coordinates
    at.number_input(key="scan_window").set_value(600)
    at.button[0].click().run()
    assert "window 600 gives more k-mers than the model window (510); use at most 515" in at.error[0].value
    assert not at.exception


def test_default_scan_window_gives_several_windows():
    assert default_window(100) == (50, 10) and default_window(5000) == (300, 50)
    for length in (24, 37, 100, 299, 499, 500, 730):
        window, stride = default_window(length)
        assert 1 <= window <= length and len(scan_starts(length, window, stride)) >= 5
