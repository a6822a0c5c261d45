"""Embedding map page: every loaded sequence as a point, from the model's sequence embeddings."""

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from dnabert.analysis.embeddings import project
from dnabert.errors import InputError
from dnabert.options import POOLINGS, PROJECTIONS
from dnabert.sequences import SequenceSet
from dnabert.training.threshold import predicted_labels
from explorer.state import (
    clear_selection,
    cli_command,
    current_model,
    map_selection,
    negatives,
    require_data,
    run_prediction,
    select_on_map,
    session_cached,
    show_error,
)
from viz.maps import embedding_map

st.title("Embedding map")
pos = require_data()
neg, shuffled = negatives()
lm = current_model()
if lm.pretrained_only:
    st.warning("This model has no trained classification head: the predicted probabilities below are meaningless.")

c1, c2, c3 = st.columns(3)
pooling = c1.radio(
    "Embedding", POOLINGS, key="embed_pooling", horizontal=True, format_func={"cls": "[CLS]", "mean": "mean of tokens"}.get
)
method = c2.radio("Projection", PROJECTIONS, key="embed_method", horizontal=True, format_func=str.upper)
with_neg = c3.checkbox(
    "Include the negatives", value=not shuffled, key="embed_negatives", disabled=shuffled, help="Loaded negatives only"
)

sets = [("positive", pos)] + ([("negative", neg)] if with_neg and not shuffled else [])
data = SequenceSet(ids=[i for _, s in sets for i in s.ids], seqs=[q for _, s in sets for q in s.seqs])
label = np.array([name for name, s in sets for _ in s.ids])
if len(data) < 3:
    st.info("A map needs at least 3 sequences.")
    st.stop()


def keep_selection(n_pos: int) -> None:
    """Chart callback: keep the selected positives (rows < n_pos of the map) for the Landscape, Motifs and Predict pages;
    an emptied selection clears it. Reruns only the selection's banner: the map stays as drawn."""
    points = st.session_state["embed_chart"].selection.points
    if not points:
        clear_selection()
    else:
        rows = np.unique([int(np.ravel(p["customdata"])[0]) for p in points])
        select_on_map(rows[rows < n_pos])
    st.rerun("embed_selection")


try:
    pred = run_prediction(data, attention=None)  # the prediction pass keeps the embeddings: no second forward pass
    vectors = pred.embeddings[pooling]
    xy, axes = session_cached(
        ("project", st.session_state.get("model_name"), data.seqs, pooling, method), lambda: project(vectors, method)
    )
except InputError as e:
    show_error(e)
    st.stop()

predicted = np.array(predicted_labels(lm, pred.probs))
options = ["set", "predicted class"] + [f"P({lab})" for lab in lm.labels]
motif_result = st.session_state.get("motif_result")
if motif_result is not None and motif_result[1].motifs:
    options += [f"has {m.id} ({m.consensus})" for m in motif_result[1].motifs]
colour_by = st.selectbox("Colour by", options, index=0 if len(sets) > 1 else 1 + len(lm.labels), key="embed_colour")
if colour_by == "set":
    colour = label
elif colour_by == "predicted class":
    colour = predicted
elif colour_by.startswith("P("):
    colour = pred.probs[:, [f"P({lab})" for lab in lm.labels].index(colour_by)]
else:
    motif = motif_result[1].motifs[options.index(colour_by) - 2 - len(lm.labels)]
    has = set(motif.instances["seq_id"])
    colour = np.where([i in has for i in data.ids], f"with {motif.id}", f"without {motif.id}")

st.plotly_chart(
    embedding_map(xy, colour, data.ids, colour_by, axes, f"{len(data)} sequences, {pooling} embeddings, {method.upper()}"),
    width="stretch",
    key="embed_chart",
    on_select=partial(keep_selection, len(pos)),
    selection_mode=("box", "lasso", "points"),
)


@st.fragment(key="embed_selection")
def selection_view() -> None:
    """How many positives are selected, with the button that clears them: a selection reruns only this."""
    chosen = map_selection()
    if chosen is None:
        st.caption("Select points (box, lasso or click) to narrow the Landscape, Motifs and Predict pages to those sequences.")
    else:
        text, clear = st.columns([6, 1], vertical_alignment="center")
        text.info(
            f"{len(chosen)} of {len(pos)} positives selected: the Landscape, Motifs and Predict pages show only them"
            + (" (the selection holds no positive)." if not len(chosen) else "."),
        )
        clear.button("Clear selection", on_click=clear_selection, key="clear_map_selection")


selection_view()
table = pd.DataFrame({"id": data.ids, "set": label, "x": xy[:, 0], "y": xy[:, 1], "predicted": predicted})
for c, lab in enumerate(lm.labels):
    table[f"p_{lab}"] = pred.probs[:, c]
st.download_button("Download the map (CSV)", table.to_csv(index=False).encode(), "embedding_map.csv", "text/csv")
cli_command("embed", "--input", "sequences.fa", "--pooling", pooling, "--method", method, "--out", "map.tsv")
