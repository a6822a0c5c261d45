"""Hugging Face model ids resolved through a temporary hub cache, offline."""

import shutil

import numpy as np
import pytest
from support import make_tiny_model
from family_fixtures import make_dnabert2, make_nt_v2, put_in_hub_cache

from dnabert.loading.checkpoint import load_model
from dnabert.loading.hub import ModelSourceError, is_model_id, resolve_source
from dnabert.analysis.inference import predict

SEQS = ["ACGTTGACCATGACAGTTAGCNGGATCCAAGTTTTACGG", "TTTTACGGGCATACGATCGATCGTAGCTAGC"]


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def test_ids_of_every_family_load_from_the_cache_like_their_folders(tmp_path, offline_cache):
    folders = {
        "zhihan1996/DNA_bert_6": make_tiny_model(tmp_path / "d1", k=6),
        "zhihan1996/DNABERT-2-117M": make_dnabert2(tmp_path / "d2")[0],
        "InstaDeepAI/nucleotide-transformer-v2-50m-multi-species": make_nt_v2(tmp_path / "nt2")[0],
    }
    for model_id, folder in folders.items():
        snapshot = put_in_hub_cache(offline_cache, model_id, folder)
        assert resolve_source(model_id) == snapshot
        by_id, by_folder = load_model(model_id), load_model(folder)
        assert by_id.path == snapshot and by_id.family == by_folder.family
        a, b = predict(by_id, SEQS), predict(by_folder, SEQS)
        np.testing.assert_array_equal(a.logits, b.logits)
        for x, y in zip(a.scores, b.scores):
            np.testing.assert_array_equal(x, y)


def test_hf_home_locates_the_cache_too(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = put_in_hub_cache(tmp_path / "home" / "hub", "someone/tiny", make_tiny_model(tmp_path / "m", k=3))
    assert load_model("someone/tiny").path == snapshot


def test_an_uncached_id_offline_is_a_clear_error_naming_it(offline_cache):
    with pytest.raises(ModelSourceError, match=r"model id 'nobody/missing-model' is not in .*hub.*HF_HUB_OFFLINE is set"):
        load_model("nobody/missing-model")


def test_existing_folders_are_never_taken_for_ids(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tiny_model(tmp_path / "org" / "name", k=3)
    assert not is_model_id("org/name") and is_model_id("org/other")
    assert load_model("org/name").family == "DNABERT-1"
    assert not is_model_id("a/b/c") and not is_model_id("/abs/path")


@pytest.mark.parametrize("ref", ["../../../elsewhere", "ABSOLUTE", "../../models--someone--else/snapshots/0123456789abcdef0123456789abcdef01234567"])
def test_a_cache_ref_leading_out_of_the_ids_snapshots_is_refused(tmp_path, offline_cache, ref):
    snapshot = put_in_hub_cache(offline_cache, "someone/tiny", make_tiny_model(tmp_path / "m", k=3))
    foreign = make_tiny_model(tmp_path / "elsewhere", k=4)
    put_in_hub_cache(offline_cache, "someone/else", foreign)
    refs_main = snapshot.parent.parent / "refs" / "main"
    refs_main.write_text(str(foreign) if ref == "ABSOLUTE" else ref)
    with pytest.raises(ModelSourceError, match=r"model id 'someone/tiny': the cache's ref \(refs/main\) leads to .*not to a snapshot"):
        load_model("someone/tiny")
    refs_main.write_text(snapshot.name)
    assert load_model("someone/tiny").k == 3


def test_a_snapshot_that_is_a_link_out_is_refused(tmp_path, offline_cache):
    snapshot = put_in_hub_cache(offline_cache, "someone/tiny", make_tiny_model(tmp_path / "m", k=3))
    shutil.rmtree(snapshot)
    snapshot.symlink_to(make_tiny_model(tmp_path / "elsewhere", k=4), target_is_directory=True)
    with pytest.raises(ModelSourceError, match="not to a snapshot folder inside"):
        load_model("someone/tiny")
