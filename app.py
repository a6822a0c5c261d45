"""DNABERT Explorer: the Streamlit app. Run with ``streamlit run app.py``."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import streamlit as st

from dnabert.errors import InputError
from viz.app_state import available_models, current_model, show_error

st.set_page_config(page_title="DNABERT Explorer", layout="wide")

pages = [
    st.Page("pages/home.py", title="Data", default=True),
    st.Page("pages/predict.py", title="Predict"),
    st.Page("pages/attention.py", title="Attention"),
    st.Page("pages/landscape.py", title="Landscape"),
    st.Page("pages/motifs.py", title="Motifs"),
    st.Page("pages/known_motifs.py", title="Known motifs"),
    st.Page("pages/tracks.py", title="Genome tracks"),
    st.Page("pages/embedding.py", title="Embedding map"),
    st.Page("pages/compare.py", title="Compare models"),
    st.Page("pages/variants.py", title="Variants"),
    st.Page("pages/models.py", title="Models"),
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
            f"k = {lm.k} · {cfg.num_hidden_layers} layers · {cfg.hidden_size} hidden · {cfg.num_attention_heads} heads · "
            f"classes: {', '.join(lm.labels)}"
        )
        for note in lm.notes:
            st.warning(note)
        card = lm.path / "MODEL_CARD.md"
        if card.is_file():
            with st.expander("Model card"):
                st.markdown(card.read_text())
    except InputError as e:  # a broken model folder: say what is wrong instead of failing
        show_error(e)
        st.stop()

nav.run()
