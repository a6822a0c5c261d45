"""Command-line options generated from settings declarations (:mod:`dnabert.params`).

One option per declared field: ``--field-name`` (or the field's ``flag``), dest = the field name, the
declared default, the declared help and a type that checks the declared range (its message names the
option); :func:`settings_argv` writes the options that reproduce a settings object (the app's "same run
from the command line").
"""

from __future__ import annotations

import argparse

from dnabert.params import check_value, declared, flag


def _checked_type(f, kind: type):
    """An argparse type: parse as ``kind``, then check the field's range (one message for both)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        problem = check_value(f, value, flag(f))
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


def add_settings_args(group, cls, names: tuple[str, ...] | None = None, aliases: dict | None = None) -> None:
    """One option per declared field of the settings class ``cls`` (or of the fields ``names``); ``aliases``: field
    -> old flags."""
    aliases = aliases or {}
    for f in declared(cls):
        if names is not None and f.name not in names:
            continue
        meta = f.metadata
        help_text = f"{meta['help']} (default {meta['none_means'] if f.default is None else f.default})"
        choices = meta.get("choices")
        if choices is not None and None in choices and {True, False} <= set(choices):  # tri-state: on, off, or by mode
            pair = group.add_mutually_exclusive_group()
            pair.add_argument(flag(f), dest=f.name, action="store_const", const=True, default=None, help=help_text)
            pair.add_argument(meta["off_flag"], dest=f.name, action="store_const", const=False, help=f"the opposite of {flag(f)}")
        elif meta["off_flag"]:
            group.add_argument(meta["off_flag"], dest=f.name, action="store_false", default=f.default, help=meta["help"])
        elif isinstance(f.default, bool):
            group.add_argument(flag(f), dest=f.name, action="store_true", default=f.default, help=meta["help"])
        elif choices is not None:
            group.add_argument(flag(f), dest=f.name, choices=[c for c in choices if c is not None], default=f.default, help=help_text)
        elif isinstance(f.default, str):
            group.add_argument(flag(f), *aliases.get(f.name, ()), dest=f.name, default=f.default, help=help_text)
        else:
            kind = type(f.default) if f.default is not None else int if str(f.type).startswith("int") else float
            group.add_argument(
                flag(f), *aliases.get(f.name, ()), dest=f.name, type=_checked_type(f, kind), default=f.default,
                help=help_text, metavar=kind.__name__.upper(),
            )  # fmt: skip


def settings_from_args(cls, args: argparse.Namespace, **extra):
    """The settings object of ``cls`` from parsed options (dests = field names) plus ``extra`` (undeclared) fields."""
    return cls(**{f.name: getattr(args, f.name) for f in declared(cls)}, **extra)


def _text(value: float) -> str:
    """A float as an option value: the short form when it reads back exactly, else the exact one."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def settings_argv(obj) -> list[str]:
    """The options that reproduce the settings object ``obj``: every declared field that differs from its default."""
    argv: list[str] = []
    for f in declared(obj):
        value = getattr(obj, f.name)
        if value == f.default:
            continue
        if isinstance(value, bool) and f.metadata["off_flag"] and None in f.metadata.get("choices", ()):
            argv.append(flag(f) if value else f.metadata["off_flag"])
        elif f.metadata["off_flag"]:
            argv.append(f.metadata["off_flag"])
        elif isinstance(value, bool):
            argv.append(flag(f))
        else:
            argv += [flag(f), _text(value) if isinstance(value, float) else str(value)]
    return argv
