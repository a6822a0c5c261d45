"""Motifs page: motif discovery from the model's attention, attribution or ISM (or all three and their
agreement), JASPAR matches, downloads."""

import io
import tempfile
import zipfile
from dataclasses import fields
from pathlib import Path

import streamlit as st
import streamlit.components.v1

from dnabert.options import EVIDENCE_ALL, EVIDENCE_HELP, EVIDENCE_KINDS
from explorer.cli.params import settings_argv
from explorer.state import (
    button_result,
    cli_command,
    coordinates,
    current_model,
    negatives,
    require_selected_data,
    run_evidence,
)
from explorer.widgets import attention_widget, param_widget
from motif.agreement import agreement_table
from motif.bed import locate_instances
from motif.cause import check_motifs, model_predictor
from motif.jaspar import jaspar_database
from motif.output import dropped_table, merged_table, motif_table, write_results
from motif.params import JasparSource
from motif.pipeline import MotifParams, find_motifs
from viz.motif_images import motif_images

st.title("Motifs")
pos = require_selected_data()
neg, shuffled = negatives(pos)
st.caption(
    f"{len(pos)} sequences (positives) against {len(neg)} "
    + ("dinucleotide-shuffled copies of them (no negatives loaded)." if shuffled else "loaded negatives.")
)

with st.form("motif_params"):
    basic = [f for f in fields(MotifParams) if f.metadata["basic"]]
    cols = st.columns(4)
    evidence = cols[0].selectbox("Evidence", (*EVIDENCE_KINDS, EVIDENCE_ALL), help=EVIDENCE_HELP, key="motif_evidence")
    attention = attention_widget(cols[1], "motif_attention")
    values = {f.name: param_widget(cols[(i + 2) % 4], f, "motif") for i, f in enumerate(basic)}
    database = cols[(len(basic) + 2) % 4].selectbox(
        "Match against",
        [JasparSource().release, "none"],  # short enough for a quarter of the page
        help=f"TOMTOM database (offline): {JasparSource()}",
        key="motif_database",
    )
    with st.expander("More parameters"):
        more = [f for f in fields(MotifParams) if not f.metadata["basic"]]
        cols = st.columns(4)
        values |= {f.name: param_widget(cols[i % 4], f, "motif") for i, f in enumerate(more)}
    run = st.form_submit_button("Find motifs", type="primary")

params = MotifParams(**values)
key = ("motifs", st.session_state.get("model_name"), pos.ids, pos.seqs, neg.seqs, params, evidence, attention, database)


def result_files(result) -> tuple[dict[str, bytes], bytes]:
    """Every output file of a run (name relative to the folder -> bytes) and all of them as a zip."""
    with tempfile.TemporaryDirectory() as tmp:
        images = motif_images(result, "png")
        out = write_results(result, Path(tmp) / "motifs", formats=("meme", "jaspar", "transfac"), images=images)
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"motifs/{name}", data)
    return files, zipped.getvalue()


def discover():
    params.check()
    kinds = EVIDENCE_KINDS if evidence == EVIDENCE_ALL else (evidence,)
    scores = {kind: run_evidence(pos, kind, attention) for kind in kinds}
    with st.spinner(
        "Finding motifs: high-evidence regions, enriched candidates, one motif per factor, then TOMTOM against "
        "JASPAR (NumPy, nothing to compile). Seconds on the example data, longer on a busy machine..."
    ):
        db = None if database == "none" else jaspar_database(JasparSource())
        found = {}
        for kind in kinds:
            found[kind] = find_motifs(pos.seqs, scores[kind], None if shuffled else neg.seqs, params, db, pos.ids)
            locate_instances(found[kind].motifs, pos.ids, coordinates(pos))  # genome columns where headers carry coordinates
    if params.cause_check and any(r.motifs for r in found.values()):
        with st.spinner(f"Cause check: does the model use each motif? (budget {params.cause_budget:g} s per kind)"):
            for result in found.values():
                if result.motifs:
                    check_motifs(result, model_predictor(current_model()), pos.seqs, None if shuffled else neg.seqs)
    agreement = agreement_table(found, params.agreement_pvalue) if len(kinds) > 1 else None
    return found, agreement, {}  # files: drawn below the table, once per run and kind


runs, agreement, drawn = button_result(
    "motif_result", key, run, discover, "Find motifs", "Set the parameters and press **Find motifs**."
)

if agreement is not None:
    st.subheader("Agreement of the evidence")
    every = int((agreement["n_kinds"] == len(runs)).sum()) if len(agreement) else 0
    st.caption(
        f"Motif discovery on each kind of evidence; motifs TOMTOM finds similar (p < {params.agreement_pvalue:g}) are one "
        f"row. {every} of {len(agreement)} motif(s) found by every kind; *only ...*: one kind alone found it."
    )
    st.dataframe(
        agreement, hide_index=True, width="stretch",
        column_config={"min_tomtom_p": st.column_config.NumberColumn("min_tomtom_p", format="%.2e")},
    )  # fmt: skip
    st.download_button(
        "Agreement (TSV)", agreement.to_csv(sep="\t", index=False).encode(), "agreement.tsv", "text/tab-separated-values"
    )
    shown = st.selectbox("Show the motifs found from", list(runs), key="motif_shown_kind")
