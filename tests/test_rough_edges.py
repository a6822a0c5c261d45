"""Rough edges a new user hit (issue 15): the DNABERT table format everywhere, the model picker after fine-tuning,
the context plot's defaults, named motif matches, tests that leave the checkout alone, and cosmetics."""

import subprocess

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from motif_fixtures import make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: a session fixture)
from streamlit.testing.v1 import AppTest
from support import app, kmer_sentence

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.errors import InputError
from dnabert.sequences import parse_sequences, read_sequences

needs_demo = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

RAW = ["ACGTTGCAAGGCTTACGATCGATCGG", "TTGACCGGTACGTACGATCGATCGAC", "GGGCCCGGGTACGTAGCTAGCTAGCT"]


def dnabert_table(labels=("1", "0", "1")) -> str:
    """The original DNABERT dev.tsv layout: header, then a k-mer sentence (or raw DNA) and a label per line."""
    rows = [kmer_sentence(RAW[0], 6), RAW[1], kmer_sentence(RAW[2], 6)]
    return "sequence\tlabel\n" + "".join(f"{r}\t{lab}\n" for r, lab in zip(rows, labels))



def figure(at: AppTest, key: str):
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id]
    return pio.from_json(chart.proto.spec)


# 1. the original DNABERT format wherever sequences are read


def test_dnabert_table_is_read_as_sequences_with_labels(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text(dnabert_table())
    for data in (parse_sequences(dnabert_table(), "dev.tsv"), read_sequences(path)):
        assert data.seqs == RAW  # the k-mer sentences are turned back into the sequences they were cut from
        assert data.labels == ["1", "0", "1"]
        assert any("labelled table" in n for n in data.notes)


def test_cli_reads_a_dnabert_table(tiny_model_dir, tmp_path, capsys):
    from explorer.cli import main

    table, out = tmp_path / "dev.tsv", tmp_path / "preds.tsv"
    table.write_text(dnabert_table())
    assert main(["predict", "--model", str(tiny_model_dir), "--input", str(table), "--out", str(out)]) == 0
    preds = pd.read_csv(out, sep="\t")
    assert preds["id"].tolist() == ["row1", "row2", "row3"] and preds["length"].tolist() == [len(s) for s in RAW]
    assert "labelled table" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["ACGTACGTAC\t1\nACGTTTGACA\t0\n", "seq,label\nACGTACGTAC,1\n"])
def test_table_where_fasta_was_expected_names_the_format(text):
    with pytest.raises(InputError, match="line 1 has tab- or comma-separated fields.*original DNABERT format"):
        parse_sequences(text, "x.tsv")


@needs_demo
def test_data_page_splits_table_labels_into_positives_and_negatives():
    at = app().run()
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(dnabert_table())
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    pos, neg = at.session_state["positives"], at.session_state["negatives"]
    assert pos.seqs == [RAW[0], RAW[2]] and neg.seqs == [RAW[1]]
    assert at.radio(key="neg_source").value == "Labels of the table"
    at.run()  # a later run keeps the table's negatives
    assert at.session_state["negatives"].seqs == [RAW[1]]
    assert at.metric[0].value == "2" and at.metric[4].value == "1"
    at.text_area(key="positives_text").input(">a\n" + RAW[0] + "\n")  # plain sequences: the table's negatives go
    at.button[0].click().run()
    assert "negatives" not in at.session_state and at.radio(key="neg_source").value == "Shuffled sequences"


@needs_demo
def test_failed_load_keeps_the_sequences_already_loaded():
    at = app().run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    before = at.session_state["positives"].seqs
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(">a\nACGTXX\n")
    at.button[0].click().run()
    assert any("character 'X'" in e.value for e in at.error)
    assert at.session_state["positives"].seqs == before
    assert at.metric[0].value == str(len(before))


# 2. the model picker after fine-tuning


