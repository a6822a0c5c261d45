"""Command-line options built from declared fields (:mod:`dnabert.param_meta`): one option per field, its help,
range and default from the field, and the options that reproduce a settings object (the page's command line)."""

from __future__ import annotations

import argparse
from dataclasses import Field

from dnabert.param_meta import check_value, flag_of


def _type(f: Field):
    """An argparse type: parse as the field's kind, then check its range (one message for both)."""
    kind = int if isinstance(f.default, int) or f.name in ("patience",) else float

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        problem = check_value(f, value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


def add_declared_args(p: argparse.ArgumentParser, declared: tuple[Field, ...]) -> None:
    """One option per declared field (dest = field name)."""
    for f in declared:
        meta = f.metadata
        if isinstance(f.default, bool):
            p.add_argument(flag_of(f), dest=f.name, action="store_true", default=f.default, help=meta["help"])
            continue
        default = meta["none_means"] if f.default is None else f.default
        p.add_argument(flag_of(f), dest=f.name, type=_type(f), default=f.default, help=f"{meta['help']} (default {default})")


def settings_argv(settings, declared: tuple[Field, ...]) -> list[str]:
    """The options that reproduce ``settings`` for the fields ``declared``: every value that differs from its default."""
    argv: list[str] = []
    for f in declared:
        value = getattr(settings, f.name)
        if value == f.default:
            continue
        if isinstance(f.default, bool):
            argv.append(flag_of(f))
        else:
            argv += [flag_of(f), f"{value:g}" if isinstance(value, float) else str(value)]
    return argv


def settings_from_args(cls, args: argparse.Namespace, declared: tuple[Field, ...], **extra):
    """A ``cls`` instance from the parsed options of ``declared`` plus ``extra`` fields."""
    return cls(**{f.name: getattr(args, f.name) for f in declared}, **extra)
