import streamlit as st

st.title("Landscape")
st.info("Coming soon")
