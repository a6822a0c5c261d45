"""JASPAR via pyjaspar and TOMTOM via memelite."""

import numpy as np
import pytest
from motif_fixtures import tomtom_warm  # noqa: F401 (session fixture)

from motif.jaspar import MATCH_COLUMNS, DatabaseError, load_jaspar, load_meme_database, match_motifs
from motif.meme import format_meme

pytestmark = pytest.mark.usefixtures("tomtom_warm")


def test_default_database_is_jaspar2024_core_vertebrates_latest():
    jaspar_db = load_jaspar()
    assert jaspar_db.name == "JASPAR2024 CORE vertebrates"
    assert len(jaspar_db) == 879
    assert len({i.split(".")[0] for i in jaspar_db.ids}) == len(jaspar_db)  # one version per matrix
    assert all(m.dtype == np.float64 and not m.flags.writeable for m in jaspar_db.ppms)
    assert load_jaspar() is jaspar_db


@pytest.mark.parametrize("collection, group", [("CORE", "vertebrates"), ("CORE", "insects"), ("UNVALIDATED", None)])
def test_database_reader_gives_pyjaspars_selection(collection, group):
    """load_jaspar reads pyjaspar's SQLite in three queries; pyjaspar's own fetch_motifs is the reference."""
    import warnings

    import pyjaspar

    from motif.jaspar import _read_jaspar

    db = pyjaspar.jaspardb(release="JASPAR2024")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = db.fetch_motifs(collection=collection, tax_group=[group] if group else None)
    ours = _read_jaspar("JASPAR2024", collection, group)
    assert list(ours.ids) == [m.matrix_id for m in expected] and list(ours.names) == [m.name for m in expected]
    for m, ppm in zip(expected, ours.ppms):
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        np.testing.assert_allclose(ppm, counts / counts.sum(axis=0), rtol=1e-12)


def test_database_read_once_however_the_arguments_are_given():
    """The app's warm-up calls load_jaspar() and its Motifs page load_jaspar("JASPAR2024", "CORE", "vertebrates"):
    the page must get the database the warm-up read (reading it again costs about a second)."""
    jaspar_db = load_jaspar()
    assert load_jaspar("JASPAR2024", "CORE", "vertebrates") is jaspar_db
    assert load_jaspar(release="JASPAR2024", tax_group="vertebrates") is jaspar_db
    assert load_jaspar("JASPAR2024", "CORE", None) is not jaspar_db


@pytest.mark.parametrize("matrix_id", ["MA0506.3", "MA0139.2", "MA0138.3"])
def test_jaspar_matrix_matches_itself_on_both_strands(matrix_id):
    jaspar_db = load_jaspar()
    ppm = jaspar_db.ppm(matrix_id)
    table = match_motifs([ppm, ppm[::-1, ::-1].copy()], jaspar_db, top=3)
    assert table.columns.tolist() == MATCH_COLUMNS
    top = table[table["rank"] == 1]
    assert top["target_id"].tolist() == [matrix_id, matrix_id]
    assert top["orientation"].tolist() == ["+", "-"]
    assert top["offset"].tolist() == [0, 0] and top["overlap"].tolist() == [ppm.shape[1]] * 2
    assert (top["q"] < 0.01).all()
    assert top["E"].to_numpy() == pytest.approx(top["p"].to_numpy() * 879)
    assert len(table) == 6


def test_offset_of_a_shifted_fragment():
    jaspar_db = load_jaspar()
    ppm = jaspar_db.ppm("MA0139.2")
    row = match_motifs([ppm[:, 3:12].copy()], jaspar_db, top=1).iloc[0]
    assert (row["target_id"], row["offset"], row["orientation"]) == ("MA0139.2", 3, "+")


def test_unknown_release_collection_or_group():
    with pytest.raises(DatabaseError, match="unknown JASPAR release 'JASPAR1999'; available: .*JASPAR2024"):
        load_jaspar("JASPAR1999")
    with pytest.raises(DatabaseError, match="no matrix in collection 'NOPE'.*collections: CORE, UNVALIDATED"):
        load_jaspar("JASPAR2024", "NOPE")
    with pytest.raises(DatabaseError, match="taxonomic groups: .*vertebrates"):
        load_jaspar("JASPAR2024", "CORE", "martians")


def test_user_meme_file_as_database(tmp_path):
    jaspar_db = load_jaspar()
    ids = ["MA0506.3", "MA0139.2", "MA0138.3"] + list(jaspar_db.ids[:60])
    path = tmp_path / "db.meme"
    ppms = [jaspar_db.ppm(i) for i in ids]
    path.write_text(format_meme(ids, ppms, [10] * len(ids), [1.0] * len(ids), np.full(4, 0.25), ["name"] * len(ids)))
    db = load_meme_database(path)
    assert db.ids[:3] == ("MA0506.3", "MA0139.2", "MA0138.3") and db.names[0] == "name"
    assert match_motifs([jaspar_db.ppm("MA0138.3")], db, top=1)["target_id"].tolist() == ["MA0138.3"]
