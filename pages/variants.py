"""Variants page: saturation mutagenesis of one sequence, or a list of variants of the loaded sequences."""

import streamlit as st

from dnabert.errors import InputError
from dnabert.options import ATTENTION_MODES
from dnabert.analysis.variants import edit_table, mutation_map, mutation_map_table, read_variant_list, score_edits
from dnabert.limits import check_app_count, check_app_upload
from motif.jaspar import MotifDatabase, load_jaspar
from motif.variant_motifs import change_summary, located_changes, motif_changes
from explorer.state import cli_command, current_model, require_data, session_cached, show_error
from viz.mutation_map import mutation_map_figure

st.title("Variant effects")
pos = require_data()
lm = current_model()
c1, c2 = st.columns(2)
target = c1.selectbox("Score the probability of class", lm.labels, index=len(lm.labels) - 1, key="variants_class")
class_index = lm.labels.index(target)
both = c2.checkbox("Average forward and reverse-complement scores", key="variants_both")
st.caption(
    "diff = (p_mut - p_wt) x max(p_wt, p_mut); logOR = log2 odds(p_wt) - log2 odds(p_mut), probabilities clipped to [1e-6, 1 - 1e-6]."
)


def _motif_changes(edits, discovered):
    """(long table of the motif sites the edits create or destroy, per-edit summary columns), as ``mutate --motif-changes``;
    ``discovered``: the Motifs page's last run, {kind of evidence: its motifs} (one database each)."""
    jaspar = load_jaspar()
    databases = [(jaspar.name, jaspar)]
    for kind, motifs in discovered.items():
        source = "discovered" if len(discovered) == 1 else f"discovered ({kind})"
        ppms = tuple(m.ppm for m in motifs)
        databases.append((source, MotifDatabase(source, tuple(m.id for m in motifs), tuple(m.consensus for m in motifs), ppms)))
    changes = motif_changes(pos.seqs, edits, databases)
    refs = [pos.seqs[e.seq][e.start : e.end] for e in edits]
    variants = [pos.ids[e.seq] for e in edits], [e.start for e in edits], refs, [e.alt for e in edits]
    located = located_changes(changes, edits, *variants)
    return located, change_summary(changes, len(edits))


tab_map, tab_list = st.tabs(["Mutation map", "Variant list"])

with tab_map:
    index = st.selectbox(
        "Sequence", range(len(pos)), format_func=lambda i: f"{pos.ids[i]} ({len(pos.seqs[i])} bp)", key="variants_seq"
    )
    seq = pos.seqs[index]
    st.caption(f"{3 * len(seq)} single-base mutants, scored in batches.")
    if st.button("Run saturation mutagenesis", type="primary", key="variants_map_run"):
        bar = st.progress(0.0, text="Scoring mutants...")
        try:
            mm = session_cached(
                ("mutation_map", st.session_state.get("model_name"), seq, class_index, both),
                lambda: mutation_map(lm, seq, pos.ids[index], class_index, attention=ATTENTION_MODES[0], both_strands=both,
                                     progress=lambda d, t: bar.progress(d / t, text=f"Scoring mutants {d}/{t}")),
            )  # fmt: skip
            st.session_state["variants_map"] = mm
        except InputError as e:
            show_error(e)
        bar.empty()
    mm = st.session_state.get("variants_map")
    if mm is not None and mm.seq == seq:
        st.plotly_chart(
            mutation_map_figure(
                mm.seq, mm.diff, mm.log_or, mm.p_wt, mm.p_mut, mm.attention_wt, title=f"{mm.id}: P({mm.label}) = {mm.p_wt:.3f}"
            ),
            width="stretch",
            key="mutation_map_chart",
        )
        table = mutation_map_table(mm)
        st.dataframe(table.head(200), hide_index=True, width="stretch")
        st.download_button(
            "Download all mutants (TSV)",
            table.to_csv(sep="\t", index=False).encode(),
            f"{mm.id}_mutations.tsv",
            "text/tab-separated-values",
        )
    cli_command(
        "mutate",
        "--input",
        "sequences.fa",
        "--class",
        target,
        "--attention-change",
        *(["--both-strands"] if both else []),
        "--out",
        "mutations.tsv",
    )

with tab_list:
    st.markdown(
        "A TSV with columns `id`, `start`, `end`, `alt` (0-based, half-open, on the loaded sequences): "
        "substitutions, insertions (`start == end`) and deletions (empty `alt`)."
    )
    upload = st.file_uploader("Variant list (TSV)", key="variants_file")
    found = st.session_state.get("motif_result")  # the Motifs page's last run: (key, {kind: result}, agreement, drawn)
    discovered = {kind: result.motifs for kind, result in found[1].items() if result.motifs} if found else {}
    explain = st.checkbox(
        "Explain: motif sites each variant creates or destroys",
        True,
        help="FIMO (site p < 1e-4) on the reference and the alternate allele, against JASPAR 2024 CORE vertebrates"
        + (f" and the {sum(map(len, discovered.values()))} motifs of the Motifs page's last run" if discovered else "")
        + " (motif.variant_motifs)",
        key="variants_explain",
    )
    if upload is not None and st.button("Score variants", type="primary", key="variants_list_run"):
        try:
            data = upload.getvalue()  # read from memory: the client's file name never becomes a server path
            check_app_upload(len(data), upload.name)
            edits = read_variant_list(data, pos.ids, pos.seqs, name=upload.name)
            check_app_count(len(edits), upload.name, "variants")
            bar = st.progress(0.0, text="Scoring variants...")
            scores = score_edits(lm, pos.seqs, edits, class_index, attention=ATTENTION_MODES[0], both_strands=both,
                                 progress=lambda d, t: bar.progress(d / t, text=f"Scoring {d}/{t}"))  # fmt: skip
            bar.empty()
            changes, extra = None, None
            if explain:
                with st.spinner("Scanning both alleles with FIMO..."):
                    changes, extra = _motif_changes(edits, discovered)
            st.session_state["variants_table"] = edit_table(pos.ids, pos.seqs, edits, scores, extra)
            st.session_state["variants_changes"] = changes
        except InputError as e:
            show_error(e)
    table = st.session_state.get("variants_table")
    if table is not None:
        st.dataframe(table, hide_index=True, width="stretch", key="variants_table_view")
        st.download_button(
            "Download (TSV)", table.to_csv(sep="\t", index=False).encode(), "variants.tsv", "text/tab-separated-values"
        )
    changes = st.session_state.get("variants_changes")
    if table is not None and changes is not None:
        st.subheader("Motif sites created or destroyed")
        st.caption(
            "One row per variant and motif: the best site (lowest FIMO p) touching the variant in the allele that has it "
            "(site_start, site_end in that allele), and both alleles' FIMO scores there (one for an indel)."
        )
        st.dataframe(changes, hide_index=True, width="stretch", key="variants_changes_view")
        st.download_button(
            "Motif changes (TSV)",
            changes.to_csv(sep="\t", index=False).encode(),
            "motif_changes.tsv",
            "text/tab-separated-values",
        )
    cli_command(
        "mutate",
        "--input",
        "sequences.fa",
        "--variants",
        "variants.tsv",
        "--class",
        target,
        "--attention-change",
        *(["--both-strands"] if both else []),
        *(["--explain-motifs", "motifs_out/motifs.meme"] if explain and discovered else []),
        *(["--motif-changes", "motif_changes.tsv"] if explain else ["--no-explain"]),
        "--out",
        "variants_scored.tsv",
    )
