"""Nothing a client sends becomes a server path, no file outside a model folder is shown, no server path is displayed,
and every page applies the limits of dnabert.limits (issue 11). The real-browser version of the upload test is in
test_safety_browser.py."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from support import APP_SCRIPT
from support import make_tiny_model
from streamlit.testing.v1 import AppTest

import dnabert.limits

REPO = Path(__file__).resolve().parents[3]
SEQ = "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCC"


@pytest.fixture
def models(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "server" / "models"
    make_tiny_model(root / "tiny", max_position_embeddings=12)
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(root))
    return root


def session(model: str = "demo") -> AppTest:
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120)
    at.session_state["model_name"] = model
    return at.run()


def with_sequences(at: AppTest, fasta: str) -> AppTest:
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(fasta)
    at.button[0].click().run()
    return at


def shown_text(at: AppTest) -> str:
    """Everything a page shows as text (markdown, captions, code, messages)."""
    parts = [
        e.value for kind in ("markdown", "caption", "code", "error", "warning", "info", "success") for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_pages_read_uploads_from_memory_only():
    """Audit: no page with an upload, nor the app helper, turns an upload into a file (tempfile, writing bytes)."""
    sources = [*sorted((REPO / "pages").glob("*.py")), REPO / "explorer" / "app.py", REPO / "explorer" / "state.py"]
    uploaders = 0
    for path in sources:
        text = path.read_text()
        uploaders += text.count("st.file_uploader(")
        if "file_uploader" not in text and path.name != "state.py":
            continue  # e.g. the Motifs page writes its results into a folder it names itself
        tree = ast.parse(text)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert "tempfile" not in names and not attrs & {"write_bytes", "write_text"}, path.name
    assert uploaders == 4  # home (positives, negatives), variants, models: each read with getvalue()


@pytest.mark.parametrize("hostile", ["{root}/abs_escape.tsv", "../../rel_escape.tsv"])
def test_a_hostile_upload_name_on_the_variants_page_writes_nothing(tmp_path, monkeypatch, models, hostile):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "server" / "tmp"))
    (tmp_path / "server" / "tmp").mkdir()
    before = set(tmp_path.rglob("*"))
    at = with_sequences(session("models/tiny"), f">s1\n{SEQ}\n")
    at.switch_page("../pages/variants.py").run()
    at.file_uploader(key="variants_file").upload(hostile.format(root=tmp_path), b"s1\t3\t4\tG\n").run()
    at.button(key="variants_list_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.session_state["variants_table"]) == 1
    assert set(tmp_path.rglob("*")) == before


def test_a_model_card_linking_out_of_the_model_folder_is_refused(tmp_path, models):
    secret = tmp_path / "server" / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-CONTENT")
    os.symlink(secret, models / "tiny" / "MODEL_CARD.md")
    at = session("models/tiny")
    assert not at.exception
    assert "SECRET-CONTENT" not in shown_text(at)
    assert any("MODEL_CARD.md is a link to a file outside the model folder" in e.value for e in at.error)


def test_a_model_card_inside_the_folder_is_shown(models):
    (models / "tiny" / "MODEL_CARD.md").write_text("# Tiny card\nA teaching model.")
    at = session("models/tiny")
    assert not at.exception and "A teaching model." in shown_text(at)


def test_no_absolute_server_path_is_shown(tmp_path, models):
    at = with_sequences(session("models/tiny"), f">s1\n{SEQ}\n")
    for page in ("../pages/models.py", "../pages/predict.py", "../pages/variants.py"):
        at.switch_page(page).run()
        assert not at.exception
        text = shown_text(at)
        assert str(tmp_path) not in text and str(REPO) not in text, page
    at.switch_page("../pages/models.py").run()
    assert "models/finetuned" in shown_text(at)


def test_errors_about_a_model_folder_name_it_relative_to_the_model_directory(tmp_path, models):
    (models / "tiny" / "config.json").write_text("[]")
    at = session("models/tiny")
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "models/tiny/config.json: expected a JSON object" in errors and str(tmp_path) not in errors


def table(n: int, length: int = 40) -> bytes:
    return ("sequence\tlabel\n" + "".join(f"{SEQ[:length]}\t{'pos' if i % 2 else 'neg'}\n" for i in range(n))).encode()


@pytest.mark.parametrize(
    "limit, value, data, message",
    [
        ("MAX_SEQUENCES", 3, table(4), "4 rows is over the app's limit of 3"),
        ("MAX_UPLOAD_MB", 0.0001, table(10), "MB is over the app's limit of 0.0001 MB"),
        ("MAX_LENGTH", 20, table(4), "is 40 bp, over the app's limit of 20 bp"),
    ],
)
def test_the_models_page_applies_the_limits(tmp_path, monkeypatch, models, limit, value, data, message):
    monkeypatch.setattr(dnabert.limits, limit, value)
    at = session("models/tiny")
    at.switch_page("../pages/models.py").run()
    at.file_uploader(key="models_train").upload("train.tsv", data).run()
    at.button(key="models_start").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert sorted(p.name for p in models.iterdir()) == ["tiny"]  # nothing trained


def test_the_variant_list_applies_the_limits(monkeypatch, models):
    monkeypatch.setattr(dnabert.limits, "MAX_SEQUENCES", 2)
    at = with_sequences(session("models/tiny"), f">s1\n{SEQ}\n")
    at.switch_page("../pages/variants.py").run()
    at.file_uploader(key="variants_file").upload("v.tsv", b"s1\t3\t4\tG\ns1\t5\t6\tA\ns1\t8\t9\tC\n").run()
    at.button(key="variants_list_run").click().run()
    assert not at.exception
    assert any("3 variants is over the app's limit of 2" in e.value for e in at.error)
    assert "variants_table" not in at.session_state


def test_saturation_mutagenesis_is_capped_in_the_app(monkeypatch, models):
    monkeypatch.setattr(dnabert.limits, "MAX_SATURATION_LENGTH", 30)
    at = with_sequences(session("models/tiny"), f">s1\n{SEQ}\n")
    at.switch_page("../pages/variants.py").run()
    at.button(key="variants_map_run").click().run()
    assert not at.exception
    assert any(f"sequence 's1' is {len(SEQ)} bp" in e.value and "limited to 30 bp" in e.value for e in at.error)
