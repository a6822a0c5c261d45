"""Data page: what the app does, input sequences (upload, paste, example), negatives, summary."""

import numpy as np
import pandas as pd
import streamlit as st

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.genome.coordinates import coordinates_from_ids
from dnabert.errors import InputError
from dnabert.limits import MAX_SEQUENCES, MAX_UPLOAD_MB
from dnabert.sequences import read_sequences
from dnabert.training.tables import split_labels
from explorer.state import gc_fraction, negatives, parse_upload, positives, show_error
from viz.lengths import length_histogram

st.title("DNABERT Explorer")
st.markdown(
    "Upload DNA sequences and see what a DNABERT model predicts for them. "
    "Explore its attention at nucleotide resolution, over single sequences and whole sets. "
    "Discover the motifs it attends to, match them to JASPAR and export them as MEME PWMs."
)

EXAMPLES = {"positives": DEMO_MODEL_DIR / "example_positives.fa", "negatives": DEMO_MODEL_DIR / "example_negatives.fa"}
EXAMPLE_SITES = DEMO_MODEL_DIR / "example_sites.tsv"  # ground truth: id, motif, start, end, strand, ...


FROM_LABELS = "Labels of the table"


def load(kind: str, source: str) -> None:
    """Read the chosen input into session state, showing any error in the page."""
    try:
        if source == "Upload a file":
            up = st.session_state.get(f"{kind}_file")
            data = parse_upload(up.getvalue(), up.name) if up is not None else None
        elif source == "Paste":
            text = st.session_state.get(f"{kind}_text", "")
            data = parse_upload(text.encode(), f"pasted {kind}") if text.strip() else None
        else:
            data = read_sequences(EXAMPLES[kind])
            if kind == "positives" and EXAMPLE_SITES.is_file():
                st.session_state["sites"] = pd.read_csv(EXAMPLE_SITES, sep="\t")
        if kind == "positives" and data is not None:
            coordinates_from_ids(data, kind)  # refuses a header region whose length is not its sequence's, as the CLI does
    except InputError as e:  # what was loaded before stays loaded
        show_error(e)
        if kind in st.session_state:
            st.info(f"The {kind} loaded before are kept.")
        return
    if data is None:
        st.warning("Nothing to load: choose a file or paste sequences first.")
        return
    if source != "Example data" and kind == "positives":
        st.session_state.pop("sites", None)
    if kind == "positives":
        data, negative = split_labels(data) if data.labels is not None else (data, None)
        if negative is not None:
            st.session_state["negatives"] = negative
            st.session_state["neg_source"] = FROM_LABELS
        elif st.session_state.get("neg_source") == FROM_LABELS:  # an earlier table's negatives go with it
            st.session_state.pop("negatives", None)
            st.session_state["neg_source"] = "Shuffled sequences"
    st.session_state[kind] = data
    st.session_state.pop("_results", None)


col_pos, col_neg = st.columns(2)
with col_pos:
    st.subheader("Sequences")
    source = st.radio("Input", ["Upload a file", "Paste", "Example data"], key="pos_source", horizontal=True)
    if source == "Upload a file":
        st.file_uploader(
            f"FASTA, multi-FASTA, .gz, one sequence per line, or a DNABERT table (header 'sequence', 'label'; "
            f"labels split positives and negatives) (at most {MAX_UPLOAD_MB:g} MB, {MAX_SEQUENCES} sequences)",
            key="positives_file",
        )
    elif source == "Paste":
        st.text_area(
            "Sequences (FASTA or one per line)",
            key="positives_text",
            height=150,
            placeholder=">seq1\nACGTTGCA...\n\nor a DNABERT table: a header line 'sequence<TAB>label', then sequence<TAB>label lines",
        )
    elif not EXAMPLES["positives"].is_file():
        st.warning(
            "The example data ships with the demo model, which is missing: run `python -m dnabert demo-model --out dnabert/demo_model`."
        )
    if st.button("Load sequences", type="primary"):
        load("positives", source)

with col_neg:
    st.subheader("Negatives (optional)")
    st.caption("Background sequences for motif enrichment. Without them, dinucleotide-shuffled copies of the sequences are used.")
    labelled = st.session_state.get("neg_source") == FROM_LABELS
    neg_source = st.radio(
        "Negatives",
        ["Shuffled sequences", "Upload a file", "Paste", "Example data"] + [FROM_LABELS] * labelled,
        key="neg_source",
        horizontal=True,
    )
    if neg_source == "Upload a file":
        st.file_uploader("FASTA, .gz, or one sequence per line", key="negatives_file")
    elif neg_source == "Paste":
        st.text_area("Negative sequences", key="negatives_text", height=150)
    if neg_source == "Shuffled sequences":
        st.session_state.pop("negatives", None)
    elif neg_source != FROM_LABELS and st.button("Load negatives"):
        load("negatives", neg_source)

pos = positives()
if pos is not None:
    st.divider()
    st.subheader("Input summary")
    lengths = np.array([len(s) for s in pos.seqs])
    gc = gc_fraction(pos.seqs)
    n_ambiguous = sum(1 for s in pos.seqs if any(c not in "ACGT" for c in s))
    neg, shuffled = negatives()
    c = st.columns(5)
    c[0].metric("Sequences", len(pos))
    c[1].metric("Length (median)", f"{int(np.median(lengths))} bp")
    c[2].metric("Length range", f"{lengths.min()}-{lengths.max()} bp")
    c[3].metric("GC (mean)", f"{np.nanmean(gc):.1%}" if np.isfinite(gc).any() else "n/a")
    c[4].metric("Shuffled negatives" if shuffled else "Negatives", len(neg))  # the value alone: it fits the column
    for note in pos.notes:
        st.info(note)
    if n_ambiguous:
        st.info(
            f"{n_ambiguous} sequence(s) contain N or IUPAC codes: the tokens covering them are read as unknown "
            "([UNK]; the Nucleotide Transformer reads N as a one-base token)."
        )
    st.plotly_chart(length_histogram(lengths), width="stretch", key="length_histogram")
    with st.expander("Sequences"):
        st.dataframe(pd.DataFrame({"id": pos.ids, "length": lengths, "GC": gc}), hide_index=True)
