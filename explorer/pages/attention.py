"""Attention page: one sequence's per-nucleotide attention, its heads and its attribution."""

import io

import numpy as np
import streamlit as st

from dnabert.attribution import attribution_track
from dnabert.coordinates import base_rows, with_genome_columns
from dnabert.errors import InputError
from dnabert.options import ATTENTION_HELP, ATTENTION_MODES
from dnabert.inference import attention_matrices
from dnabert.outputs import attention_long_table, write_attention_npz
from explorer.state import cli_command, coordinates, current_model, require_data, run_prediction, show_error
from motif.encoding import encode
from motif.params import PARAM_FIELDS
from motif.regions import find_regions
from viz.attribution import attention_vs_attribution
from viz.bertviz_offline import MAX_TOKENS as BERTVIZ_MAX_TOKENS
from viz.bertviz_offline import head_view_html
from viz.heads import context_overview, context_plot, head_grid, most_attended_token
from viz.tracks import attention_track

st.title("Attention")
pos = require_data()
lm = current_model()

left, right = st.columns([3, 1])
with right:
    mode = st.radio(
        "Aggregation",
        ATTENTION_MODES,
        key="attention_mode",
        help=ATTENTION_HELP,
    )
    z_field, len_field = PARAM_FIELDS["z"], PARAM_FIELDS["min_len"]  # the motif analysis's region rule
    z = st.slider("Region threshold (mean + z x SD)", 0.0, 3.0, z_field.default, 0.1, help=z_field.metadata["help"], key="attention_z")
    min_len = st.number_input(
        "Minimum region length (bp)", 1, 50, len_field.default, help=len_field.metadata["help"], key="attention_min_len"
    )
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
st.plotly_chart(fig, width="stretch", key="attention_track_chart")
st.caption(f"{len(regions)} high-attention region(s). {lm.tokenizer.edge_note()}")

st.subheader("Heads")
st.caption(
    f"Per-head attention of one window of at most {lm.window} tokens ({lm.tokenizer.name}, as the model sees them); "
    "for a longer sequence pick where it starts."
)
_, seq_spans = lm.tokenizer.tokenize(seq)  # (n, 2) bases of each token of the whole sequence
first = 0
if len(seq_spans) > lm.window:
    token_starts = seq_spans[: len(seq_spans) - lm.window + 1, 0].tolist()
    start_bp = st.select_slider("Window start (bp)", token_starts, value=token_starts[0], key="heads_start")
    first = token_starts.index(start_bp)
start = int(seq_spans[first, 0])
piece = seq[start : int(seq_spans[min(first + lm.window, len(seq_spans)) - 1, 1])]
try:
    tokens, attn = attention_matrices(lm, piece)
except InputError as e:
    show_error(e)
    st.stop()
n_prefix, piece_spans = len(lm.tokenizer.prefix), lm.tokenizer.tokenize(piece)[1]


def token_label(i: int) -> str:
    """``index: token (bp start)`` for content tokens, ``index: token`` for special ones."""
    j = i - n_prefix
    return f"{i}: {tokens[i]} (bp {start + int(piece_spans[j, 0])})" if 0 <= j < len(piece_spans) else f"{i}: {tokens[i]}"


h1, h2, h3 = st.columns(3)
layer = h1.selectbox(
    "Layer", range(attn.shape[0]), index=attn.shape[0] - 1, format_func=lambda i: f"layer {i}", key="heads_layer"
)
query = h2.selectbox(
    "Selected token",
    range(len(tokens)),
    index=most_attended_token(attn, layer),  # the first default: the token this layer attends to most
    format_func=token_label,
    key="heads_query",
)
threshold = h3.select_slider(
    "Hide links below (share of the strongest)",
    [0.0, 0.1, 0.25, 0.5, 0.75, 0.9],
    value=0.5,
    key="heads_threshold",
    help="Context plot: a link shows when its attention is at least this share of the selected token's strongest link",
)
tab_grid, tab_context, tab_overview, tab_bertviz = st.tabs(["Head grid", "Context plot", "All heads", "bertviz head view"])
with tab_grid:
    st.plotly_chart(head_grid(tokens, attn, query=max(query, 1), layer=layer), width="stretch", key="head_grid_chart")
with tab_context:
    context = context_plot(tokens, attn, layer=layer, query=query, threshold=threshold, relative=True)
    st.plotly_chart(context, width="stretch", key="context_chart")
    if len(context.data) == 1:  # only the token markers
        st.caption(f"No link: in layer {layer} token {query} attends only to itself; pick another token or layer.")
with tab_overview:
    st.plotly_chart(context_overview(tokens, attn, query=query), width="stretch", key="overview_chart")
with tab_bertviz:
    if len(tokens) <= BERTVIZ_MAX_TOKENS:
        # the same page object on every rerun: Streamlit's URL check keeps every distinct page in urllib's cache
        view = (st.session_state.get("model_name"), piece, layer)
        if st.session_state.get("head_view", (None, ""))[0] != view:
            st.session_state["head_view"] = (view, head_view_html(tokens, attn, layer=layer))
        st.iframe(st.session_state["head_view"][1], height=720)
    else:
        st.info(f"The bertviz view is limited to {BERTVIZ_MAX_TOKENS} tokens (this window has {len(tokens)}); use the head grid.")

st.subheader("Attention vs. attribution")
method = st.radio(
    "Attribution",
    ["integrated_gradients", "gradient_x_input"],
    horizontal=True,
    key="attribution_method",
    format_func=lambda m: m.replace("_", " "),
)
if st.button("Compute attribution", key="attribution_run"):
    try:
        att = attribution_track(lm, piece, method=method)
        st.plotly_chart(
            attention_vs_attribution(piece, track[start : start + len(piece)], att.track, method=method.replace("_", " ")),
            width="stretch",
            key="attribution_chart",
        )
    except InputError as e:
        show_error(e)

st.subheader("Downloads")
npz = io.BytesIO()
coords = coordinates(pos)  # from the headers, as the command line reads them
write_attention_npz(npz, pos.ids, pos.seqs, pred.scores, mode, lm.family, lm.tokenizer.name, coords)
long = attention_long_table(pos.ids, pos.seqs, pred.scores)
long = with_genome_columns(long, coords, *base_rows([len(s) for s in pos.seqs]))
c1, c2 = st.columns(2)
c1.download_button("Download all scores (NPZ)", npz.getvalue(), "attention.npz", "application/octet-stream")
c2.download_button(
    "Download all scores (TSV)", long.to_csv(sep="\t", index=False).encode(), "attention.tsv", "text/tab-separated-values"
)
cli_command("attention", "--attention", mode, "--input", "sequences.fa", "--out", "scores.npz", "--tsv", "scores.tsv")