@needs_demo
def test_fine_tuned_model_is_in_the_sidebar_at_once_and_cancel_is_gone(tmp_path, monkeypatch):
    from dnabert_demo.synthetic import make_planted_dataset

    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path / "user"))
    data = make_planted_dataset(20, 20, seed=2)
    tsv = "sequence\tlabel\n" + "".join(f"{s}\t{y}\n" for s, y in zip(data.seqs, data.labels))
    at = app().run()
    at.switch_page("../pages/models.py").run()
    at.file_uploader(key="models_train").upload("train.tsv", tsv.encode()).run()
    at.number_input(key="models_epochs").set_value(1)
    at.text_input(key="models_name").input("mine")
    at.button(key="models_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "user/mine" in at.selectbox(key="model_name").options
    assert not [b for b in at.button if b.key == "models_cancel"]
    assert any("Saved user/mine" in s.value for s in at.success)


# 3. the context plot shows something with its defaults


@needs_demo
def test_context_plot_defaults_show_links_on_the_example_data():
    at = app().run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    at.switch_page("../pages/attention.py").run()
    assert not at.exception and not at.error
    query = at.selectbox(key="heads_query").value
    assert query not in (0,)  # not [CLS]: the token the last layer attends to most
    fig = figure(at, "context_chart")
    links = [t for t in fig.data if t.name != "tokens"]
    assert links, "the context plot is empty with its defaults"


def test_most_attended_token_and_relative_threshold_against_direct_sums():
    from viz.heads import context_plot, most_attended_token

    rng = np.random.default_rng(3)
    attn = rng.random((2, 3, 7, 7)) ** 3
    attn /= attn.sum(-1, keepdims=True)
    tokens = ["[CLS]", *"ABCDE", "[SEP]"]
    received = [attn[1, :, :, j].sum() for j in range(7)]
    assert most_attended_token(attn, 1) == 1 + int(np.argmax(received[1:-1]))
    query, share = 2, 0.5
    strongest = max(attn[1, h, query, j] for h in range(3) for j in range(7) if j != query)
    fig = context_plot(tokens, attn, 1, query, threshold=share, relative=True)
    shown = {(int(t.customdata[0][0]), int(t.customdata[0][1])) for t in fig.data if t.name != "tokens"}
    expected = {(h, j) for h in range(3) for j in range(7) if j != query and attn[1, h, query, j] >= share * strongest}
    assert shown == expected and expected


# 4. named top matches in the motif table


@pytest.mark.usefixtures("tomtom_warm")
def test_motif_table_names_the_top_matches():
    from motif.jaspar import load_jaspar
    from motif.output import motif_table
    from motif.pipeline import MotifParams, find_motifs

    data = make_planted(400, 400, motifs=("CTCF", "NRF1"), seed=5)
    result = find_motifs(data.pos, data.scores, data.neg, MotifParams(), load_jaspar())
    assert len(result.motifs) >= 1
    table = motif_table(result).set_index("id")
    for m in result.motifs:
        rows = result.matches[result.matches["motif"] == m.id].sort_values("rank").head(3)
        expected = ", ".join(f"{name} (q {q:.2g})" for name, q in zip(rows["target_name"], rows["q"]))
        assert table.loc[m.id, "top_matches"] == expected
    assert (table["top_matches"].str.count(r"\(q ") >= 2).any()


@needs_demo
def test_motifs_page_shows_the_match_names_first():
    at = load_example_and_open(app().run(), "../pages/motifs.py")
    at.selectbox(key="motif_database").set_value("none")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value.columns[:3].tolist() == ["id", "consensus", "top_matches"]


# 5. tests and fine-tuning leave the checkout alone


def test_screenshots_and_user_models_stay_out_of_git(monkeypatch):
    from browser_support import REPO, screenshot_dir

    from explorer.state import model_dirs

    monkeypatch.delenv("DNABERT_SCREENSHOTS", raising=False)
    assert not screenshot_dir().resolve().is_relative_to(REPO)
    monkeypatch.setenv("DNABERT_SCREENSHOTS", "1")
    assert screenshot_dir() == REPO / "docs" / "screenshots"
    monkeypatch.delenv("DNABERT_MODEL_DIRS", raising=False)
    dirs = model_dirs()
    assert dirs[0] == REPO / "models" / "user" and REPO / "models" in dirs  # fine-tuned models land in the first
    ignored = subprocess.run(["git", "check-ignore", "-q", "models/user/finetuned/config.json"], cwd=REPO)
    assert ignored.returncode == 0, "models/user/ is not git-ignored"


# 6. cosmetics


@needs_demo
def test_data_page_metrics_fit_and_equal_lengths_make_one_labelled_bar():
    at = app().run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    negatives = at.metric[4]
    assert negatives.label == "Shuffled negatives" and negatives.value == "200"  # no "(shuffled)" cut from the value
    fig = figure(at, "length_histogram")
    lengths = [len(s) for s in at.session_state["positives"].seqs]
    assert set(lengths) == {100}
    assert list(fig.layout.xaxis.tickvals) == [100] and fig.data[0].xbins.size == 1
    assert fig.layout.title.text == "all 200 sequences are 100 bp"


def test_length_histogram_bins_hold_whole_lengths():
    from viz.lengths import length_histogram

    lengths = np.array([50, 51, 51, 53, 200, 130, 77])
    fig = length_histogram(lengths, max_bins=40)
    bins = fig.data[0].xbins
    assert bins.size == int(np.ceil((200 - 50 + 1) / 40)) and bins.start == 49.5
    edges = np.arange(bins.start, 200 + bins.size, bins.size)
    assert np.histogram(lengths, edges)[0].sum() == len(lengths)
    assert not any(float(e).is_integer() for e in edges)  # every edge falls between two whole lengths
    small = length_histogram(np.array([99, 100, 102]))
    assert list(small.layout.xaxis.tickvals) == [99, 100, 101, 102]


@needs_demo
def test_command_boxes_wrap_and_database_name_fits():
    at = load_example_and_open(app().run(), "../pages/motifs.py")
    assert all(c.proto.wrap_lines for c in at.code)
    assert max(len(o) for o in at.selectbox(key="motif_database").options) <= 12
    at.switch_page("../pages/models.py").run()
    assert at.code and all(c.proto.wrap_lines for c in at.code)


def load_example_and_open(at: AppTest, page: str) -> AppTest:
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def test_attention_track_legend_stays_clear_of_the_toolbar():
    from viz.tracks import attention_track

    seq = "ACGT" * 25
    fig = attention_track(seq, np.linspace(0, 1, 100), sites=[(10, 20, "CTCF")])
    assert fig.layout.legend.xanchor == "left" and fig.layout.legend.x == 0  # plotly's toolbar sits top right


def test_bertviz_shows_no_second_layer_selector():
    from viz.bertviz_offline import head_view_html

    rng = np.random.default_rng(0)
    attn = rng.random((3, 2, 6, 6))
    html = head_view_html(["[CLS]", "A", "C", "G", "T", "[SEP]"], attn / attn.sum(-1, keepdims=True), layer=2)
    assert "Layer:" not in html and '<select id="layer" hidden></select>' in html


def test_report_counts_do_not_wrap():
    from motif.pipeline import find_motifs
    from motif.report import render_report

    data = make_planted(300, 300, motifs=("CTCF",), seed=4)
    html = render_report(find_motifs(data.pos, data.scores, data.neg))
    assert ".counts { white-space: nowrap; }" in html
    assert html.count("<td class=counts>length ") >= 1
