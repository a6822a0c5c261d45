"""DNABERT Explorer: the Streamlit app. Started by ``dnabert app`` (installed or not) or ``streamlit run app.py`` in a checkout."""

import os

import streamlit as st

from dnabert.training.baseline import folder_notes, folder_record
from dnabert.training.summary import verdict_line
from dnabert.errors import InputError
from dnabert.loading.model_info import describe
from explorer.layout import PAGES
from explorer.state import available_models, current_model, model_card, relative_paths, show_error


def main() -> None:
    """Build one run of the app: page navigation and the sidebar's model picker."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the app reads model ids from the cache unless the user says otherwise
    st.set_page_config(page_title="DNABERT Explorer", layout="wide")
    pages = [
        st.Page(PAGES / "home.py", title="Data", default=True),
        st.Page(PAGES / "predict.py", title="Predict"),
        st.Page(PAGES / "attention.py", title="Attention"),
        st.Page(PAGES / "landscape.py", title="Landscape"),
        st.Page(PAGES / "motifs.py", title="Motifs"),
        st.Page(PAGES / "known_motifs.py", title="Known motifs"),
        st.Page(PAGES / "tracks.py", title="Genome tracks"),
        st.Page(PAGES / "embedding.py", title="Embedding map"),
        st.Page(PAGES / "compare.py", title="Compare models"),
        st.Page(PAGES / "scan.py", title="Scan"),
        st.Page(PAGES / "variants.py", title="Variants"),
        st.Page(PAGES / "models.py", title="Models"),
    ]
    nav = st.navigation(pages)

    with st.sidebar:
        models = list(available_models())
        st.selectbox(
            "Model",
            models,
            key="model_name",
            help="The embedded demo model, a checkpoint folder of any family from the configured model directories "
            "(DNABERT_MODEL_DIRS), or a configured Hugging Face model id (DNABERT_MODEL_IDS, read from the local cache)",
        )
        try:
            lm = current_model()
            cfg = lm.model.config
            st.caption(
                f"{describe(lm)} · {cfg.num_hidden_layers} layers · {cfg.hidden_size} hidden · "
                f"{cfg.num_attention_heads} heads · classes: {', '.join(lm.labels)}"
            )
            warnings = folder_notes(lm.path)  # the model is not better than its k-mer baseline
            for note in lm.notes + warnings:
                st.warning(relative_paths(note))
            record = folder_record(lm.path)
            if record and not warnings and verdict_line(record):
                st.caption(verdict_line(record))
            card = model_card(st.session_state["model_name"])
            if card is not None:
                with st.expander("Model card"):
                    st.markdown(card)
        except InputError as e:  # a broken model folder: say what is wrong instead of failing
            show_error(e)
            st.stop()

    nav.run()


if __name__ == "__main__":
    main()
