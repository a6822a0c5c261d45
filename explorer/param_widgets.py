"""App widgets built from the :class:`motif.params.MotifParams` field metadata (the command line reads the same)."""

import math


def _choice_label(value) -> str:
    return {None: "by mode", True: "yes", False: "no (forward only)"}.get(value, str(value))


def param_widget(container, f, prefix: str = "motif"):
    """The widget of one MotifParams field, from its metadata (the same the command line uses); key ``<prefix>_<name>``."""
    meta, key = f.metadata, f"{prefix}_{f.name}"
    if isinstance(f.default, bool):
        return container.checkbox(meta["label"], f.default, help=meta["help"], key=key)
    if "choices" in meta:
        options = list(meta["choices"])
        return container.selectbox(
            meta["label"], options, index=options.index(f.default), format_func=_choice_label, help=meta["help"], key=key
        )
    low = None if meta.get("low") is None or meta["low_open"] else meta["low"]
    high = None if meta.get("high") is None or meta["high_open"] else meta["high"]
    if isinstance(f.default, int):
        return int(container.number_input(meta["label"], low, high, f.default, 1, help=meta["help"], key=key))
    step = 10 ** math.floor(math.log10(f.default)) / 10 if f.default > 0 else 0.1
    return float(container.number_input(meta["label"], low, high, f.default, step, format="%g", help=meta["help"], key=key))
