"""The product on top of the packages: the Streamlit app (``explorer.app``) and the command line (``explorer.cli``)."""
