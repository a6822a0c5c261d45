"""Models page: how the current model was trained (vs its k-mer baseline, curves), and fine-tuning it on a small table."""

import json
import re
import shlex
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st
from transformers import TrainerCallback

from dnabert.training.baseline import comparison_table, lost_to_baseline_note
from dnabert.training.provenance import trained_on
from dnabert.training.seeds import finetune_seeds
from dnabert.training.summary import summary_lines, verdict_line
from dnabert.training.curves import training_curves
from dnabert.errors import InputError
from dnabert.training.finetune import FinetuneSettings
from dnabert.training.tables import read_labeled
from dnabert.limits import MAX_SEQUENCES, MAX_UPLOAD_MB, check_app_count, check_app_lengths, check_app_upload
from explorer.cli.params import settings_argv
from explorer.state import available_models, model_dirs, model_path, show_error
from explorer.widgets import settings_widgets
from viz.training import baseline_bars_figure, training_curves_figure


def training_report(folder: Path, key: str) -> None:
    """Model vs k-mer baseline, the decision threshold, the training curves and the auto sweep of a model folder."""
    metrics = folder / "metrics.json"
    if not metrics.is_file():
        st.caption(f"{folder.name} has no metrics.json (not trained by this tool): no training report.")
        return
    record = json.loads(metrics.read_text())
    if "baseline" not in record:
        st.caption(f"{folder.name}: trained before baselines were recorded; no comparison with a k-mer baseline.")
    else:
        note = lost_to_baseline_note(record)
        if note:
            st.warning(note)
        elif verdict_line(record):
            st.success(verdict_line(record))
        for line in summary_lines(record, verdict=False):
            st.markdown(f"- {line}")
        table = comparison_table(record)
        st.dataframe(table.reset_index().rename(columns={"": "model"}).style.format(precision=3), key=f"{key}_table")
        st.plotly_chart(baseline_bars_figure(table), key=f"{key}_bars")
    if record.get("decision_threshold") is not None:
        st.caption(
            f"Decision threshold {record['decision_threshold']:.3f} on P({record['labels'][1]}), chosen on dev by MCC: "
            "accuracy, F1 and MCC above use it (predictions on every page too); AUROC and AUPRC do not depend on it."
        )
    if record.get("notes"):
        with st.expander("Notes"):
            for n in record["notes"]:
                st.markdown(f"- {n}")
    curves = folder / "curves.tsv"
    if curves.is_file():
        base_dev = ((record.get("baseline") or {}).get("dev") or {}).get("auroc")
        st.plotly_chart(training_curves_figure(pd.read_csv(curves, sep="\t"), base_dev), key=f"{key}_curves")
    sweep = folder / "sweep.tsv"
    if sweep.is_file():
        st.markdown("**Auto recipe: the candidates tried** (the chosen one is marked)")
        st.dataframe(pd.read_csv(sweep, sep="\t"), key=f"{key}_sweep")


st.title("Models")
current = model_path(st.session_state.get("model_name", "demo"))
with st.expander(f"How {current.name} was trained", expanded=True):
    training_report(current, "current")

st.header("Fine-tune a model")
base = st.session_state.get("model_name", "demo")
st.markdown(
    f"Fine-tune **{base}** (the model chosen in the sidebar) on a table with columns `sequence` and `label` "
    "(TSV or CSV; raw DNA or original DNABERT k-mer sentences). "
    f"Small jobs run here (at most {MAX_SEQUENCES} rows); the result appears in the model picker."
)
upload = st.file_uploader(f"Training table (at most {MAX_UPLOAD_MB:g} MB)", key="models_train")
start_trained_on = trained_on(model_path(base)) if base == "demo" or (model_path(base) / "metrics.json").is_file() else None
if start_trained_on:
    st.info(f"{base} was trained on {start_trained_on}. A model fine-tuned from it inherits that training.")
cols = st.columns(4)
values = settings_widgets(cols, FinetuneSettings, "models")  # the fields the page offers (the rest: command line only)
name = cols[len(values) % 4].text_input("Name of the new model", "finetuned", key="models_name", help="Letters, digits, - and _ only")
settings = FinetuneSettings(**values)
target_root = model_dirs()[0]
shown_root = target_root.relative_to(Path.cwd()) if target_root.is_relative_to(Path.cwd()) else target_root.name  # no server paths
st.caption(
    f"Saved to {shown_root}/<name>, listed as {target_root.name}/<name> in the model picker. Without a dev or test "
    f"table, stratified {settings.dev_fraction:.0%} (dev: the epoch, the decision threshold) and "
    f"{settings.test_fraction:.0%} (test: the comparison with the k-mer baseline) of the table are held out."
)
st.caption("The same run from the command line (the same defaults), for large tables or a GPU:")
st.code(
    shlex.join(["python", "-m", "dnabert", "finetune", "--model", base, "--train", upload.name if upload else "train.tsv",
                *settings_argv(settings), "--out", f"{shown_root}/{name}"]),
    language="bash",
    wrap_lines=True,
)  # fmt: skip


class StreamlitProgress(TrainerCallback):
    """Move a Streamlit progress bar at every optimizer step and redraw the curves at every log or
    evaluation (a rerun, e.g. Cancel, stops training here)."""

    def __init__(self, bar, chart):
        self.bar, self.chart = bar, chart

    def on_step_end(self, args, state, control, **kwargs):
        self.bar.progress(state.global_step / max(state.max_steps, 1), text=f"Step {state.global_step} / {state.max_steps}")

    def on_log(self, args, state, control, **kwargs):
        curves = training_curves(state.log_history)
        if len(curves):
            self.chart.plotly_chart(training_curves_figure(curves), key=f"live_curves_{len(state.log_history)}")


if upload is not None and st.button("Start fine-tuning", type="primary", key="models_start"):
    try:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise InputError(f"model name {name!r}: use 1-64 letters, digits, - or _")
        out = target_root / name
        if out.exists() or name in {n.split("/")[-1] for n in available_models()}:
            raise InputError(f"a model named {name!r} exists already; choose another name")
        check_app_upload(len(upload.getvalue()), upload.name)
        train = read_labeled(text=upload.getvalue(), name=upload.name)
        check_app_count(len(train), upload.name, "rows")
        check_app_lengths(train.ids, train.seqs, upload.name)
        st.button("Cancel", key="models_cancel")  # clicking it reruns the page, which stops the training in progress
        bar, chart = st.progress(0.0, text="Preparing..."), st.empty()
        result = finetune_seeds(train, out, model=model_path(base), settings=replace(settings, log_every=10),
                                callbacks=[StreamlitProgress(bar, chart)], log=lambda _: None)  # fmt: skip
        st.session_state["models_done"] = (f"Saved {target_root.name}/{result.path.name}.", str(result.path))
        st.rerun()  # a fresh run lists the new model in the sidebar and drops the progress bar and Cancel
    except InputError as e:
        show_error(e)
if "models_done" in st.session_state:
    message, saved = st.session_state.pop("models_done")
    st.success(message)
    training_report(Path(saved), "new")
    st.info("Pick it in the sidebar's model list.")
