"""Command line: ``python -m dnabert <command> ...`` (also the ``dnabert`` console script).

This package sits above the library packages: each module here declares the
sub-commands of one area through ``register(subparsers)`` and imports what a
command needs only when it runs, so ``--help`` stays fast. Bad input ends with
``error: <message>`` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from dnabert.errors import InputError
from explorer.cli import app, evidence, genome, inference, maps, motifs, training, variants
from explorer.cli.common import OUTPUT_OPTIONS, input_paths, model_help

COMMAND_MODULES = (inference, motifs, evidence, variants, genome, maps, training, app)
DISTRIBUTION = "dnabert-explorer"


def package_version() -> str:
    """The version of the code that runs: a checkout's pyproject.toml, else the installed package's metadata."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        if project.get("name") == DISTRIBUTION:
            return f"{project['version']} (source checkout {pyproject.parent})"
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (neither installed nor a source checkout)"


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is an :class:`InputError`: one ``error:`` line and exit status 2 from :func:`main`."""

    def error(self, message: str):
        raise InputError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dnabert", description="DNABERT Explorer: predict, explain and find motifs with DNA language models")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    about = model_help(sys.argv[1:] if argv is None else argv)  # `<command> --model M --help`: what M is
    if about:
        print(about)
    try:
        args = build_parser().parse_args(argv)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from dnabert.outputs import disk_error, refuse_overlaps  # after parsing: --help imports nothing heavy

    # a killed job (e.g. a Slurm time-out) cleans up like Ctrl-C; Ctrl-C works even where the shell
    # started us with SIGINT ignored (background jobs of a non-interactive shell)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.default_int_handler)
    try:
        refuse_overlaps(
            input_paths(args),
            {f"--{d}": getattr(args, d, None) for d in OUTPUT_OPTIONS},
        )
        return args.func(args)
    except OSError as e:  # a full disk or a failed write outside the output writers: one line, no traceback
        print(f"error: {disk_error(e)}", file=sys.stderr)
        return 2
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: unfinished outputs were removed", file=sys.stderr)
        return 130
