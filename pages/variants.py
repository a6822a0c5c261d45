import streamlit as st

st.title("Variants")
st.info("Coming soon")