else:
    (shown,) = runs
result = runs[shown]
files, zipped = drawn.get(shown, (None, None))

for note in result.notes:
    st.info(note)
m1, m2, m3, m4 = st.columns(4)
m1.metric("High-attention regions" if shown == "attention" else f"High-{shown} regions", result.n_regions)
m2.metric("Candidates", len(result.candidates))
m3.metric("Enriched candidates", int(result.candidates["kept"].sum()) if len(result.candidates) else 0)
m4.metric("Motifs", len(result.motifs))

table = motif_table(result)
if len(table):
    sci = {
        c: st.column_config.NumberColumn(c, format="%.2e")
        for c in ("p", "q", "best_match_q", "insertion_p", "insertion_q", "ablation_p", "ablation_q")
    }
    sci |= {c: st.column_config.NumberColumn(c, format="%+.3f") for c in table.columns if c.endswith(("_effect", "_low", "_high"))}
    sci["top_matches"] = st.column_config.TextColumn("top JASPAR matches", width="large")
    first = ["id", "consensus", "top_matches", *(["verdict"] if result.cause is not None else [])]  # in view without scrolling
    st.dataframe(table[first + [c for c in table.columns if c not in first]], hide_index=True, width="stretch", column_config=sci)
    if result.cause is not None:
        st.caption(
            "verdict: does the model's prediction depend on the motif? insertion = mean change in P(last class) when a site "
            "of the motif, not of its column-shuffled version, is written into the middle of background sequences; "
            "ablation = when its sites in the positives are shuffled, not random windows; 95% interval, Wilcoxon, BH "
            "(motif.cause). Demo model: a teaching model trained on planted CTCF and YY1 sites."
        )
if files is None:  # once per run and kind, after the table is on the page: logos and report take longer than the analysis
    with st.spinner("Drawing the logos (five images per motif, a few hundredths of a second each) and the report..."):
        files, zipped = result_files(result)
    drawn[shown] = (files, zipped)  # kept in the session's stored result (the same dict)


@st.fragment(key="motif_detail")
def motif_view() -> None:
    """One motif's logos, matches, members and instances: picking another motif reruns only this."""
    choice = st.selectbox(
        "Motif", range(len(result.motifs)), format_func=lambda i: f"{result.motifs[i].id}  {result.motifs[i].consensus}"
    )
    motif = result.motifs[choice]
    left, right = st.columns(2)
    left.image(files[f"logos/{motif.id}.png"], caption=f"{motif.id} (information content)")
    left.image(files[f"logos/{motif.id}_rc.png"], caption=f"{motif.id}, reverse complement")
    matches = result.matches[result.matches["motif"] == motif.id]
    right.dataframe(
        matches.drop(columns=["motif"]),
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(c, format="%.2e") for c in ("p", "E", "q")},
    )
    if motif.members:
        st.caption(f"{motif.id} is merged from {len(motif.members)} assembled motifs (the first is its representative):")
        members = merged_table(result)
        st.dataframe(members[members["motif"] == motif.id].drop(columns=["motif"]), hide_index=True, width="stretch")
    st.subheader(f"Instances of {motif.id}")
    st.dataframe(motif.instances, hide_index=True, width="stretch")


if len(table):
    motif_view()
else:
    st.warning("No motif passed the filters. Try a looser q-value cutoff, a lower z, or more sequences.")

if result.dropped and st.toggle(f"Show the {len(result.dropped)} motif(s) dropped as fragments"):
    st.dataframe(dropped_table(result), hide_index=True, width="stretch")

d = st.columns(8)
d[0].download_button("MEME", files["motifs.meme"], "motifs.meme", "text/plain")
d[1].download_button("JASPAR", files["motifs.jaspar"], "motifs.jaspar", "text/plain")
d[2].download_button("TRANSFAC", files["motifs.transfac"], "motifs.transfac", "text/plain")
d[3].download_button("Instances (TSV)", files["instances.tsv"], "instances.tsv", "text/tab-separated-values")
d[4].download_button("Instances (BED)", files["instances.bed"], "instances.bed", "text/plain")
d[5].download_button("Report (HTML)", files["report.html"], "report.html", "text/html")
d[6].download_button("Everything (zip)", zipped, "motifs.zip", "application/zip")
d[7].download_button("Motif table (TSV)", files["motifs.tsv"], "motifs.tsv", "text/tab-separated-values")
with st.expander("Report preview"):
    st.iframe(files["report.html"].decode(), height=600)
cli_command(
    "motifs",
    "--positives",
    "positives.fa",
    *([] if shuffled else ["--negatives", "negatives.fa"]),
    "--evidence",
    evidence,
    "--attention",
    attention,
    *settings_argv(params),
    *(["--no-match"] if database == "none" else []),
    "--out",
    "motifs_out",
)
