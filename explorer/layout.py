"""Where the app's files are: the folder holding the Streamlit script, ``pages/`` and ``.streamlit/``.

A source checkout keeps them at the repository root (``app.py``, ``pages/``, ``.streamlit/``: the
product card's layout); the wheel maps ``pages/`` and ``.streamlit/`` into this package, beside
``explorer/app.py``. Either way Streamlit finds ``.streamlit/config.toml`` beside the script it runs.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
APP_FOLDER = _PACKAGE if (_PACKAGE / "pages").is_dir() else _PACKAGE.parent  # installed, else a checkout
PAGES = APP_FOLDER / "pages"
MAIN_SCRIPT = APP_FOLDER / "app.py"  # the installed explorer/app.py, or the checkout's app.py (which runs it)
