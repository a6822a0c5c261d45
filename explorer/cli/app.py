"""``dnabert app``: start the Streamlit app of the installed package, from any working directory."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from explorer.cli.argtypes import integer
from explorer.layout import MAIN_SCRIPT as APP  # its .streamlit/config.toml lies beside it


def streamlit_command(port: int, extra: list[str]) -> list[str]:
    """The ``streamlit run`` command line: loopback only, no file watcher; ``extra`` comes last, so it overrides."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        *extra,
    ]  # fmt: skip


def run_app(args: argparse.Namespace) -> NoReturn:
    command = streamlit_command(args.port, args.streamlit_args)
    print(f"starting the app on http://127.0.0.1:{args.port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    os.execv(sys.executable, command)  # this process becomes the server: Ctrl-C and kill reach Streamlit itself


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="start the app (Streamlit) on this machine's loopback address",
        description="Start the app. Arguments after -- go to `streamlit run`, e.g. "
        "`dnabert app --port 8600 -- --server.address 0.0.0.0` to serve other machines.",
    )
    p.add_argument("--port", type=integer(1, 65535), default=8501, help="TCP port (default 8501)")
    p.add_argument("streamlit_args", nargs="*", metavar="-- STREAMLIT_ARGS", help="passed to `streamlit run` unchanged")
    p.set_defaults(func=run_app)
