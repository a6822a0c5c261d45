"""Parameters declared once: a dataclass field carries its default, help, app label and valid range (light: no numpy).

A settings class is a dataclass decorated with :func:`settings`, whose fields are made by
:func:`param` (a field with a plain default and no metadata is internal: neither offered nor checked).
From the same declaration the command line builds its options
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
'width must be in [1, inf), got 0'
"""

from __future__ import annotations

import math
from dataclasses import Field, field, fields

from dnabert.errors import InputError

DECLARED: list[type] = []  # every settings class (filled by :func:`settings`; the duplicate check reads it)


def param(
    default, help: str, label: str, *, low=None, high=None, low_open=False, high_open=False, choices=None, basic=False,
    off_flag=None, flag=None, none_means="by mode", page=True, step=None, fmt=None,
):  # fmt: skip
    """A settings field with what the command line and the app need to offer it.

    ``help`` is the one description (CLI help, app tooltip); ``label`` the app's
    widget label; ``low`` / ``high`` the valid range (closed unless ``*_open``);
    ``choices`` the valid values; ``basic`` puts the widget in the app's main form;
    ``off_flag`` is the command-line switch that turns a True-by-default flag off;
    ``flag`` the option's name when it is not ``--field-name``; ``none_means`` what a
    None default stands for (help text; a number widget may then be left empty);
    ``page`` False offers the field on the command line only; ``step`` / ``fmt`` the
    number widget's step and format when not derived from the default.
    """
    meta = {"help": help, "label": label, "basic": basic, "off_flag": off_flag, "flag": flag, "none_means": none_means,
            "page": page, "step": step, "fmt": fmt}  # fmt: skip
    meta.update({k: v for k, v in (("low", low), ("high", high), ("choices", choices)) if v is not None})
    meta.update(low_open=low_open, high_open=high_open)
    return field(default=default, metadata=meta)


def settings(cls: type) -> type:
    """Class decorator: record a settings dataclass in :data:`DECLARED`."""
    DECLARED.append(cls)
    return cls


def flag(f: Field) -> str:
    """The command-line option of field ``f``: its declared ``flag``, else ``--field-name``."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def declared(cls) -> list[Field]:
    """The declared (offered, checked) fields of a settings class or instance: those made by :func:`param`."""
    return [f for f in fields(cls) if f.metadata]


def field_map(cls) -> dict[str, Field]:
    """Fields of a settings class (or instance) by name."""
    return {f.name: f for f in fields(cls)}


def check_value(f: Field, value, name: str | None = None) -> str | None:
    """Why ``value`` is not valid for the settings field ``f`` (None when it is); ``name``: what the message
    calls the field (default its name; the command line names its option)."""
    meta, name = f.metadata, name or f.name
    if value is None and f.default is None:
        return None
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
        return f"{name} must be in {lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}, got {value}"
    return None


def check_settings(obj, what: str, by_flag: bool = False) -> None:
    """Raise InputError naming the first declared field of ``obj`` whose value is invalid (``what``: e.g. ``motif
    parameter``; ``by_flag``: name its command-line option instead of the field)."""
    for f in declared(obj):
        problem = check_value(f, getattr(obj, f.name), flag(f) if by_flag else None)
        if problem:
            raise InputError(f"invalid {what}: {problem}")
