import streamlit as st

st.title("Attention")
st.info("Coming soon")
