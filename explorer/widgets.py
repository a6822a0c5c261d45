"""App widgets generated from settings declarations (:mod:`dnabert.params`), as the command line's options are.

The label, help, default and range of each widget are the field's; the command line builds its options
from the same fields (:mod:`explorer.cli.params`), so the page and the command accept the same values.
"""

from __future__ import annotations

import math

from dnabert.options import ATTENTION_HELP, ATTENTION_MODES
from dnabert.params import declared


def _choice_label(value) -> str:
    return {None: "by mode", True: "yes", False: "no (forward only)"}.get(value, str(value))


def param_widget(container, f, prefix: str, options=None):
    """The widget of one settings field, from its metadata; ``options`` offers these values (a selectbox). A number
    field whose default is None may be left empty (None: what the field's ``none_means`` says)."""
    meta, key = f.metadata, f"{prefix}_{f.name}"
    if isinstance(f.default, bool):
        return container.checkbox(meta["label"], f.default, help=meta["help"], key=key)
    if "choices" in meta or options is not None:
        options = list(meta["choices"] if options is None else options)
        return container.selectbox(
            meta["label"], options, index=options.index(f.default), format_func=_choice_label, help=meta["help"], key=key
        )
    if isinstance(f.default, str):
        return container.text_input(meta["label"], f.default, help=meta["help"], key=key)
    low = None if meta.get("low") is None or meta["low_open"] else meta["low"]
    high = None if meta.get("high") is None or meta["high_open"] else meta["high"]
    help_text = meta["help"] + (f" (empty: {meta['none_means']})" if f.default is None else "")
    if isinstance(f.default, int):
        value = container.number_input(meta["label"], low, high, f.default, 1, help=help_text, key=key)
        return None if value is None else int(value)
    low, high = (None if v is None else float(v) for v in (low, high))  # streamlit wants one numeric type
    known = f.default is not None and f.default > 0
    step = meta.get("step") or (10 ** math.floor(math.log10(f.default)) / 10 if known else 0.1)
    fmt = meta.get("fmt") or ("%.0e" if known and f.default < 1e-3 else "%g")
    value = container.number_input(meta["label"], low, high, f.default, step, format=fmt, help=help_text, key=key)
    return None if value is None else float(value)


def settings_widgets(columns, cls, prefix: str, names: tuple[str, ...] | None = None, options: dict | None = None) -> dict:
    """Widgets of the declared fields of ``cls`` that the page offers (or of ``names``), spread over ``columns``:
    field name -> value."""
    chosen = [f for f in declared(cls) if (f.metadata["page"] if names is None else f.name in names)]
    options = options or {}
    return {f.name: param_widget(columns[i % len(columns)], f, prefix, options.get(f.name)) for i, f in enumerate(chosen)}


def attention_widget(container, key: str, radio: bool = False) -> str:
    """The attention mode (:data:`dnabert.options.ATTENTION_MODES`, the first is the default)."""
    if radio:
        return container.radio("Aggregation", ATTENTION_MODES, key=key, horizontal=True, help=ATTENTION_HELP)
    return container.selectbox("Attention", ATTENTION_MODES, key=key, help=ATTENTION_HELP)
