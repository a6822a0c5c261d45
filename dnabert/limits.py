"""Size limits, defined once and read from the environment when first imported.

App (every page that takes an upload or a list):

* ``DNABERT_MAX_UPLOAD_MB`` (default 50): an uploaded file, and what a gzip file inflates to;
* ``DNABERT_MAX_SEQUENCES`` (20000): sequences, training rows or variants in one upload;
* ``DNABERT_MAX_LENGTH`` (100000 bp): one sequence.

Everywhere (app, CLI, Python API):

* ``DNABERT_MAX_INPUT_MB`` (default 2048): a sequence file read by the CLI, after decompression;
* ``DNABERT_MAX_SATURATION_LENGTH`` (default 10000 bp): saturation mutagenesis scores
  3 x L mutants, so a longer sequence would run for days; score a window of it instead;
* ``DNABERT_MAX_WINDOW`` (default 2048 tokens, NT v2's window): the most tokens one forward pass of a model
  takes (its window, set by its config.json or asked for); attention grows with its square;
* ``DNABERT_MAX_MODEL_GB`` (default 16): a model folder whose config.json describes a model
  estimated above this size (:func:`dnabert.loading.checkpoint_checks.model_bytes`) is refused before
  anything is allocated.

The check functions read these names at call time, so a test can patch them.
"""

from __future__ import annotations

import os

from dnabert.errors import InputError

MAX_UPLOAD_MB = float(os.environ.get("DNABERT_MAX_UPLOAD_MB", "50"))
MAX_SEQUENCES = int(os.environ.get("DNABERT_MAX_SEQUENCES", "20000"))
MAX_LENGTH = int(os.environ.get("DNABERT_MAX_LENGTH", "100000"))
MAX_INPUT_MB = float(os.environ.get("DNABERT_MAX_INPUT_MB", "2048"))
MAX_SATURATION_LENGTH = int(os.environ.get("DNABERT_MAX_SATURATION_LENGTH", "10000"))
MAX_WINDOW = int(os.environ.get("DNABERT_MAX_WINDOW", "2048"))
MAX_MODEL_GB = float(os.environ.get("DNABERT_MAX_MODEL_GB", "16"))


def upload_bytes() -> int:
    """The app's upload limit in bytes (also the most a gzip upload may inflate to)."""
    return int(MAX_UPLOAD_MB * 2**20)


def input_bytes() -> int:
    """The CLI's input limit in bytes, after decompression."""
    return int(MAX_INPUT_MB * 2**20)


def check_app_upload(n_bytes: int, name: str) -> None:
    """Refuse an upload over ``DNABERT_MAX_UPLOAD_MB``."""
    if n_bytes > upload_bytes():
        raise InputError(
            f"{name}: {n_bytes / 2**20:.1f} MB is over the app's limit of {MAX_UPLOAD_MB:g} MB; use the CLI for large inputs"
        )


def check_app_count(n: int, name: str, what: str = "sequences") -> None:
    """Refuse more than ``DNABERT_MAX_SEQUENCES`` items (``what``: sequences, rows, variants) in one upload."""
    if n > MAX_SEQUENCES:
        raise InputError(
            f"{name}: {n} {what} is over the app's limit of {MAX_SEQUENCES}; use the CLI (command shown on each page) "
            "for large inputs"
        )


def check_app_lengths(ids: list[str], seqs: list[str], name: str) -> None:
    """Refuse a sequence longer than ``DNABERT_MAX_LENGTH`` (names the longest)."""
    if not seqs:
        return
    longest = max(range(len(seqs)), key=lambda i: len(seqs[i]))
    if len(seqs[longest]) > MAX_LENGTH:
        raise InputError(
            f"{name}: sequence '{ids[longest]}' is {len(seqs[longest])} bp, over the app's limit of {MAX_LENGTH} bp; "
            "use the CLI for long sequences"
        )


def check_saturation_length(length: int, record: str) -> None:
    """Refuse saturation mutagenesis of a sequence longer than ``DNABERT_MAX_SATURATION_LENGTH``."""
    if length > MAX_SATURATION_LENGTH:
        raise InputError(
            f"sequence '{record}' is {length} bp; saturation mutagenesis scores 3 x {length} mutants and is limited to "
            f"{MAX_SATURATION_LENGTH} bp: cut out the region of interest (or raise DNABERT_MAX_SATURATION_LENGTH)"
        )
