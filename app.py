"""DNABERT Explorer: the Streamlit app (entry point)."""

import streamlit as st

st.set_page_config(page_title="DNABERT Explorer", layout="wide")
st.title("DNABERT Explorer")
st.write("Upload DNA sequences, see what a DNABERT model predicts, explore its attention and discover motifs.")
