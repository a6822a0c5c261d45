"""Agreement of motif runs on different evidence (motif.agreement): planted motifs, each kind seeing a known subset."""

import numpy as np
import pandas as pd
import pytest
from motif_fixtures import make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)

from motif.agreement import agreement_table
from motif.jaspar import load_jaspar
from motif.output import write_evidence_results
from motif.params import MotifParams
from motif.pipeline import find_motifs
from motif.redundancy import motif_similarity
from motif.report import render_agreement_report

pytestmark = pytest.mark.usefixtures("tomtom_warm")


@pytest.fixture(scope="module")
def runs():
    """attention sees NRF1, CTCF and REST sites; attribution NRF1 and CTCF; ism CTCF only (noise elsewhere)."""
    data = make_planted(1200, 1200, motifs=("NRF1", "CTCF", "REST"), seed=3)
    seen = {"attention": {"NRF1", "CTCF", "REST"}, "attribution": {"NRF1", "CTCF"}, "ism": {"CTCF"}}
    db = load_jaspar()
    out = {}
    for kind, motifs in seen.items():
        rng = np.random.default_rng(0)
        scores = [t if m in motifs else rng.random(len(t)) for t, m in zip(data.scores, data.sites["motif"])]
        out[kind] = find_motifs(data.pos, scores, data.neg, MotifParams(), db)
    return out


def test_agreement_groups_the_same_factor_across_kinds(runs):
    table = agreement_table(runs, MotifParams().agreement_pvalue)
    by_match = {}
    for row in table.itertuples():
        by_match.setdefault(row.best_match.split()[1].upper(), []).append(row)
    assert {name: len(rows) for name, rows in by_match.items() if name in ("NRF1", "CTCF", "REST")} == {
        "NRF1": 1, "CTCF": 1, "REST": 1,
    }  # fmt: skip
    ctcf, nrf1, rest = by_match["CTCF"][0], by_match["NRF1"][0], by_match["REST"][0]
    assert (ctcf.verdict, ctcf.n_kinds, ctcf.found_by) == ("every kind", 3, "attention, attribution, ism")
    assert (nrf1.verdict, nrf1.found_by) == ("attention + attribution", "attention, attribution")
    assert (rest.verdict, rest.ism, rest.attribution) == ("only attention", "", "")
    assert np.isnan(rest.min_tomtom_p) and ctcf.min_tomtom_p < MotifParams().agreement_pvalue
    assert table["group"].iloc[0] == ctcf.group  # most kinds first
    # the CTCF row's motifs, compared directly: every pair across kinds is below the threshold
    ids = {k: getattr(ctcf, k) for k in ("attention", "attribution", "ism")}
    ppms = [next(m.ppm for m in runs[k].motifs if m.id == i) for k, i in ids.items()]
    p, _, _ = motif_similarity(ppms)
    assert np.minimum(p, p.T).max() < MotifParams().agreement_pvalue
    # every motif of every run is in exactly one row
    listed = [f"{k}:{i}" for k in ids for cell in table[k] for i in filter(None, cell.split(", "))]
    assert sorted(listed) == sorted(f"{k}:{m.id}" for k, r in runs.items() for m in r.motifs)


def test_agreement_files_and_report(runs, tmp_path):
    table = agreement_table(runs, MotifParams().agreement_pvalue)
    out = write_evidence_results(runs, table, tmp_path / "all")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "agreement.tsv", "attention", "attribution", "ism", "report.html",
    ]  # fmt: skip
    back = pd.read_csv(out / "agreement.tsv", sep="\t", keep_default_na=False)
    assert back["verdict"].tolist() == table["verdict"].tolist()
    assert (out / "ism" / "motifs.meme").is_file()
    report = (out / "report.html").read_text()
    assert report == render_agreement_report(table, runs) and "every kind" in report and "only attention" in report
    assert "href='ism/report.html'" in report
    write_evidence_results(runs, table, out)  # a previous run is replaced


def test_agreement_of_nothing():
    assert agreement_table({}, 1e-3).empty
