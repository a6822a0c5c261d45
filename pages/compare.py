"""Compare page: the loaded sequences through two models, probabilities and attention side by side."""

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from dnabert.errors import InputError
from dnabert.analysis.inference import predict
from dnabert.analysis.model_compare import track_agreement
from dnabert.loading.model_info import require_tokens
from dnabert.training.threshold import class_rule, predicted_labels
from explorer.state import (
    available_models,
    cli_command,
    current_model,
    model_by_name,
    require_data,
    run_prediction,
    session_cached,
    show_error,
)
from explorer.widgets import attention_widget
from viz.landscape import attention_landscape
from viz.maps import probability_scatter, stacked_tracks

st.title("Compare two models")
pos = require_data()
lm_a = current_model()
name_a = st.session_state.get("model_name", "demo")
names = list(available_models())
others = [n for n in names if n != name_a]
if not others:
    st.info(
        "Only one model is configured. Fine-tune one on the **Models** page, or add checkpoint folders to the "
        "directories named by DNABERT_MODEL_DIRS, to compare two models."
    )
c1, c2 = st.columns(2)
c1.markdown(f"**Model A** (sidebar): {name_a}")
name_b = c2.selectbox("Model B", others or names, key="compare_model")
mode = attention_widget(st, "compare_mode", radio=True)

try:
    lm_b = model_by_name(name_b)
    for lm, tag in ((lm_a, "model A"), (lm_b, "model B")):
        require_tokens(pos, lm, f"sequences ({tag})")
    pred_a = run_prediction(pos, attention=mode)
    pred_b = session_cached(("predict", name_b, pos.seqs, mode), lambda: predict(lm_b, pos.seqs, attention=mode))
except InputError as e:
    show_error(e)
    st.stop()
for lm, name in ((lm_a, "A"), (lm_b, "B")):
    if lm.pretrained_only:
        st.warning(f"Model {name} has no trained classification head: its probabilities are meaningless.")

pearson, spearman = track_agreement(pred_a.scores, pred_b.scores)
c1, c2 = st.columns(2)
class_a = c1.selectbox("Class of model A", lm_a.labels, index=len(lm_a.labels) - 1, key="compare_class_a")
class_b = c2.selectbox("Class of model B", lm_b.labels, index=len(lm_b.labels) - 1, key="compare_class_b")
pa = pred_a.probs[:, lm_a.labels.index(class_a)]
pb = pred_b.probs[:, lm_b.labels.index(class_b)]
table = pd.DataFrame({"id": pos.ids, "p_A": pa, "p_B": pb, "pearson": pearson, "spearman": spearman})

m1, m2, m3 = st.columns(3)
called_a, called_b = np.array(predicted_labels(lm_a, pred_a.probs)), np.array(predicted_labels(lm_b, pred_b.probs))
table["predicted_A"], table["predicted_B"] = called_a, called_b
m1.metric(
    f"Agree on {class_a} vs {class_b}",
    f"{np.mean((called_a == class_a) == (called_b == class_b)):.1%}",
    help=f"Each model's own class rule: A: {class_rule(lm_a)}; B: {class_rule(lm_b)}",
)
m2.metric("Median attention Pearson r", f"{np.nanmedian(pearson):.3f}" if np.isfinite(pearson).any() else "n/a")
m3.metric("Sequences", len(pos))
left, right = st.columns(2)
left.plotly_chart(
    probability_scatter(pa, pb, pos.ids, f"A: {name_a}", f"B: {name_b}", class_a), width="stretch", key="compare_scatter"
)
right.plotly_chart(
    px.histogram(table, x="pearson", nbins=40, range_x=[-1, 1], height=480, title="Attention agreement per sequence (Pearson r)"),
    width="stretch",
    key="compare_hist",
)
st.caption(f"Predicted classes by each model's own rule. A: {class_rule(lm_a)}. B: {class_rule(lm_b)}.")
st.dataframe(table, hide_index=True, width="stretch")

index = st.selectbox("Sequence", range(len(pos)), format_func=lambda i: pos.ids[i], key="compare_seq")
st.plotly_chart(
    stacked_tracks(pos.ids[index], pred_a.scores[index], pred_b.scores[index], f"A: {name_a}", f"B: {name_b}", pearson[index]),
    width="stretch",
    key="compare_tracks",
)
if len(pos) >= 2:
    order = np.argsort(-pa, kind="stable")  # both landscapes in the order of model A's probability
    la, lb = st.columns(2)
    for col, name, pred, p in ((la, f"A: {name_a}", pred_a, pa), (lb, f"B: {name_b}", pred_b, pb)):
        fig = attention_landscape(
            [pred.scores[i] for i in order], probs=p[order], ids=[pos.ids[i] for i in order], sort="none", title=name
        )
        col.plotly_chart(fig, width="stretch", key=f"compare_landscape_{name[0]}")
    st.caption("Both landscapes list the sequences in the same order: by model A's probability, highest first.")
st.download_button("Download the comparison (CSV)", table.to_csv(index=False).encode(), "comparison.csv", "text/csv")
# models as picked: the command line accepts the picker's names (explorer.model_names), never a server path
cli_command("compare", "--compare", name_b, "--attention", mode, "--input", "sequences.fa", "--out", "compare.tsv")
