"""Attention page: one sequence's per-nucleotide attention, its heads and its attribution; deletion curves of
the loaded sequences (which evidence the model's prediction follows)."""

import io

import numpy as np
import streamlit as st

from dnabert.analysis.attribution import attribution_track
from dnabert.genome.coordinates import base_rows, with_genome_columns
from dnabert.errors import InputError
from dnabert.analysis.faithfulness import deletion_curves
from dnabert.analysis.inference import attention_matrices
from dnabert.options import (
    ATTENTION_HELP,
    ATTENTION_MODES,
    DELETION_FILL_HELP,
    DELETION_FILLS,
    DELETION_FRACTIONS,
    EVIDENCE_KINDS,
    FAITHFULNESS_SEQUENCES,
)
from dnabert.outputs import attention_long_table, write_attention_npz
from dnabert.sequences import SequenceSet
from explorer.cli.evidence import AREAS_FILE, CURVES_FILE
from explorer.state import (
    cli_command,
    content_hash,
    coordinates,
    current_model,
    require_data,
    rerun_only,
    run_evidence,
    run_prediction,
    session_cached,
    session_figure,
    show_error,
)
from motif.encoding import encode
from motif.params import PARAM_FIELDS
from motif.regions import find_regions
from viz.attribution import attention_vs_attribution
from viz.bertviz_offline import MAX_TOKENS as BERTVIZ_MAX_TOKENS
from viz.bertviz_offline import head_view_html
from viz.faithfulness import deletion_curves_figure
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
        on_change=rerun_only(
            "attention_track", "attention_attribution", "attention_faithfulness", "attention_downloads"
        ),  # not the head views
    )
    z_field, len_field = PARAM_FIELDS["z"], PARAM_FIELDS["min_len"]  # the motif analysis's region rule
    z = st.slider("Region threshold (mean + z x SD)", 0.0, 3.0, z_field.default, 0.1, help=z_field.metadata["help"], key="attention_z",
                  on_change=rerun_only("attention_track"))  # fmt: skip
    min_len = st.number_input(
        "Minimum region length (bp)", 1, 50, len_field.default, help=len_field.metadata["help"], key="attention_min_len",
        on_change=rerun_only("attention_track"),
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
seq = pos.seqs[index]


@st.fragment(key="attention_track")
def track_view() -> None:
    """The sequence's track: the aggregation and the region rule rerun only this (their values from the session)."""
    mode, z, min_len = (st.session_state[k] for k in ("attention_mode", "attention_z", "attention_min_len"))
    pred = run_prediction(pos, attention=mode)  # a cache hit: every mode comes from one pass
    track = pred.scores[index]
    regions = find_regions([track], encode([seq]), z=z, min_len=int(min_len))
    sites = st.session_state.get("sites")
    site_rows = [] if sites is None else [(r.start, r.end, r.motif) for r in sites[sites["id"] == pos.ids[index]].itertuples()]
    probs = ", ".join(f"P({lab}) = {p:.3f}" for lab, p in zip(lm.labels, pred.probs[index]))
    st.markdown(f"**{pos.ids[index]}** · {len(seq)} bp · {probs}")
    fig = session_figure(("track", pos.ids[index], seq, mode, z, int(min_len), tuple(site_rows)), lambda: attention_track(
        seq,
        track,
        regions=np.stack([regions.start, regions.end], axis=1),
        sites=site_rows,
        windows=pred.windows[index],
        title=f"{pos.ids[index]}: {mode} attention",
    ))  # fmt: skip
    st.plotly_chart(fig, width="stretch", key="attention_track_chart")
    st.caption(f"{len(regions)} high-attention region(s). {lm.tokenizer.edge_note()}")


track_view()

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
    tokens, attn = session_cached(("heads", st.session_state.get("model_name"), piece), lambda: attention_matrices(lm, piece),
                                  keep=4, store="_views")  # fmt: skip
except InputError as e:
    show_error(e)
    st.stop()
n_prefix, piece_spans = len(lm.tokenizer.prefix), lm.tokenizer.tokenize(piece)[1]


def token_label(i: int) -> str:
    """``index: token (bp start)`` for content tokens, ``index: token`` for special ones."""
    j = i - n_prefix
    return f"{i}: {tokens[i]} (bp {start + int(piece_spans[j, 0])})" if 0 <= j < len(piece_spans) else f"{i}: {tokens[i]}"


@st.fragment(key="attention_heads")
def heads_view() -> None:
    """The head views of the window: a layer, token or threshold choice reruns only these."""
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
        grid = session_figure(("grid", piece, query, layer), lambda: head_grid(tokens, attn, query=max(query, 1), layer=layer))
        st.plotly_chart(grid, width="stretch", key="head_grid_chart")
    with tab_context:
        context = session_figure(("context", piece, layer, query, threshold),
                                 lambda: context_plot(tokens, attn, layer=layer, query=query, threshold=threshold, relative=True))  # fmt: skip
        st.plotly_chart(context, width="stretch", key="context_chart")
        if len(context.data) == 1:  # only the token markers
            st.caption(f"No link: in layer {layer} token {query} attends only to itself; pick another token or layer.")
    with tab_overview:
        overview = session_figure(("overview", piece, query), lambda: context_overview(tokens, attn, query=query))
        st.plotly_chart(overview, width="stretch", key="overview_chart")
    with tab_bertviz:
        if len(tokens) <= BERTVIZ_MAX_TOKENS:
            # the same page object on every rerun: Streamlit's URL check keeps every distinct page in urllib's cache
            view = (st.session_state.get("model_name"), piece, layer)
            if st.session_state.get("head_view", (None, ""))[0] != view:
                st.session_state["head_view"] = (view, head_view_html(tokens, attn, layer=layer))
            st.iframe(st.session_state["head_view"][1], height=720)
        else:
            st.info(f"The bertviz view is limited to {BERTVIZ_MAX_TOKENS} tokens (this window has {len(tokens)}); use the head grid.")


heads_view()


@st.fragment(key="attention_attribution")
def attribution_view() -> None:
    """Attention next to attribution for the window: the method and the button rerun only this."""
    track = run_prediction(pos, attention=st.session_state["attention_mode"]).scores[index]
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


attribution_view()


@st.fragment(key="attention_faithfulness")
def faithfulness_view() -> None:
    """Deletion curves of the first sequences: its own settings and the aggregation rerun only this."""
    mode = st.session_state["attention_mode"]
    st.subheader("Faithfulness: deletion curves")
    st.caption(
        "Delete the bases each kind of evidence ranks first (attention, integrated gradients, ISM, or at random) in growing "
        f"shares and follow the predicted P({lm.labels[-1]}): evidence the model uses makes it fall faster than random. "
        "Area vs random > 0 with an interval above 0: deleting its top bases costs more than deleting random ones."
    )
    f1, f2 = st.columns(2)
    fill = f1.radio("Deleted bases become", DELETION_FILLS, horizontal=True, help=DELETION_FILL_HELP, key="faith_fill")
    n_faith = int(
        f2.number_input(
            "Sequences (the first n)", 1, len(pos), min(FAITHFULNESS_SEQUENCES, len(pos)),
            help="ISM scores 3 mutants per base: more sequences take longer", key="faith_n",
        )
    )  # fmt: skip
    faith_key = content_hash("faithfulness", st.session_state.get("model_name"), pos.ids[:n_faith], pos.seqs[:n_faith], mode, fill)
    if st.button("Compute deletion curves", key="faith_run"):
        bar = None
        try:
            first = SequenceSet(pos.ids[:n_faith], pos.seqs[:n_faith])
            rankings = {kind: run_evidence(first, kind, mode) for kind in EVIDENCE_KINDS}  # cached: the Motifs page shares them
            bar = st.progress(0.0, text="Deletion curves...")
            curves = deletion_curves(
                lm, first.seqs, rankings, first.ids, DELETION_FRACTIONS, fill,
                progress=lambda d, t: bar.progress(d / t, text=f"Deletion curves: {d}/{t} sequences predicted"),
            )  # fmt: skip
            st.session_state["faithfulness"] = (
                faith_key, curves.table([len(s) for s in pos.seqs[:n_faith]]), curves.areas(), curves.mean_curves(), curves.label
            )
        except InputError as e:
            show_error(e)
        finally:
            if bar is not None:
                bar.empty()
    if "faithfulness" in st.session_state:
        made, curve_table, areas, mean, label = st.session_state["faithfulness"]
        if made != faith_key:
            st.warning("The data or the settings changed since these curves were made: press **Compute deletion curves** again.")
        st.plotly_chart(deletion_curves_figure(mean, label, fill), width="stretch", key="faith_chart")
        st.dataframe(
            areas, hide_index=True, width="stretch",
            column_config={c: st.column_config.NumberColumn(c, format="%.4f") for c in ("auc", "area_vs_random", "ci_low", "ci_high")},
        )  # fmt: skip
        g1, g2 = st.columns(2)
        g1.download_button(
            "Deletion curves (TSV)", curve_table.to_csv(sep="\t", index=False).encode(), CURVES_FILE, "text/tab-separated-values"
        )
        g2.download_button("Areas (TSV)", areas.to_csv(sep="\t", index=False).encode(), AREAS_FILE, "text/tab-separated-values")
    cli_command(
        "faithfulness", "--input", "sequences.fa", "--attention", mode, "--fill", fill, "--sequences", str(n_faith),
        "--out", "faithfulness_out",
    )  # fmt: skip


faithfulness_view()


@st.fragment(key="attention_downloads")
def downloads_view() -> None:
    """Every sequence's scores in the chosen aggregation, made when a button is pressed; reruns with the aggregation."""
    mode = st.session_state["attention_mode"]
    pred = run_prediction(pos, attention=mode)
    st.subheader("Downloads")
    coords = coordinates(pos)  # from the headers, as the command line reads them

    def npz_file() -> bytes:  # the files are made when their button is pressed, not on every rerun
        npz = io.BytesIO()
        write_attention_npz(npz, pos.ids, pos.seqs, pred.scores, mode, lm.family, lm.tokenizer.name, coords)
        return npz.getvalue()

    def tsv_file() -> bytes:
        long = attention_long_table(pos.ids, pos.seqs, pred.scores)
        long = with_genome_columns(long, coords, *base_rows([len(s) for s in pos.seqs]))
        return long.to_csv(sep="\t", index=False).encode()

    c1, c2 = st.columns(2)
    c1.download_button("Download all scores (NPZ)", npz_file, "attention.npz", "application/octet-stream")
    c2.download_button("Download all scores (TSV)", tsv_file, "attention.tsv", "text/tab-separated-values")
    cli_command("attention", "--attention", mode, "--input", "sequences.fa", "--out", "scores.npz", "--tsv", "scores.tsv")


downloads_view()
