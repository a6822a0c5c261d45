"""Attention page: one sequence's per-nucleotide attention, its heads and its attribution."""

import io

import numpy as np
import streamlit as st

from dnabert.errors import InputError
from dnabert.outputs import attention_long_table, write_attention_npz
from motif.encoding import encode
from motif.regions import find_regions
from viz.app_state import cli_command, current_model, require_data, run_prediction, show_error
from viz.tracks import attention_track

st.title("Attention")
pos = require_data()
lm = current_model()

left, right = st.columns([3, 1])
with right:
    mode = st.radio(
        "Aggregation",
        ["last", "mean", "rollout"],
        key="attention_mode",
        help="last: last layer's [CLS] attention (DNABERT-viz); mean: averaged over layers; rollout: attention rollout",
    )
    z = st.slider("Region threshold (mean + z x SD)", 0.0, 3.0, 1.0, 0.1, key="attention_z")
    min_len = st.number_input("Minimum region length (bp)", 1, 50, 5, key="attention_min_len")
with left:
    index = st.selectbox(
        "Sequence (type to search by id)", range(len(pos)), format_func=lambda i: pos.ids[i], key="attention_seq"
    )

try:
    pred = run_prediction(pos, attention=mode)
except InputError as e:
    show_error(e)
    st.stop()

seq, track = pos.seqs[index], pred.scores[index]
regions = find_regions([track], encode([seq]), z=z, min_len=int(min_len))
sites = st.session_state.get("sites")
site_rows = [] if sites is None else [(r.start, r.end, r.motif) for r in sites[sites["id"] == pos.ids[index]].itertuples()]
probs = ", ".join(f"P({lab}) = {p:.3f}" for lab, p in zip(lm.labels, pred.probs[index]))
st.markdown(f"**{pos.ids[index]}** · {len(seq)} bp · {probs}")
fig = attention_track(
    seq,
    track,
    regions=np.stack([regions.start, regions.end], axis=1),
    sites=site_rows,
    windows=pred.windows[index],
    title=f"{pos.ids[index]}: {mode} attention",
)
st.plotly_chart(fig, use_container_width=True, key="attention_track_chart")
st.caption(
    f"{len(regions)} high-attention region(s). The first and last {lm.k - 1} bases are covered by fewer k-mers, "
    "so their scores are noisier."
)

npz = io.BytesIO()
write_attention_npz(npz, pos.ids, pos.seqs, pred.scores, mode, lm.k)
long = attention_long_table(pos.ids, pos.seqs, pred.scores)
c1, c2 = st.columns(2)
c1.download_button("Download all scores (NPZ)", npz.getvalue(), "attention.npz", "application/octet-stream")
c2.download_button("Download all scores (TSV)", long.to_csv(sep="\t", index=False).encode(), "attention.tsv", "text/tab-separated-values")
cli_command("attention", "--attention", mode, "--input", "sequences.fa", "--out", "scores.npz", "--tsv", "scores.tsv")
