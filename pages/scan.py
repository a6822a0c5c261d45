"""Scan page: the class probability along a long sequence, window by window, with bedGraph / bigWig downloads."""

import tempfile
from pathlib import Path

import numpy as np
import streamlit as st

from dnabert.genome.coordinates import coordinates_from_ids
from dnabert.errors import InputError
from dnabert.genome.tracks import chrom_sizes, per_base_table, window_mean, write_bedgraph, write_bigwig
from dnabert.options import ScanWindows
from dnabert.params import field_map
from dnabert.analysis.scan import check_scan, default_window, scan_probs, scan_starts, scan_table
from dnabert.sequences import SequenceSet
from explorer.state import button_result, cli_command, content_hash, current_model, parse_upload, positives, show_error
from viz.scan import scan_figure

st.title("Scan")
st.caption(
    "Windows of a fixed length slide along one sequence; each window is predicted on its own. "
    "The same run for many sequences: `scan` on the command line."
)
lm = current_model()
if lm.pretrained_only:
    st.warning("This model has no trained classification head: the probabilities below are meaningless.")

loaded = positives()
sources = (["A loaded sequence"] if loaded is not None else []) + ["Paste a sequence"]
source = st.radio("Sequence", sources, key="scan_source", horizontal=True)
if source == "A loaded sequence":
    order = sorted(range(len(loaded)), key=lambda i: -len(loaded.seqs[i]))  # the longest first: scans are for long sequences
    pick = st.selectbox("Sequence", order, format_func=lambda i: f"{loaded.ids[i]} ({len(loaded.seqs[i])} bp)", key="scan_pick")
    one = SequenceSet(ids=[loaded.ids[pick]], seqs=[loaded.seqs[pick]])
else:
    text = st.text_area(
        "FASTA or a plain sequence (a header chrom:start-end gives genome coordinates)", key="scan_text", height=140
    )
    if not text.strip():
        st.info("Paste a sequence to scan.")
        st.stop()
    try:
        pasted = parse_upload(text.encode(), "pasted sequence")
    except InputError as e:
        show_error(e)
        st.stop()
    if len(pasted) > 1:
        st.info(f"{len(pasted)} sequences pasted: the first, {pasted.ids[0]!r}, is scanned.")
    one = SequenceSet(ids=pasted.ids[:1], seqs=pasted.seqs[:1])

rid, seq = one.ids[0], one.seqs[0]
fit = default_window(len(seq))  # window and stride that give this sequence several windows
if st.session_state.get("scan_fit") != fit:  # first visit, or a sequence another default suits
    st.session_state["scan_fit"] = fit
    st.session_state["scan_window"], st.session_state["scan_stride"] = fit
with st.form("scan_params"):
    c1, c2, c3 = st.columns(3)
    declared = field_map(ScanWindows)  # label and help; the default fits the loaded sequence (default_window)
    window, stride = (
        int(c.number_input(declared[name].metadata["label"], 1, None, key=f"scan_{name}", help=declared[name].metadata["help"]))
        for c, name in ((c1, "window"), (c2, "stride"))
    )
    label = c3.selectbox("Probability of class", lm.labels, index=len(lm.labels) - 1, key="scan_class")
    run = st.form_submit_button("Scan", type="primary")


def scan():
    coords, _ = coordinates_from_ids(one, "the sequence")
    starts = [scan_starts(len(seq), window, stride)]
    check_scan(lm, one.ids, one.seqs, starts, window)
    bar = st.progress(0.0, text="Scanning...")
    try:
        probs = scan_probs(lm, one.seqs, starts, window, progress=lambda d, t: bar.progress(d / t, text=f"Windows {d}/{t}"))
    finally:
        bar.empty()
    return scan_table(one.ids, [len(seq)], starts, probs, window, lm.labels), coords


key = ("scan", st.session_state.get("model_name"), rid, seq, window, stride)
table, coords = button_result("scan_result", key, run, scan, "Scan", "Choose the window and press **Scan**.")
rid = table["id"].iloc[0]  # the sequence of the result shown (after a warning, not the one picked)
length = int(table["end"].max())
starts, ends = table["start"].to_numpy(), table["end"].to_numpy()
values = table[f"p_{label}"].to_numpy(np.float64)
track = window_mean(length, starts, ends, values)  # per base: the mean of the windows covering it
st.plotly_chart(
    scan_figure(starts, ends, values, track, label, f"{rid}: {len(table)} windows of {ends[0] - starts[0]} bp"),
    width="stretch",
    key="scan_chart",
)
m1, m2, m3 = st.columns(3)
m1.metric("Windows", len(table))
m2.metric(f"Highest P({label})", f"{values.max():.3f}")
m3.metric("at window", f"{starts[values.argmax()]}-{ends[values.argmax()]}")


def track_files() -> dict[str, bytes]:
    """The page's files (name -> bytes): the per-base track as bedGraph (and bigWig with coordinates), the windows as TSV."""
    per_base = per_base_table(coords, [rid], [track])
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_bedgraph(Path(tmp) / "t.bedGraph", per_base, f"scan_{label}", f"scan P({label}), mean of windows covering a base")
        files[f"scan_{label}.bedGraph"] = (Path(tmp) / "t.bedGraph").read_bytes()
        if coords[0] is not None:  # a bigWig for a genome browser needs the sequence's place in the genome
            write_bigwig(Path(tmp) / "t.bw", per_base, chrom_sizes(per_base))
            files[f"scan_{label}.bw"] = (Path(tmp) / "t.bw").read_bytes()
    files["scan.tsv"] = table.to_csv(sep="\t", index=False, float_format="%.6g").encode()
    return files


# written once per result and class (bigWig writing is not repeated on every rerun)
files_key = content_hash(st.session_state["scan_result"][0], label)
if st.session_state.get("scan_files", (None,))[0] != files_key:
    st.session_state["scan_files"] = (files_key, track_files())
files = st.session_state["scan_files"][1]
cols = st.columns(len(files))
for col, (name, data) in zip(cols, files.items()):
    col.download_button(name, data, name, "application/octet-stream", key=f"scan_dl_{name}")
if coords[0] is None:
    st.caption("The bedGraph uses the sequence id as its chromosome; a header chrom:start-end would also give a bigWig.")
st.dataframe(table, hide_index=True, width="stretch", key="scan_table")
cli_command("scan", "--input", "sequences.fa", "--window", str(window), "--stride", str(stride), "--out", "scan.tsv")
