"""DNABERT Explorer: the Streamlit app. Run with ``streamlit run app.py`` from a checkout (or this file)."""

import os
from pathlib import Path

import streamlit as st

from dnabert.baseline import folder_notes
from dnabert.errors import InputError
from explorer.state import available_models, current_model, show_error

PAGES = Path(__file__).resolve().parent / "pages"


def main() -> None:
    """Build one run of the app: page navigation and the sidebar's model picker."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st.set_page_config(page_title="DNABERT Explorer", layout="wide")
    pages = [
        st.Page(PAGES / "home.py", title="Data", default=True),
        st.Page(PAGES / "predict.py", title="Predict"),
        st.Page(PAGES / "attention.py", title="Attention"),
        st.Page(PAGES / "landscape.py", title="Landscape"),
        st.Page(PAGES / "motifs.py", title="Motifs"),
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
            help="The embedded demo model, or a checkpoint folder from the configured model directories",
        )
        try:
            lm = current_model()
            cfg = lm.model.config
            st.caption(
                f"k = {lm.k} · {cfg.num_hidden_layers} layers · {cfg.hidden_size} hidden · "
                f"{cfg.num_attention_heads} heads · classes: {', '.join(lm.labels)}"
            )
            for note in lm.notes + folder_notes(lm.path):  # folder_notes: the model lost to its k-mer baseline
                st.warning(note)
            card = lm.path / "MODEL_CARD.md"
            if card.is_file():
                with st.expander("Model card"):
                    st.markdown(card.read_text())
        except InputError as e:  # a broken model folder: say what is wrong instead of failing
            show_error(e)
            st.stop()

    nav.run()


if __name__ == "__main__":
    main()
