"""Parameters declared once: a dataclass field carries its help text, range and app label (light: no numpy).

:func:`param` builds such a field; the command line builds its option from
it (``explorer/cli/settings_args.py``), the app its widget
(``explorer.state.setting_widget``), and :func:`check_value` validates with
it. Fields declared with a plain default (no metadata) are internal: neither
offered nor checked.
"""

from __future__ import annotations

import math
from dataclasses import Field, field


def param(default, help: str, label: str, *, flag: str | None = None, low=None, high=None, low_open=False,
          high_open=False, page=True, none_means: str | None = None):  # fmt: skip
    """A dataclass field with what the command line and the app need to offer it.

    ``help`` is the one description (CLI help, app tooltip); ``label`` the
    app's widget label; ``flag`` the command-line option (default
    ``--<name>``); ``low`` / ``high`` the valid range (closed unless
    ``*_open``); ``page`` whether the app offers it; ``none_means`` what a
    None default stands for (e.g. "by model size").
    """
    meta = {"help": help, "label": label, "flag": flag, "low": low, "high": high, "low_open": low_open,
            "high_open": high_open, "page": page, "none_means": none_means}  # fmt: skip
    return field(default=default, metadata=meta)


def flag_of(f: Field) -> str:
    """The command-line option of a declared field."""
    return f.metadata["flag"] or "--" + f.name.replace("_", "-")


def check_value(f: Field, value) -> str | None:
    """Why ``value`` is not valid for the declared field ``f`` (None when it is, or when it is None and may be)."""
    meta = f.metadata
    if value is None and f.default is None:
        return None
    if isinstance(value, bool) or isinstance(f.default, bool):
        return None if isinstance(value, bool) else f"{flag_of(f)} must be true or false"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{flag_of(f)} must be a finite number, got {value}"
    low, high = meta["low"], meta["high"]
    too_low = low is not None and (value < low or (meta["low_open"] and value == low))
    too_high = high is not None and (value > high or (meta["high_open"] and value == high))
    if too_low or too_high:
        lo = "(" if meta["low_open"] else "["
        hi = ")" if meta["high_open"] or high is None else "]"
        return f"{flag_of(f)} must be in {lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}, got {value}"
    return None
