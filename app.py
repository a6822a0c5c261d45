"""Streamlit entry of a source checkout: ``streamlit run app.py``. The app itself is ``explorer/app.py``."""

from explorer.app import main

main()
