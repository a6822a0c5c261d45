import streamlit as st

st.title("Motifs")
st.info("Coming soon")
