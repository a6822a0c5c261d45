"""Parameters declared once: a dataclass field carries its default, help, app label and valid range (light: no numpy).

A settings class is a frozen dataclass decorated with :func:`settings`, whose fields are made by
:func:`param`. From the same declaration the command line builds its options
(:mod:`explorer.cli.params`), the app builds its widgets (:mod:`explorer.widgets`), and
:func:`check_settings` validates a value with the same message everywhere. Stage functions take the
settings object instead of restating defaults; ``tests/test_layers.py`` fails when a declared default
is restated elsewhere.

Examples
--------
>>> @settings
... @dataclass(frozen=True)
... class Window:
...     width: int = param(300, "window length (bp)", "Window", low=1)
>>> check_value(fields(Window)[0], 0)
'width must be in [1, inf)'
"""

from __future__ import annotations

import math
from dataclasses import Field, field, fields

from dnabert.errors import InputError

DECLARED: list[type] = []  # every settings class (filled by :func:`settings`; the duplicate check reads it)


def param(
    default, help: str, label: str, *, low=None, high=None, low_open=False, high_open=False, choices=None, basic=False,
    off_flag=None, flag=None,
):  # fmt: skip
    """A settings field with what the command line and the app need to offer it.

    ``help`` is the one description (CLI help, app tooltip); ``label`` the app's
    widget label; ``low`` / ``high`` the valid range (closed unless ``*_open``);
    ``choices`` the valid values; ``basic`` puts the widget in the app's main form;
    ``off_flag`` is the command-line switch that turns a True-by-default flag off;
    ``flag`` the option's name when it is not ``--field-name``.
    """
    meta = {"help": help, "label": label, "basic": basic, "off_flag": off_flag, "flag": flag}
    meta.update({k: v for k, v in (("low", low), ("high", high), ("choices", choices)) if v is not None})
    meta.update(low_open=low_open, high_open=high_open)
    return field(default=default, metadata=meta)


def settings(cls: type) -> type:
    """Class decorator: record a settings dataclass in :data:`DECLARED`."""
    DECLARED.append(cls)
    return cls


def field_map(cls) -> dict[str, Field]:
    """Fields of a settings class (or instance) by name."""
    return {f.name: f for f in fields(cls)}


def check_value(f: Field, value) -> str | None:
    """Why ``value`` is not valid for the settings field ``f`` (None when it is)."""
    meta, name = f.metadata, f.name
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be a finite number, got {value}"
    if "choices" in meta:
        return None if value in meta["choices"] else f"{name} must be one of {', '.join(str(c) for c in meta['choices'])}"
    low, high = meta.get("low"), meta.get("high")
    too_low = low is not None and (value < low or (meta["low_open"] and value == low))
    too_high = high is not None and (value > high or (meta["high_open"] and value == high))
    if too_low or too_high:
        lo = "(" if meta["low_open"] else "["
        hi = ")" if meta["high_open"] or high is None else "]"
        return f"{name} must be in {lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    return None


def check_settings(obj, what: str) -> None:
    """Raise InputError naming the first field of ``obj`` whose value is invalid (``what``: e.g. ``motif parameter``)."""
    for f in fields(obj):
        problem = check_value(f, getattr(obj, f.name))
        if problem:
            raise InputError(f"invalid {what}: {problem}")
