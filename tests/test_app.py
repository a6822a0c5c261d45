"""Every app page through Streamlit's AppTest (fast, no browser)."""

import gzip

import pytest
from streamlit.testing.v1 import AppTest

from dnabert.checkpoint import DEMO_MODEL_DIR

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

SEQS = [
    "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGAT",
    "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT",
    "GGGCCCGGGTACGTAGCTAGCTAGCTAGCGATCGCGCGATATATCGCGCGCGATCGATCG",
]
PASTE = "".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS))


def app() -> AppTest:
    return AppTest.from_file("../app.py", default_timeout=120)


def paste(at: AppTest, text: str) -> AppTest:
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(text)
    at.button[0].click().run()
    return at


def test_home_starts_on_demo_model():
    at = app().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "DNABERT Explorer"
    assert at.selectbox(key="model_name").value == "demo"


def test_paste_then_summary_and_every_page():
    at = paste(app().run(), PASTE)
    assert not at.exception and not at.error
    assert at.metric[0].value == "3"
    for page in ["pages/predict.py", "pages/attention.py", "pages/landscape.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
    at.switch_page("pages/predict.py").run()
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
    at.switch_page("pages/predict.py").run()
    assert not at.exception
    assert "No sequences loaded" in at.info[0].value
