"""Landscape page: the attention of every sequence at once (sequences x positions)."""

import streamlit as st

from dnabert.errors import InputError
from dnabert.options import ATTENTION_HELP, ATTENTION_MODES
from dnabert.training.threshold import class_rule, predicted_labels
from explorer.state import current_model, require_selected_data, rerun_only, run_prediction, show_error
from viz.landscape import attention_landscape

st.title("Attention landscape")
pos = require_selected_data()
lm = current_model()
if len(pos) < 2:
    st.info("The landscape needs at least two sequences; the Attention page shows a single one.")
    st.stop()

c1, c2, c3 = st.columns(3)
redraw = rerun_only("landscape_figure")  # these choices change only the figure
mode = c1.radio("Aggregation", ATTENTION_MODES, key="landscape_mode", horizontal=True, help=ATTENTION_HELP, on_change=redraw)
sort = c2.selectbox(
    "Sort rows by",
    ["probability", "class", "peak", "none"],
    key="landscape_sort",
    on_change=redraw,
    format_func={
        "probability": "predicted probability",
        "class": "predicted class",
        "peak": "position of the maximum",
        "none": "input order",
    }.get,
)
target = c3.selectbox("Probability of class", lm.labels, index=len(lm.labels) - 1, key="landscape_class", on_change=redraw)

try:
    pred = run_prediction(pos, attention=mode)
except InputError as e:
    show_error(e)
    st.stop()


@st.fragment(key="landscape_figure")
def landscape_view() -> None:
    """The landscape: the aggregation, the sorting and the class rerun only this (their values from the session)."""
    mode, sort, target = (st.session_state[k] for k in ("landscape_mode", "landscape_sort", "landscape_class"))
    pred = run_prediction(pos, attention=mode)  # a cache hit: every mode comes from one pass
    c = lm.labels.index(target)
    predicted = predicted_labels(lm, pred.probs)
    fig = attention_landscape(
        pred.scores,
        probs=pred.probs[:, c],
        classes=predicted,
        ids=pos.ids,
        sort=sort,
        title=f"{mode} attention, {len(pos)} sequences",
    )
    st.plotly_chart(fig, width="stretch", key="landscape_chart")
    st.caption(
        f"Mean profiles (with a band of one standard deviation) are per predicted class ({class_rule(lm)}). "
        "Sequences of different lengths are padded on the right."
    )


landscape_view()
