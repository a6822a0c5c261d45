"""Predict page: class probabilities per sequence, table, counts, histogram, CSV download."""

import plotly.express as px
import streamlit as st

from dnabert.genome.coordinates import sequence_rows, with_genome_columns
from dnabert.errors import InputError
from dnabert.outputs import prediction_table
from dnabert.training.threshold import class_rule, predicted_labels
from explorer.state import cli_command, coordinates, current_model, require_selected_data, run_prediction, show_error

st.title("Predictions")
pos = require_selected_data()
lm = current_model()
if lm.pretrained_only:
    st.warning("This model has no trained classification head: its probabilities are meaningless.")
try:
    pred = run_prediction(pos, attention=None)
except InputError as e:
    show_error(e)
    st.stop()

table = prediction_table(pos.ids, pos.seqs, pred.probs, lm.labels, predicted_labels(lm, pred.probs))
table = with_genome_columns(table, coordinates(pos), *sequence_rows([len(s) for s in pos.seqs]))  # with header coordinates

st.caption(f"Predicted class: {class_rule(lm)}.")
counts = table["predicted"].value_counts()
cols = st.columns(len(lm.labels))
for col, label in zip(cols, lm.labels):
    col.metric(f"Predicted {label}", int(counts.get(label, 0)))

query = st.text_input("Filter by id (substring)", key="predict_filter")
shown = table[table["id"].str.contains(query, regex=False)] if query else table
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        f"p_{lab}": st.column_config.ProgressColumn(f"p_{lab}", min_value=0.0, max_value=1.0, format="%.3f") for lab in lm.labels
    },
)
target = lm.labels[-1]
st.plotly_chart(
    px.histogram(
        table, x=f"p_{target}", color="predicted", nbins=40, range_x=[0, 1], height=300, title=f"P({target}) over all sequences"
    ),
    width="stretch",
)
st.download_button("Download predictions (CSV)", table.to_csv(index=False).encode(), "predictions.csv", "text/csv")
cli_command("predict", "--input", "sequences.fa", "--out", "predictions.tsv")
