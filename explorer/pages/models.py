"""Models page: fine-tune the current model on a small labelled table, with progress and cancel."""

import re

import streamlit as st
from transformers import TrainerCallback

from dnabert.errors import InputError
from dnabert.finetune import FinetuneSettings, finetune
from dnabert.limits import MAX_SEQUENCES, MAX_UPLOAD_MB, check_app_count, check_app_lengths, check_app_upload
from dnabert.tables import read_labeled
from explorer.state import REPO, available_models, model_dirs, model_path, show_error

st.title("Fine-tune a model")
base = st.session_state.get("model_name", "demo")
st.markdown(
    f"Fine-tune **{base}** (the model chosen in the sidebar) on a table with columns `sequence` and `label` "
    "(TSV or CSV; raw DNA or original DNABERT k-mer sentences). "
    f"Small jobs run here (at most {MAX_SEQUENCES} rows); the result appears in the model picker."
)
upload = st.file_uploader(f"Training table (at most {MAX_UPLOAD_MB:g} MB)", key="models_train")
c1, c2, c3, c4 = st.columns(4)
epochs = c1.number_input("Epochs", 1, 20, 3, key="models_epochs")
lr = c2.number_input("Learning rate", 1e-6, 1e-2, 5e-4, format="%.1e", key="models_lr")
batch = c3.number_input("Batch size", 4, 256, 32, key="models_batch")
name = c4.text_input("Name of the new model", "finetuned", key="models_name", help="Letters, digits, - and _ only")
target_root = model_dirs()[0]
shown_root = target_root.relative_to(REPO) if target_root.is_relative_to(REPO) else target_root.name  # no server paths
st.caption(
    f"Saved to {shown_root}/<name>, listed as {target_root.name}/<name> in the model picker; "
    "a tenth of the table (stratified) is held out as the dev set."
)

st.caption("Same run from the command line, for large tables or a GPU:")
st.code(
    f"python -m dnabert finetune --model {base} --train train.tsv "
    f"--epochs {epochs} --lr {lr:g} --batch-size {batch} --out {shown_root}/{name}",
    language="bash",
    wrap_lines=True,
)


class StreamlitProgress(TrainerCallback):
    """Move a Streamlit progress bar at every optimizer step (a rerun, e.g. Cancel, stops training here)."""

    def __init__(self, bar):
        self.bar = bar

    def on_step_end(self, args, state, control, **kwargs):
        self.bar.progress(state.global_step / max(state.max_steps, 1), text=f"Step {state.global_step} / {state.max_steps}")


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
        bar = st.progress(0.0, text="Preparing...")
        settings = FinetuneSettings(epochs=float(epochs), learning_rate=float(lr), batch_size=int(batch), log_every=10**9)
        result = finetune(train, out, model=model_path(base), settings=settings, callbacks=[StreamlitProgress(bar)])
        st.session_state["models_done"] = f"Saved {target_root.name}/{result.path.name}: dev " + ", ".join(
            f"{k} {v:.3f}" for k, v in result.dev_metrics.items()
        )
        st.rerun()  # a fresh run lists the new model in the sidebar and drops the progress bar and Cancel
    except InputError as e:
        show_error(e)
if "models_done" in st.session_state:
    st.success(st.session_state.pop("models_done"))
    st.info("Pick it in the sidebar's model list.")
