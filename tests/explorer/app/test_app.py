"""Every app page through Streamlit's AppTest (fast, no browser)."""

import gzip
import io
import shlex
import shutil

import pandas as pd
import pytest

from support import app, load_example, paste

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from explorer.cli import main

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

SEQS = [
    "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGAT",
    "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT",
    "GGGCCCGGGTACGTAGCTAGCTAGCTAGCGATCGCGCGATATATCGCGCGCGATCGATCG",
]
PASTE = "".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS))



def test_home_starts_on_demo_model():
    at = app().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "DNABERT Explorer"
    assert at.selectbox(key="model_name").value == "demo"


def test_paste_then_summary_and_every_page():
    at = paste(app().run(), PASTE)
    assert not at.exception and not at.error
    assert at.metric[0].value == "3"
    for page in ["../pages/predict.py", "../pages/attention.py", "../pages/landscape.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
    at.switch_page("../pages/predict.py").run()
    df = at.dataframe[0].value
    assert list(df["id"]) == ["s0", "s1", "s2"]


@pytest.mark.parametrize(
    "text, message",
    [
        (">a\nACGTXX\n", "character 'X' at position 4"),
        (">a\n>b\nACGT\n", "has no sequence"),
    ],
)
def test_bad_paste_shows_message_not_traceback(text, message):
    at = paste(app().run(), text)
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert "positives" not in at.session_state


def test_upload_gzip():
    at = app().run()
    at.file_uploader(key="positives_file").upload("seqs.fa.gz", gzip.compress(PASTE.encode()))
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["positives"]) == 3


def test_pages_without_data_point_to_data_page():
    at = app().run()
    at.switch_page("../pages/predict.py").run()
    assert not at.exception
    assert "No sequences loaded" in at.info[0].value



def test_motifs_page_finds_the_planted_motifs():
    at = load_example(app().run())
    at.switch_page("../pages/motifs.py").run()
    at.selectbox(key="motif_database").set_value("none")  # no TOMTOM here: the browser test covers JASPAR matching
    at.button[0].click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) >= 2 and (table["length"] >= 12).all()
    assert any("shuffled" in i.value for i in at.info)


def test_motifs_page_command_reproduces_the_run(tmp_path, monkeypatch):
    """The command the Motifs page shows gives the same motifs.tsv as the page, parameters included."""
    at = load_example(app().run())
    at.switch_page("../pages/motifs.py").run()
    at.number_input(key="motif_z").set_value(1.5)
    at.number_input(key="motif_q_cutoff").set_value(0.01)
    at.number_input(key="motif_min_n_motif").set_value(4)
    at.number_input(key="motif_window_size").set_value(20)
    at.number_input(key="motif_trim_bits").set_value(0.4)
    at.selectbox(key="motif_database").set_value("none")
    at.button[0].click().run()
    assert not at.exception and not at.error
    page_table = pd.read_csv(io.BytesIO(at.session_state["motif_result"][3]["attention"][0]["motifs.tsv"]), sep="\t")
    argv = shlex.split(at.code[-1].value)
    assert argv[:3] == ["python", "-m", "dnabert"]
    assert {"--z", "--q-cutoff", "--min-n-motif", "--window-size", "--trim-bits", "--no-match"} <= set(argv)
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO_MODEL_DIR / "example_positives.fa", "positives.fa")  # what "Example data" loaded
    assert main(argv[3:]) == 0
    cli_table = pd.read_csv(tmp_path / "motifs_out" / "motifs.tsv", sep="\t")
    assert len(page_table) >= 1
    pd.testing.assert_frame_equal(cli_table, page_table)


def test_variants_page_mutation_map_and_list():
    at = load_example(app().run())
    at.switch_page("../pages/variants.py").run()
    at.button(key="variants_map_run").click().run()
    assert not at.exception and not at.error
    seq_len = len(at.session_state["positives"].seqs[0])
    assert at.session_state["variants_map"].diff.shape == (seq_len, 4)
    first = at.session_state["positives"].ids[0]
    at.file_uploader(key="variants_file").upload(
        "v.tsv", f"id\tstart\tend\talt\n{first}\t10\t10\tAAA\n{first}\t20\t22\t\n".encode()
    ).run()
    at.button(key="variants_list_run").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["variants_table"]) == 2


def test_models_page_fine_tunes_into_a_configured_folder(tmp_path, monkeypatch):
    from dnabert_demo.synthetic import make_planted_dataset
    from explorer.state import available_models

    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(tmp_path))
    data = make_planted_dataset(30, 30, seed=1)
    tsv = "sequence\tlabel\n" + "".join(f"{s}\t{'pos' if y else 'neg'}\n" for s, y in zip(data.seqs, data.labels))
    at = app().run()
    at.switch_page("../pages/models.py").run()
    at.file_uploader(key="models_train").upload("train.tsv", tsv.encode()).run()
    at.number_input(key="models_epochs").set_value(1)
    at.text_input(key="models_name").input("../escape")
    at.button(key="models_start").click().run()
    assert any("use 1-64 letters" in e.value for e in at.error)
    at.text_input(key="models_name").input("mine")
    at.button(key="models_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert (tmp_path / "mine" / "model.safetensors").is_file()
    assert f"{tmp_path.name}/mine" in available_models()
